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


def same_shape(a: spaces.Space, b: spaces.Space) -> bool:
    """Whether a policy for space ``a`` can act in space ``b`` (type, shape, and n or bounds)."""
    if isinstance(a, spaces.Discrete) and isinstance(b, spaces.Discrete):
        return a.n == b.n and a.start == b.start
    if isinstance(a, spaces.Box) and isinstance(b, spaces.Box):
        return a.shape == b.shape
    return False
