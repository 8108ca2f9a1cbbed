"""True-reward evaluation of a policy (validation seeds by default), with batched policy calls."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ilkit.envs.scoring import make_scoring_env
from ilkit.envs.seeds import validation_seeds
from ilkit.envs.tasks import spec
from ilkit.errors import IlkitError, InvalidActionError
from ilkit.policies import Policy, load_policy
from ilkit.policies.spaces import policy_misfit


@dataclasses.dataclass(frozen=True)
class EvalResult:
    env_id: str
    returns: tuple[float, ...]
    """True (undiscounted) return of each episode, in seed order."""
    seeds: tuple[int, ...]

    @property
    def mean(self) -> float:
        return float(np.mean(self.returns))

    @property
    def std(self) -> float:
        return float(np.std(self.returns))

    @property
    def normalized_score(self) -> float | None:
        """(R - random) / (expert - random) with the task's reference returns, if measured."""
        return normalized_score(self.env_id, self.mean)

    def to_dict(self) -> dict[str, Any]:
        return {
            "env_id": self.env_id,
            "n_episodes": len(self.returns),
            "mean": self.mean,
            "std": self.std,
            "normalized_score": self.normalized_score,
            "returns": list(self.returns),
            "seeds": list(self.seeds),
        }


def normalized_score(env_id: str, mean_return: float) -> float | None:
    task = spec(env_id)
    lo, hi = task.ref_random_return, task.ref_expert_return
    if lo is None or hi is None or hi == lo:
        return None
    return float((mean_return - lo) / (hi - lo))


def evaluate(
    policy: Policy | str | os.PathLike,
    env_id: str,
    *,
    n_episodes: int = 50,
    seeds: str | Sequence[int] = "validation",
    deterministic: bool = True,
    device: str = "auto",
    n_envs: int = 10,
    progress: Callable[[int], None] | None = None,
) -> EvalResult:
    """Roll out ``policy`` on ``env_id`` with the true reward.

    Args:
        policy: anything with SB3's ``predict``, or the path of a policy artifact.
        seeds: ``"validation"``: the public validation split ``2**31 + i`` (never used for
            datasets or training), or explicit per-episode seeds
            (a leaderboard passes its secret test seeds here).
        n_envs: episodes run in lock-step, one batched ``predict`` per step.
        progress: called with the number of episodes just finished (for a progress bar).
    """
    task = spec(env_id)
    if isinstance(policy, (str, os.PathLike)):
        policy = load_policy(policy, device=device)
    if isinstance(seeds, str):
        if seeds != "validation":
            raise IlkitError(f"unknown seed split {seeds!r}: use 'validation' or a list of seeds")
        episode_seeds = validation_seeds(n_episodes)
    else:
        episode_seeds = [int(s) for s in seeds]
    if len(episode_seeds) != n_episodes:
        raise IlkitError(f"got {len(episode_seeds)} seeds for {n_episodes} episodes")
    returns: list[float] = []
    envs = [make_scoring_env(task.id) for _ in range(max(1, min(n_envs, n_episodes)))]
    try:
        misfit = policy_misfit(policy, envs[0], task.id)
        if misfit:
            raise IlkitError(misfit)
        for start in range(0, n_episodes, len(envs)):
            batch_seeds = episode_seeds[start : start + len(envs)]
            active = envs[: len(batch_seeds)]
            obs = np.stack([e.reset(seed=s)[0] for e, s in zip(active, batch_seeds, strict=True)])
            totals = np.zeros(len(active))
            for _ in range(task.horizon):  # fixed horizon: every episode ends together
                actions, _ = policy.predict(obs, deterministic=deterministic)
                actions = np.asarray(actions)
                if actions.ndim == 0 or len(actions) != len(active):
                    raise InvalidActionError(
                        f"policy returned actions of shape {actions.shape} for {len(active)} "
                        "observations"
                    )
                steps = [e.step(a) for e, a in zip(active, actions, strict=True)]
                obs = np.stack([s[0] for s in steps])
                totals += [s[1] for s in steps]
            returns.extend(totals.tolist())
            if progress is not None:
                progress(len(active))
    finally:
        for e in envs:
            e.close()
    return EvalResult(task.id, tuple(returns), tuple(episode_seeds))
