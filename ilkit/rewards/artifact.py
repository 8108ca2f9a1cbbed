"""Reward artifacts: ``reward.safetensors`` + ``manifest.json`` in one directory, no pickles.

Kinds (``manifest["kind"]``):

* ``state``: a table R(s) over the states of a tabular task (one-hot observations).
* ``linear``: weights w on a tabular task's public features, R(s) = x(s)ᵀw. It applies to every
  task with the same features (a shifted-dynamics variant: the transfer test).
* ``net``: a reward network from imitation (GAIL's discriminator logit, AIRL's g(s, a) or its
  shaped reward), rebuilt from the declared layer sizes in plain torch (:mod:`.nets`).

A reward maps a batch of transitions ``(obs, acts, next_obs, dones)`` to one number each; the
convention of ilkit's tabular tasks is that R(s) is received in the state an action is taken
from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ilkit import atomic
from ilkit.errors import IlkitError
from ilkit.policies import REWARD_FORMAT as FORMAT  # one definition, below both rooms

FORMAT_VERSION = 1
WEIGHTS = "reward.safetensors"
MANIFEST = "manifest.json"
KINDS = ("state", "linear", "net")


class RewardArtifactError(IlkitError):
    """A reward artifact that is missing, malformed, or does not fit its task."""


class LearnedReward:
    """A learned reward: arrays plus JSON-able fields; :meth:`save` writes it weights-only."""

    kind: str = ""

    def __init__(self, arrays: dict[str, np.ndarray], fields: dict[str, Any] | None = None):
        self.arrays = {k: np.asarray(v) for k, v in arrays.items()}
        self.fields = dict(fields or {})
        self.env_id: str | None = self.fields.get("env_id")
        self.manifest: dict[str, Any] = {}

    def __call__(
        self,
        obs: np.ndarray,
        acts: np.ndarray,
        next_obs: np.ndarray,
        dones: np.ndarray | None = None,
        *,
        env_id: str | None = None,
    ) -> np.ndarray:
        """Rewards (N,) of a batch of transitions."""
        raise NotImplementedError

    def transition_table(self, env_id: str) -> np.ndarray:
        """R(s, a, s') (S, A, S) on a tabular task: what EPIC and re-optimisation read."""
        from ilkit.envs.tabular import model

        m = model(env_id)
        n, a = m.n_states, m.n_actions
        eye = np.eye(n, dtype=np.float32)
        s, act, s2 = (g.ravel() for g in np.meshgrid(np.arange(n), np.arange(a), np.arange(n),
                                                   indexing="ij"))  # fmt: skip
        r = self(eye[s], act, eye[s2], np.zeros(len(s), dtype=bool), env_id=env_id)
        return np.asarray(r, dtype=np.float64).reshape(n, a, n)

    def save(self, path: Path, *, env_id: str, training: dict, overwrite: bool = False) -> None:
        """Write the artifact directory ``path`` atomically (an existing one only with
        ``overwrite``: replaced in one step, never left half-written)."""
        from safetensors.numpy import save_file

        path = Path(path)
        if path.exists() and not overwrite:
            raise RewardArtifactError(f"{path} exists (overwrite=True / --force replaces it)")
        data = {
            **self.fields,
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "kind": self.kind,
            "env_id": env_id,
            "training": dict(training),
            "versions": _versions(),
        }
        tensors = {k: np.ascontiguousarray(v) for k, v in self.arrays.items()}
        with atomic.staged_directory(path, replace=overwrite) as tmp:
            atomic.write_text(tmp / MANIFEST, json.dumps(data, indent=2, sort_keys=True,
                                                          default=str) + "\n")  # fmt: skip
            save_file(tensors, str(tmp / WEIGHTS))
            (tmp / WEIGHTS).chmod(0o644)
        self.env_id = env_id


def _versions() -> dict[str, str]:
    import platform

    import ilkit

    return {"ilkit": ilkit.__version__, "python": platform.python_version(),
            "numpy": np.__version__}  # fmt: skip


def _state_index(obs: np.ndarray, n_states: int) -> np.ndarray:
    obs = np.asarray(obs)
    if obs.ndim != 2 or obs.shape[1] != n_states:
        raise RewardArtifactError(
            f"a tabular reward over {n_states} states needs one-hot observations of that "
            f"length, got shape {obs.shape}"
        )
    return obs.argmax(axis=1)


class StateReward(LearnedReward):
    """R(s) as a table over the states of a tabular task."""

    kind = "state"

    def __init__(self, table: np.ndarray, fields: dict[str, Any] | None = None):
        table = np.asarray(table, dtype=np.float64)
        if table.ndim != 1 or not np.isfinite(table).all():
            raise RewardArtifactError("a state reward is a finite vector (S,)")
        super().__init__({"table": table}, {**(fields or {}), "n_states": len(table)})

    @property
    def table(self) -> np.ndarray:
        return self.arrays["table"]

    def __call__(self, obs, acts, next_obs, dones=None, *, env_id=None):
        return self.table[_state_index(obs, len(self.table))]


class LinearReward(LearnedReward):
    """R(s) = x(s)ᵀw on the public features of a tabular task."""

    kind = "linear"

    def __init__(self, weights: np.ndarray, fields: dict[str, Any] | None = None):
        weights = np.asarray(weights, dtype=np.float64)
        if weights.ndim != 1 or not np.isfinite(weights).all():
            raise RewardArtifactError("a linear reward is a finite weight vector (F,)")
        super().__init__({"weights": weights}, {**(fields or {}), "n_features": len(weights)})

    @property
    def weights(self) -> np.ndarray:
        return self.arrays["weights"]

    def state_table(self, env_id: str) -> np.ndarray:
        from ilkit.envs.tabular import model

        x = model(env_id).features
        if x.shape[1] != len(self.weights):
            raise RewardArtifactError(
                f"{env_id} has {x.shape[1]} features; this reward weighs {len(self.weights)}"
            )
        return x @ self.weights

    def __call__(self, obs, acts, next_obs, dones=None, *, env_id=None):
        env_id = env_id or self.env_id
        if env_id is None:
            raise RewardArtifactError("a linear reward needs the env id of its features")
        table = self.state_table(env_id)
        return table[_state_index(obs, len(table))]
