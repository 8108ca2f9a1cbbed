"""Weights-only policy artifacts: ``policy.safetensors`` + ``manifest.json`` in one directory.

Every policy ilkit ships (experts), produces (BC, DAgger, GAIL, AIRL) or scores (leaderboard
submissions) is stored this way. Loading rebuilds the network from the manifest's declared
architecture and fills it from safetensors, so no file is ever unpickled.

Kinds of policy (``manifest["kind"]``):

* ``actor_critic``: Stable-Baselines3's ``ActorCriticPolicy`` (PPO/A2C, and imitation's BC,
  DAgger, GAIL and AIRL policies) with an MLP and ``FlattenExtractor``.
* ``sac_actor``: SB3's SAC actor (TQC's actor has the same layout).
* ``ars``: sb3-contrib's ARS policy (a linear map, or an MLP, from observations to actions).
* ``mdn``: a mixture-density policy for continuous actions (:mod:`ilkit.policies.mdn`).
* ``mlp``: a plain PyTorch ``nn.Sequential`` of Linear and activation layers
  (:mod:`ilkit.policies.mlp`; written by :func:`ilkit.policies.export`).
* ``scripted``: a named controller from :mod:`ilkit.policies.scripted` (no weights).

An optional observation normalisation (VecNormalize's running mean/var, epsilon and clip) is
stored with the weights and applied inside ``predict``.
"""

from __future__ import annotations

import json
import os
import platform
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch as th
from gymnasium import spaces
from safetensors.numpy import load_file as load_numpy
from safetensors.torch import save_file

from ilkit import atomic
from ilkit.policies.nets import ACTIVATIONS, MAX_LAYERS, ArtifactError
from ilkit.policies.spaces import space_from_json, space_to_json

FORMAT = "ilkit-policy"
FORMAT_VERSION = 1
WEIGHTS = "policy.safetensors"
MANIFEST = "manifest.json"
OBS_MEAN, OBS_VAR = "obs_norm.mean", "obs_norm.var"
__all__ = ["ACTIVATIONS", "ArtifactError", "ArtifactPolicy", "load_policy", "save_policy"]


def resolve_device(device: str | th.device = "auto") -> th.device:
    """``"auto"``: CUDA when available, else CPU."""
    if str(device) == "auto":
        return th.device("cuda" if th.cuda.is_available() else "cpu")
    return th.device(device)


def versions() -> dict[str, str]:
    """Library versions recorded in every artifact."""
    import gymnasium
    import stable_baselines3

    import ilkit

    return {
        "ilkit": ilkit.__version__,
        "python": platform.python_version(),
        "torch": th.__version__,
        "numpy": np.__version__,
        "gymnasium": gymnasium.__version__,
        "stable_baselines3": stable_baselines3.__version__,
    }


def _activation_name(fn: type) -> str:
    for name, cls in ACTIVATIONS.items():
        if fn is cls:
            return name
    raise ArtifactError(f"activation {fn.__name__} cannot be stored in an ilkit policy artifact")


def describe(policy: th.nn.Module) -> tuple[str, dict[str, Any]]:
    """The ``(kind, architecture)`` fields that rebuild an SB3 policy module."""
    from stable_baselines3.common.policies import ActorCriticPolicy
    from stable_baselines3.common.torch_layers import FlattenExtractor
    from stable_baselines3.sac.policies import Actor

    from ilkit.policies import mdn, mlp

    if isinstance(policy, mdn.MDNPolicy):
        return mdn.KIND, policy.architecture()
    if isinstance(policy, mlp.MLPPolicy):
        return mlp.KIND, policy.architecture()
    if _is_ars(policy):
        return "ars", {
            "net_arch": list(policy.net_arch),
            "activation": _activation_name(policy.activation_fn),
            "with_bias": any(
                isinstance(m, th.nn.Linear) and m.bias is not None for m in policy.modules()
            ),
            "squash_output": policy.squash_output,
        }
    if not isinstance(policy.features_extractor, FlattenExtractor):
        raise ArtifactError("only MLP policies with SB3's FlattenExtractor can be stored")
    if isinstance(policy, ActorCriticPolicy):
        if policy.use_sde:
            raise ArtifactError("gSDE policies are not supported by the artifact format")
        return "actor_critic", {
            "net_arch": policy.net_arch,
            "activation": _activation_name(policy.activation_fn),
            "share_features_extractor": policy.share_features_extractor,
            "log_std_init": policy.log_std_init,
            "squash_output": policy.squash_output,
        }
    if isinstance(policy, Actor):  # SAC's actor; TQC's has the same layout
        if policy.use_sde:
            raise ArtifactError("gSDE policies are not supported by the artifact format")
        return "sac_actor", {
            "net_arch": list(policy.net_arch),
            "activation": _activation_name(policy.activation_fn),
            "log_std_init": policy.log_std_init,
        }
    raise ArtifactError(f"cannot store a policy of type {type(policy).__name__}")


