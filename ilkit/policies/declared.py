"""Declared policies: a JSON manifest naming a task, an architecture and a weights file.

The form in which people hand in policies trained outside ilkit::

    {"env_id": "ilkit/CartPole-v0", "kind": "actor_critic",
     "architecture": {"net_arch": [64, 64], "activation": "tanh"},
     "weights": "ppo_cartpole.zip", "training": {"offline": false, "env_steps": 20000}}

``weights`` is an SB3 ``.zip`` (only its ``policy.pth`` member is read, with
``torch.load(weights_only=True)``; the pickled ``data`` member never is), a ``.safetensors``
file, or a ``.pt``/``.pth`` state dict (``weights_only=True``). Pickle files are refused. The
file may come from a stranger (``ilkit evaluate``, leaderboard submissions): every read is
size-capped and nothing is ever unpickled.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Any

from ilkit.policies.artifact import ArtifactError, check_manifest

MB = 2**20
MAX_JSON_BYTES = 1 * MB
MAX_WEIGHTS_BYTES = 256 * MB
CHUNK = 1 << 16
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".npy", ".npz", ".cloudpickle")


class UnsafeFileError(ArtifactError):
    """A file refused for safety: pickle payload, path traversal, oversized file."""


def read_json(path: Path) -> Any:
    """A JSON file of at most :data:`MAX_JSON_BYTES`, or :class:`ArtifactError`."""
    if path.stat().st_size > MAX_JSON_BYTES:
        raise UnsafeFileError(f"{path.name} is larger than {MAX_JSON_BYTES} bytes")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
        raise ArtifactError(f"{path.name} is not valid JSON: {str(err)[:200]}") from None


def read_zip_member(zip_path: Path, member: str, max_bytes: int = MAX_WEIGHTS_BYTES) -> bytes:
    """One member of a zip (e.g. SB3's ``policy.pth``), counting the bytes actually read."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            found = None
            for info in archive.infolist():
                name = info.filename
                if PurePosixPath(name).is_absolute() or ".." in PurePosixPath(name).parts:
                    raise UnsafeFileError(f"zip member {name!r} escapes the archive (..)")
                if name == member and not info.is_dir():
                    found = info
            if found is None:
                raise ArtifactError(f"{zip_path.name} has no member {member!r}")
            if found.file_size > max_bytes:
                raise UnsafeFileError(f"{zip_path.name}:{member} is larger than {max_bytes} bytes")
            buffer = io.BytesIO()
            with archive.open(found) as src:
                while chunk := src.read(CHUNK):
                    if buffer.tell() + len(chunk) > max_bytes:
                        raise UnsafeFileError(
                            f"{zip_path.name}:{member} is larger than {max_bytes} bytes"
                        )
                    buffer.write(chunk)
            return buffer.getvalue()
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError) as err:
        # corrupt deflate data raises zlib.error; an encrypted member, RuntimeError
        reason = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
        if isinstance(err, RuntimeError) and "encrypted" in reason:
            reason = "a member is encrypted (password-protected archives are refused)"
        raise ArtifactError(f"{zip_path.name} is not a readable zip file: {reason}") from None


