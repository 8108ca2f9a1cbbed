"""Loading a reward artifact of any kind in one call."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ilkit.rewards.artifact import (
    FORMAT,
    KINDS,
    MANIFEST,
    WEIGHTS,
    LearnedReward,
    LinearReward,
    RewardArtifactError,
    StateReward,
)
from ilkit.rewards.nets import NetReward


def load_reward(path: str | os.PathLike) -> LearnedReward:
    """Load a reward artifact directory in one call (JSON manifest + safetensors, no pickle)."""
    from safetensors.numpy import load_file

    path = Path(path)
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except FileNotFoundError:
        raise RewardArtifactError(f"{path} is not a reward artifact (no {MANIFEST})") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
        raise RewardArtifactError(
            f"{path / MANIFEST} is not valid JSON: {str(err)[:200]}"
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise RewardArtifactError(f"{path / MANIFEST} is not an {FORMAT} manifest")
    kind = manifest.get("kind")
    if kind not in KINDS:
        raise RewardArtifactError(f"{path / MANIFEST}: unknown reward kind {str(kind)[:40]!r}")
    try:
        arrays = load_file(str(path / WEIGHTS))
    except FileNotFoundError:
        raise RewardArtifactError(f"{path} has no {WEIGHTS}") from None
    except Exception as err:  # safetensors raises its own error types for corrupt headers
        raise RewardArtifactError(
            f"{path / WEIGHTS} is not a valid safetensors file: {err}"
        ) from None
    fields = {k: v for k, v in manifest.items() if k not in ("format", "format_version", "kind")}
    try:
        if kind == "state":
            reward: LearnedReward = StateReward(arrays["table"], fields)
        elif kind == "linear":
            reward = LinearReward(arrays["weights"], fields)
        else:
            reward = NetReward.from_arrays(arrays, fields)
    except KeyError as err:
        raise RewardArtifactError(f"{path / WEIGHTS} lacks the array {err}") from None
    reward.manifest = manifest
    return reward