def _is_ars(policy: th.nn.Module) -> bool:
    # by module name: sb3-contrib is imported only for the artifacts that need it
    return type(policy).__module__.startswith("sb3_contrib.ars")


class _NoOptimizer:
    """Stands in for SB3's optimizer in policies rebuilt for inference: building a real torch
    optimizer imports torch._dynamo (about 2 s per process) for nothing."""

    def __init__(self, params, lr: float = 0.0, **kwargs):
        pass


def build_module(
    kind: str, arch: dict[str, Any], obs_space: spaces.Space, act_space: spaces.Space
) -> th.nn.Module:
    """Rebuild an (untrained) SB3 policy module from declared fields: never unpickles."""
    from stable_baselines3.common.policies import ActorCriticPolicy
    from stable_baselines3.common.preprocessing import get_flattened_obs_dim
    from stable_baselines3.common.torch_layers import FlattenExtractor
    from stable_baselines3.sac.policies import Actor

    try:
        activation = ACTIVATIONS[arch.get("activation", "tanh")]
        if kind == "actor_critic":
            return ActorCriticPolicy(
                obs_space,
                act_space,
                lr_schedule=lambda _: 0.0,
                net_arch=arch["net_arch"],
                activation_fn=activation,
                share_features_extractor=bool(arch.get("share_features_extractor", True)),
                log_std_init=float(arch.get("log_std_init", 0.0)),
                squash_output=bool(arch.get("squash_output", False)),
                optimizer_class=_NoOptimizer,
            )
        if kind == "sac_actor":
            if not isinstance(act_space, spaces.Box):
                raise ArtifactError("a sac_actor policy needs a continuous action space")
            return Actor(
                obs_space,
                act_space,
                net_arch=[int(n) for n in arch["net_arch"]],
                features_extractor=FlattenExtractor(obs_space),
                features_dim=get_flattened_obs_dim(obs_space),
                activation_fn=activation,
                log_std_init=float(arch.get("log_std_init", -3.0)),
            )
        if kind == "ars":
            from sb3_contrib.ars.policies import ARSPolicy

            return ARSPolicy(
                obs_space,
                act_space,
                net_arch=[int(n) for n in arch["net_arch"]],
                activation_fn=activation,
                with_bias=bool(arch.get("with_bias", True)),
                squash_output=bool(arch.get("squash_output", False)),
            )
        if kind == "mdn":
            from ilkit.policies import mdn

            return mdn.build(arch, obs_space, act_space, ACTIVATIONS)
        if kind == "mlp":
            from ilkit.policies import mlp

            return mlp.MLPPolicy(arch["layers"], obs_space, act_space)
    except (KeyError, TypeError, ValueError) as err:
        raise ArtifactError(f"bad architecture for kind {kind!r}: {err}") from None
    raise ArtifactError(f"unknown policy kind {kind!r}")


class ArtifactPolicy:
    """A loaded artifact, with SB3's ``predict`` interface (batched or single observations)."""

    def __init__(
        self,
        manifest: dict[str, Any],
        module: th.nn.Module | None,
        obs_norm: tuple[np.ndarray, np.ndarray] | None,
        device: th.device,
    ):
        self.manifest = manifest
        self.module = module
        self.observation_space = space_from_json(manifest["observation_space"])
        self.action_space = space_from_json(manifest["action_space"])
        self.device = device
        self._obs_norm = obs_norm
        norm = manifest.get("obs_norm") or {}
        self._clip = float(norm.get("clip", 10.0))
        self._eps = float(norm.get("epsilon", 1e-8))
        self._controller = None
        if manifest["kind"] == "scripted":
            from ilkit.policies import scripted

            name = manifest.get("controller")
            if name == scripted.UNIFORM_RANDOM:
                seed = int(manifest.get("seed", 0))
                self._controller = scripted.RandomPolicy(self.action_space, seed)
            else:
                self._controller = scripted.get_controller(name)

    @property
    def env_id(self) -> str | None:
        return self.manifest.get("env_id")

    def normalize_obs(self, obs: np.ndarray) -> np.ndarray:
        if self._obs_norm is None:
            return obs
        mean, var = self._obs_norm
        return np.clip((obs - mean) / np.sqrt(var + self._eps), -self._clip, self._clip).astype(
            np.float32
        )

    def predict(
        self,
        observation: np.ndarray,
        state: tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, None]:
        obs = np.asarray(observation)
        if self._controller is not None:
            single = obs.shape == self.observation_space.shape
            batch = obs[None] if single else obs
            actions = np.asarray(self._controller(batch))
            return (actions[0] if single else actions), None
        return self.module.predict(self.normalize_obs(obs), state, episode_start, deterministic)

    def __call__(self, observation: np.ndarray) -> np.ndarray:
        return self.predict(observation)[0]


