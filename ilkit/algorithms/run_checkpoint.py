"""Mid-run checkpoints, so that a long training killed part-way resumes instead of restarting.

A GAIL/AIRL run with the SAC generator takes an hour or more of CPU on MuJoCo; a session, a
job's time limit or a pre-empted node ends such a run before it finishes. With
``train(..., checkpoint_dir=DIR)`` the run writes ``DIR/checkpoint.pt`` every
``interval_s`` seconds (at a round boundary) and a later call with the same directory and the
same run (algorithm, task, config, seed, demos, device: the *fingerprint*) continues from it.
A checkpoint of a different run in the directory is a clear error, never silently reused.

The file is ``torch.save`` of tensors and plain containers only, read back with
``torch.load(weights_only=True)`` (nothing is unpickled), and written atomically: a run
killed while saving leaves the previous checkpoint intact. A resumed run restores the nets,
optimizers, replay buffer, counters and the torch/numpy random states; it starts a fresh
episode (the environment's simulator state is not saved), so it is a valid run of the same
algorithm but not bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import io
import json
import os
import pickle  # only for its error type: nothing is unpickled
import time
from pathlib import Path
from typing import Any

import numpy as np

from ilkit import atomic
from ilkit.errors import IlkitError

CHECKPOINT_FILE = "checkpoint.pt"
# the layout of the saved state; a checkpoint of another layout is refused, not misread
# (format 2: SB3 state through get_parameters; files without the key are format 1)
FORMAT = 2
DEFAULT_INTERVAL_S = 600.0


class RunCheckpointer:
    """Saves and finds the checkpoint of one run (identified by its fingerprint)."""

    def __init__(
        self,
        directory: str | os.PathLike,
        fingerprint: dict[str, Any],
        interval_s,
        config_defaults: dict[str, Any] | None = None,
    ):
        """``config_defaults``: each config key's off value. A checkpoint written before a key
        existed still matches a run that leaves the key at that value (same algorithm)."""
        if interval_s <= 0:
            raise IlkitError(f"checkpoint interval must be positive, got {interval_s}")
        self.path = Path(directory) / CHECKPOINT_FILE
        self.fingerprint = _dumps(fingerprint)
        self._config_defaults = config_defaults or {}
        self.interval_s = float(interval_s)
        self._last = time.monotonic()

    def load(self) -> dict[str, Any] | None:
        """The stored state of this run, or None when the directory holds no checkpoint."""
        # a save cut by a kill leaves its temporary sibling (one run per directory)
        for stale in self.path.parent.glob(f".{CHECKPOINT_FILE}.*.tmp"):
            stale.unlink(missing_ok=True)
        if not self.path.exists():
            return None
        import torch as th

        try:
            state = th.load(self.path, map_location="cpu", weights_only=True)
        except Exception as exc:  # truncated or foreign file: say so, do not guess
            if isinstance(exc, pickle.UnpicklingError):  # torch's text says to unpickle it
                reason = "truncated, or it holds objects other than tensors and plain values"
            else:
                reason = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise IlkitError(f"{self.path} is not a readable ilkit checkpoint ({reason})") from exc
        if isinstance(state, dict) and state.get("format", 1) != FORMAT:
            raise IlkitError(
                f"{self.path} was written by another ilkit version (checkpoint format "
                f"{state.get('format', 1)}, this one reads {FORMAT}); delete it to restart the run"
            )
        if not isinstance(state, dict) or not self._matches(state.get("fingerprint")):
            raise IlkitError(
                f"{self.path} belongs to a different run (algorithm, task, config, seed, demos "
                "or device differ); use another checkpoint directory or delete it"
            )
        self._last = time.monotonic()
        return state

    def _matches(self, stored: Any) -> bool:
        if stored == self.fingerprint:
            return True
        try:
            older = json.loads(stored)
        except (TypeError, ValueError):
            return False
        if not isinstance(older, dict) or not isinstance(older.get("config"), dict):
            return False
        added = {k: v for k, v in self._config_defaults.items() if k not in older["config"]}
        older["config"] = {**older["config"], **added}
        return _dumps(older) == self.fingerprint

    def due(self) -> bool:
        return time.monotonic() - self._last >= self.interval_s

    def save(self, state: dict[str, Any]) -> None:
        import torch as th

        buffer = io.BytesIO()
        th.save({**state, "fingerprint": self.fingerprint, "format": FORMAT}, buffer)
        atomic.write_bytes(self.path, buffer.getvalue())
        self._last = time.monotonic()

    def clear(self) -> None:
        """The run finished: its checkpoint is no longer needed."""
        self.path.unlink(missing_ok=True)


def numpy_rng_state() -> dict[str, Any]:
    """``np.random.get_state()`` (SB3's replay sampling uses the global RNG) as tensors."""
    import torch as th

    name, keys, pos, has_gauss, cached = np.random.get_state()
    assert name == "MT19937"
    return {
        "keys": th.from_numpy(keys.astype(np.int64)),
        "pos": int(pos),
        "has_gauss": int(has_gauss),
        "cached": float(cached),
    }


def set_numpy_rng_state(state: dict[str, Any]) -> None:
    keys = state["keys"].numpy().astype(np.uint32)
    np.random.set_state(("MT19937", keys, state["pos"], state["has_gauss"], state["cached"]))


def tensors(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """numpy arrays as tensors, the only array type a weights-only load accepts. They share
    memory with the arrays (``torch.save`` writes them at once; a copy would double a
    replay buffer's memory at every save)."""
    import torch as th

    return {key: th.from_numpy(np.ascontiguousarray(value)) for key, value in arrays.items()}


def _dumps(fingerprint: dict[str, Any]) -> str:
    return json.dumps(fingerprint, sort_keys=True, default=str)
