"""Gymnasium spaces <-> plain JSON (Box and Discrete: all that ilkit's tasks use)."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces


def _encode(values: np.ndarray) -> list:
    # JSON has no inf; keep the manifest strictly valid JSON.
    return [v if np.isfinite(v) else ("inf" if v > 0 else "-inf") for v in values.ravel().tolist()]


def space_to_json(space: spaces.Space) -> dict[str, Any]:
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.Box):
        return {
            "type": "Box",
            "shape": list(space.shape),
            "dtype": str(space.dtype),
            "low": _encode(space.low),
            "high": _encode(space.high),
        }
    raise TypeError(f"unsupported space {space}")


def space_from_json(data: dict[str, Any]) -> spaces.Space:
    kind = data.get("type")
    if kind == "Discrete":
        return spaces.Discrete(int(data["n"]), start=int(data.get("start", 0)))
    if kind == "Box":
        shape = tuple(int(d) for d in data["shape"])
        low = np.array([float(v) for v in data["low"]], dtype=np.float64).reshape(shape)
        high = np.array([float(v) for v in data["high"]], dtype=np.float64).reshape(shape)
        return spaces.Box(low, high, shape=shape, dtype=np.dtype(data["dtype"]))
    raise ValueError(f"unsupported space type {kind!r}")


def same_space(a: spaces.Space, b: spaces.Space, *, exact: bool = False) -> bool:
    """Whether ``a`` and ``b`` match: the one space comparison in ilkit.

    ``exact=False``: a policy for ``a`` can act in ``b`` (Discrete: n and start; Box: shape).
    ``exact=True``: also the Box dtype and bounds (a dataset records exactly its task's spaces).
    """
    if isinstance(a, spaces.Discrete) and isinstance(b, spaces.Discrete):
        return a.n == b.n and a.start == b.start
    if isinstance(a, spaces.Box) and isinstance(b, spaces.Box):
        return a.shape == b.shape and (
            not exact
            or (
                a.dtype == b.dtype
                and np.array_equal(a.low, b.low)
                and np.array_equal(a.high, b.high)
            )
        )
    return exact and type(a) is type(b) and a == b


def policy_misfit(policy: Any, env: Any, env_id: str) -> str | None:
    """Why ``policy`` cannot act in ``env`` (its declared spaces differ), or None if it can.

    A policy that declares no ``observation_space`` / ``action_space`` is taken on trust.
    """
    for name in ("observation_space", "action_space"):
        space = getattr(policy, name, None)
        if space is not None and not same_space(space, getattr(env, name)):
            return f"policy {name} {space} does not fit {env_id}'s {getattr(env, name)}"
    return None