def save_policy(
    path: str | os.PathLike,
    *,
    env_id: str,
    manifest: dict[str, Any],
    module: th.nn.Module | None = None,
    obs_norm: dict[str, Any] | None = None,
    observation_space: spaces.Space | None = None,
    action_space: spaces.Space | None = None,
    overwrite: bool = False,
) -> Path:
    """Write an artifact directory atomically (:func:`ilkit.atomic.staged_directory`).

    Args:
        path: the artifact directory to create.
        env_id: the task the policy acts in.
        manifest: free-form JSON fields (algorithm, hyperparameters, budgets used, evaluation
            figures ...); ``kind: scripted`` plus ``controller`` for a scripted policy.
        module: the SB3 policy module (``model.policy`` or ``model.actor``); None if scripted.
        obs_norm: ``{"mean", "var", "clip", "epsilon"}`` of a VecNormalize, if one was used.
        observation_space, action_space: default to the module's spaces.
        overwrite: replace an existing artifact (the old one stays intact until the rename).
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise ArtifactError(f"{path} exists (pass overwrite=True / --force to replace it)")
    data = dict(manifest)
    tensors: dict[str, th.Tensor] = {}
    if module is not None:
        kind, arch = describe(module)
        data.update(kind=kind, architecture=arch)
        tensors = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
        observation_space = observation_space or module.observation_space
        action_space = action_space or module.action_space
    elif data.get("kind") != "scripted":
        raise ArtifactError("save_policy needs a module, or kind='scripted' with a controller")
    if observation_space is None or action_space is None:
        raise ArtifactError("save_policy needs the observation and action spaces")
    if obs_norm is not None:
        tensors[OBS_MEAN] = th.as_tensor(np.asarray(obs_norm["mean"], dtype=np.float64))
        tensors[OBS_VAR] = th.as_tensor(np.asarray(obs_norm["var"], dtype=np.float64))
        data["obs_norm"] = {
            "clip": float(obs_norm.get("clip", 10.0)),
            "epsilon": float(obs_norm.get("epsilon", 1e-8)),
        }
    data.update(
        format=FORMAT,
        format_version=FORMAT_VERSION,
        env_id=env_id,
        observation_space=space_to_json(observation_space),
        action_space=space_to_json(action_space),
    )
    data.setdefault("versions", versions())
    with atomic.staged_directory(path, replace=overwrite) as tmp:
        # files readable by others whatever the umask: an artifact is meant to be shared
        atomic.write_text(tmp / MANIFEST, json.dumps(data, indent=2, sort_keys=True) + "\n")
        if tensors:
            save_file(tensors, str(tmp / WEIGHTS))
            (tmp / WEIGHTS).chmod(0o644)
    return path


def read_manifest(path: str | os.PathLike) -> dict[str, Any]:
    path = Path(path)
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except FileNotFoundError:
        raise ArtifactError(f"{path} is not a policy artifact (no {MANIFEST})") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
        raise ArtifactError(f"{path / MANIFEST} is not valid JSON: {str(err)[:200]}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArtifactError(f"{path / MANIFEST} is not an {FORMAT} manifest")
    for field in ("kind", "observation_space", "action_space"):
        if field not in manifest:
            raise ArtifactError(f"{path / MANIFEST} lacks the field {field!r}")
    check_manifest(manifest, str(path / MANIFEST))
    return manifest


KINDS = ("actor_critic", "sac_actor", "ars", "mdn", "mlp", "scripted")
MAX_COMPONENTS = 256


def check_manifest(manifest: dict[str, Any], where: str) -> None:
    """Strict, typed check of the fields that rebuild a policy; a bad one is one line.

    A manifest may come from a stranger: a negative layer width, a string where a number
    belongs or a nested structure where a list of ints belongs must be an :class:`ArtifactError`
    here, not a traceback from deep inside torch or SB3.
    """

    def fail(what: str) -> ArtifactError:
        return ArtifactError(f"{where}: {what}")

    kind = manifest.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        shown = repr(kind)[:40] if isinstance(kind, str) else type(kind).__name__
        raise fail(f"unknown policy kind {shown} (one of {', '.join(KINDS)})")
    for field in ("observation_space", "action_space", "training", "obs_norm"):
        if field in manifest and not isinstance(manifest[field], dict):
            raise fail(f"{field} must be an object, not {type(manifest[field]).__name__}")
    if "env_id" in manifest and not isinstance(manifest["env_id"], str):
        raise fail("env_id must be a string")
    if kind == "scripted":
        if not isinstance(manifest.get("controller"), str):
            raise fail("a scripted policy names its controller (a string)")
        return
    arch = manifest.get("architecture", {})
    if not isinstance(arch, dict):
        raise fail(f"architecture must be an object, not {type(arch).__name__}")
    if kind == "mlp":
        from ilkit.policies.mlp import check_layers

        check_layers(arch.get("layers"), fail)
        return
    net_arch = arch.get("net_arch", [])
    layers = net_arch
    if isinstance(net_arch, dict) and kind == "actor_critic":
        if set(net_arch) - {"pi", "vf"}:
            raise fail("net_arch as an object has only the keys 'pi' and 'vf'")
        layers = [w for part in net_arch.values() for w in _layer_list(part, fail)]
    _layer_list(layers, fail)
    activation = arch.get("activation", "tanh")
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        shown = repr(activation)[:40] if isinstance(activation, str) else type(activation).__name__
        raise fail(f"unknown activation {shown} (one of {', '.join(ACTIVATIONS)})")
    for field in ("log_std_init",):
        value = arch.get(field, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
            raise fail(f"architecture.{field} must be a finite number")
    for field in ("share_features_extractor", "squash_output", "with_bias"):
        if field in arch and not isinstance(arch[field], bool):
            raise fail(f"architecture.{field} must be true or false")
    if kind == "mdn":
        k = arch.get("n_components")
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_COMPONENTS:
            raise fail(f"architecture.n_components must be an integer in [1, {MAX_COMPONENTS}]")


def _layer_list(layers: Any, fail) -> list[int]:
    if not isinstance(layers, list) or len(layers) > MAX_LAYERS:
        raise fail(f"net_arch must be a list of at most {MAX_LAYERS} layer widths")
    for width in layers:
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
            raise fail(f"net_arch holds {str(width)[:20]!r}: layer widths are positive integers")
    return layers


def load_policy(path: str | os.PathLike, device: str | th.device = "auto") -> ArtifactPolicy:
    """Load an artifact directory: JSON manifest + safetensors weights, never a pickle."""
    path = Path(path)
    manifest = read_manifest(path)
    dev = resolve_device(device)
    try:
        obs_space = space_from_json(manifest["observation_space"])
        act_space = space_from_json(manifest["action_space"])
    except (KeyError, TypeError, ValueError) as err:
        raise ArtifactError(f"{path / MANIFEST}: bad space: {err}") from None
    if manifest["kind"] == "scripted":
        return ArtifactPolicy(manifest, None, None, dev)
    try:
        arrays = load_numpy(str(path / WEIGHTS))
    except FileNotFoundError:
        raise ArtifactError(f"{path} has no {WEIGHTS}") from None
    except Exception as err:  # safetensors raises its own error types for corrupt headers
        raise ArtifactError(f"{path / WEIGHTS} is not a valid safetensors file: {err}") from None
    obs_norm = None
    if OBS_MEAN in arrays:
        obs_norm = (arrays.pop(OBS_MEAN), arrays.pop(OBS_VAR))
    module = build_module(manifest["kind"], manifest.get("architecture", {}), obs_space, act_space)
    fit_weights(
        module, {k: th.from_numpy(v) for k, v in arrays.items()}, str(path / WEIGHTS), manifest
    )
    module.to(dev).eval()
    module.set_training_mode(False)
    return ArtifactPolicy(manifest, module, obs_norm, dev)


def fit_weights(
    module: th.nn.Module, state: dict[str, th.Tensor], where: str, manifest: dict[str, Any]
) -> None:
    """Load ``state`` into ``module`` strictly; a misfit names every missing, unexpected and
    wrongly shaped key (one line), so a submitter sees at once what the file lacks."""
    expected = module.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = sorted(k for k in state if k not in expected)
    shapes = [
        f"{k} {list(state[k].shape)} (expected {list(v.shape)})"
        for k, v in expected.items()
        if k in state and tuple(state[k].shape) != tuple(v.shape)
    ]
    problems = []
    if missing:
        problems.append("missing keys: " + ", ".join(missing))
    if unexpected:
        problems.append("unexpected keys: " + ", ".join(unexpected))
    if shapes:
        problems.append("wrong shapes: " + ", ".join(shapes))
    if not problems:
        try:
            module.load_state_dict(state, strict=True)
            return
        except RuntimeError as err:
            problems.append(" ".join(str(err).split()))
    kind = manifest.get("kind")
    sequential = any(re.fullmatch(r"\d+\.(weight|bias)", k) for k in unexpected)
    hint = (
        "; these are a plain nn.Sequential's names: write it with ilkit.policies.export "
        "(kind 'mlp')"
        if sequential and kind != "mlp"
        else ""
    )
    raise ArtifactError(
        f"{where} does not fit the declared architecture (kind {kind!r}): "
        + "; ".join(problems)
        + hint
    )
