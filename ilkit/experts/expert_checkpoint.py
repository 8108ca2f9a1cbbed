"""Resumable training checkpoints in weights-only formats (no pickle anywhere).

A checkpoint is a directory with:

* ``params.pt``: the SB3 model's state dicts (policy and optimizers) and the entropy
  coefficient, written with ``torch.save`` and read back with ``weights_only=True``;
* ``state.json``: timesteps done, update count, best evaluation so far;
* ``vecnormalize.npz``: VecNormalize running statistics, if used;
* ``replay_buffer.npz``: the filled part of an off-policy replay buffer.

Checkpoints are written with :func:`ilkit.atomic.staged_directory`, so a kill mid-write leaves
the previous checkpoint intact.

Why not SB3's ``model.save`` / ``Model.load`` (+ ``VecNormalize.save``, ``save_replay_buffer``):
the state that matters already goes through SB3's own public API (``get_parameters`` /
``set_parameters``: policy and optimizer state dicts); what SB3's zip adds is the pickled
``data`` block (schedules, spaces, hyperparameters), which ilkit rebuilds from the run's
``config.json`` and rl-zoo hyperparameters instead, so one run directory never mixes two
sources of truth. Neither form makes a resume bit-exact: SB3 saves no RNG state and no
environment state, and ``learn`` resets the environments after a load, so episodes in progress
restart. Saving the RNGs alone would not change that; a resumed run continues the same
training (weights, optimizer moments, normalisation, replay buffer, step and update counts),
not the identical trajectory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch as th

from ilkit import atomic

PARAMS, STATE, VECNORM, BUFFER = "params.pt", "state.json", "vecnormalize.npz", "replay_buffer.npz"
_BUFFER_ARRAYS = ("observations", "next_observations", "actions", "rewards", "dones", "timeouts")


def save_checkpoint(path: Path, model: Any, venv: Any, state: dict[str, Any]) -> None:
    """Write ``model`` (+ its VecNormalize and replay buffer) to the directory ``path``."""
    with atomic.staged_directory(path, replace=True) as tmp:
        th.save(sb3_params(model), tmp / PARAMS)
        state = {**state, "num_timesteps": int(model.num_timesteps), "n_updates": model._n_updates}
        (tmp / STATE).write_text(json.dumps(state, indent=2) + "\n")
        if hasattr(venv, "obs_rms"):
            np.savez(
                tmp / VECNORM,
                obs_mean=venv.obs_rms.mean,
                obs_var=venv.obs_rms.var,
                obs_count=venv.obs_rms.count,
                ret_mean=venv.ret_rms.mean,
                ret_var=venv.ret_rms.var,
                ret_count=venv.ret_rms.count,
            )
        buffer = getattr(model, "replay_buffer", None)
        if buffer is not None:
            np.savez(tmp / BUFFER, pos=buffer.pos, full=buffer.full, **buffer_arrays(buffer))


def load_checkpoint(path: Path, model: Any, venv: Any) -> dict[str, Any]:
    """Restore a checkpoint into a freshly built ``model``/``venv``; returns ``state.json``."""
    load_sb3_params(model, th.load(path / PARAMS, map_location=model.device, weights_only=True))
    if getattr(model, "weights", None) is not None:  # ARS searches around this flat vector
        model.weights = th.nn.utils.parameters_to_vector(model.policy.parameters()).detach()
    state = json.loads((path / STATE).read_text())
    model.num_timesteps = int(state["num_timesteps"])
    model._n_updates = int(state["n_updates"])
    if (path / VECNORM).is_file():
        with np.load(path / VECNORM, allow_pickle=False) as stats:
            venv.obs_rms.mean, venv.obs_rms.var = stats["obs_mean"], stats["obs_var"]
            venv.obs_rms.count = float(stats["obs_count"])
            venv.ret_rms.mean, venv.ret_rms.var = stats["ret_mean"], stats["ret_var"]
            venv.ret_rms.count = float(stats["ret_count"])
    if (path / BUFFER).is_file():
        with np.load(path / BUFFER, allow_pickle=False) as data:
            restore_buffer(model.replay_buffer, data, int(data["pos"]), bool(data["full"]))
    return state


def sb3_params(model: Any) -> dict[str, Any]:
    """An SB3 model's weights and optimizer states, through SB3's public ``get_parameters``,
    plus SAC's learned entropy coefficient (a tensor SB3 saves outside its state dicts)."""
    params: dict[str, Any] = {"state_dicts": model.get_parameters()}
    if getattr(model, "log_ent_coef", None) is not None:
        params["log_ent_coef"] = model.log_ent_coef.detach().cpu()
    return params


def load_sb3_params(model: Any, params: dict[str, Any]) -> None:
    """Load :func:`sb3_params` into a freshly built model of the same shape."""
    model.set_parameters(params["state_dicts"], exact_match=True, device=model.device)
    if "log_ent_coef" in params:
        with th.no_grad():  # in place: the entropy optimizer holds this parameter
            model.log_ent_coef.copy_(params["log_ent_coef"].to(model.device))


def buffer_arrays(buffer: Any) -> dict[str, np.ndarray]:
    """The filled part of an SB3 replay buffer's arrays (views, not copies)."""
    size = buffer.buffer_size if buffer.full else buffer.pos
    return {
        name: getattr(buffer, name)[:size]
        for name in _BUFFER_ARRAYS
        if getattr(buffer, name, None) is not None
    }


def restore_buffer(buffer: Any, arrays: Any, pos: int, full: bool) -> None:
    """Copy :func:`buffer_arrays` (any mapping of arrays) back into a fresh replay buffer."""
    for name in _BUFFER_ARRAYS:
        if name in arrays and getattr(buffer, name, None) is not None:
            values = np.asarray(arrays[name])
            getattr(buffer, name)[: len(values)] = values
    buffer.pos, buffer.full = pos, full