def load_declared(
    manifest_path: Path, device: str = "auto", max_file_bytes: int = MAX_WEIGHTS_BYTES
):
    """Build a policy from a declared JSON manifest and a weights-only weights file."""
    import numpy as np
    import torch as th
    from safetensors.numpy import load_file

    from ilkit.envs import make
    from ilkit.envs.tasks import spec
    from ilkit.policies.artifact import ArtifactPolicy, build_module, fit_weights, resolve_device
    from ilkit.policies.spaces import space_from_json, space_to_json

    manifest = read_json(manifest_path)
    if not isinstance(manifest, dict):
        raise ArtifactError(f"{manifest_path.name} is not a JSON object")
    for key in ("env_id", "kind", "architecture", "weights"):
        if key not in manifest:
            raise ArtifactError(f"{manifest_path.name} lacks the field {key!r}")
    if manifest["kind"] == "scripted":
        raise ArtifactError(f"{manifest_path.name}: a declared policy has weights, not a script")
    check_manifest(manifest, manifest_path.name)
    if not isinstance(manifest["weights"], str):
        raise ArtifactError(f"{manifest_path.name}: weights must be a file name")
    task = spec(str(manifest["env_id"]))
    weights = _inside(manifest_path.parent, str(manifest["weights"]))
    suffix = weights.name.lower()
    if suffix.endswith(PICKLE_SUFFIXES) or not suffix.endswith(
        (".zip", ".safetensors", ".pt", ".pth")
    ):
        raise UnsafeFileError(
            f"refusing to load {weights.name}: only .safetensors, .pt/.pth state dicts and SB3 "
            ".zip files are read (pickle files are never loaded)"
        )
    if not weights.is_file():
        raise ArtifactError(f"{manifest_path.name}: weights file {weights.name} not found")
    if weights.stat().st_size > max_file_bytes:
        raise UnsafeFileError(f"{weights.name} is larger than {max_file_bytes} bytes")
    if suffix.endswith(".safetensors"):
        try:
            state = {k: th.from_numpy(v) for k, v in load_file(str(weights)).items()}
        except Exception as err:
            raise ArtifactError(f"{weights.name} is not a valid safetensors file: {err}") from None
    elif suffix.endswith(".zip"):
        state = load_state_dict_bytes(
            read_zip_member(weights, "policy.pth", max_file_bytes), f"{weights.name}:policy.pth"
        )
    else:
        state = load_state_dict_bytes(weights.read_bytes(), weights.name)

    env = make(task.id)  # the public task: only its spaces are read
    try:
        obs_space = (
            space_from_json(manifest["observation_space"])
            if "observation_space" in manifest
            else env.observation_space
        )
        act_space = (
            space_from_json(manifest["action_space"])
            if "action_space" in manifest
            else env.action_space
        )
    except (KeyError, TypeError, ValueError) as err:
        raise ArtifactError(f"{manifest_path.name}: bad space: {err}") from None
    finally:
        env.close()
    kind = str(manifest["kind"])
    if kind == "sac_actor" and any(k.startswith("actor.") for k in state):
        state = {k[len("actor.") :]: v for k, v in state.items() if k.startswith("actor.")}
    module = build_module(kind, manifest["architecture"], obs_space, act_space)
    fit_weights(module, state, weights.name, manifest)
    dev = resolve_device(device)
    module.to(dev).eval()
    module.set_training_mode(False)
    obs_norm = None
    norm = manifest.get("obs_norm")
    if isinstance(norm, dict) and "mean" in norm and "var" in norm:
        obs_norm = (
            np.asarray(norm["mean"], dtype=np.float64),
            np.asarray(norm["var"], dtype=np.float64),
        )
    full = {
        **manifest,
        "kind": kind,
        "observation_space": space_to_json(obs_space),
        "action_space": space_to_json(act_space),
    }
    return ArtifactPolicy(full, module, obs_norm, dev)


def load_state_dict_bytes(data: bytes, origin: str) -> dict[str, Any]:
    """A ``torch.save``-d state dict, read with ``weights_only=True`` (refuses pickled code)."""
    import torch as th

    try:
        state = th.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as err:  # the restricted unpickler raises UnpicklingError and friends
        lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
        # torch explains at length; the line naming the refused global is the useful one
        detail = next(
            (ln for ln in lines if "Unsupported" in ln or "GLOBAL" in ln),
            lines[0] if lines else type(err).__name__,
        )
        raise UnsafeFileError(f"{origin} would need unpickling (refused): {detail[:200]}") from None
    if not isinstance(state, dict) or not all(isinstance(v, th.Tensor) for v in state.values()):
        raise ArtifactError(f"{origin} is not a state dict of tensors")
    return dict(state)


def _inside(root: Path, relative: str) -> Path:
    """``root / relative``, refusing paths that leave ``root``."""
    target = (root / relative).resolve()
    if os.path.commonpath([target, root.resolve()]) != str(root.resolve()):
        raise UnsafeFileError(f"weights path {relative!r} leaves the submission directory")
    return target
