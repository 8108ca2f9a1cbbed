"""Neural rewards from imitation's reward nets, stored as plain layers and run in numpy.

:func:`from_reward_net` reads the layers of an imitation ``BasicRewardNet`` (GAIL's
discriminator, whose output is the logit, or a net fit to preferences) or
``BasicShapedRewardNet`` (AIRL: g(s, a) plus the potential shaping γh(s') − h(s)) into arrays
and a JSON layer list: input normalisation (``RunningNorm``), linear layers and activations.
Loading rebuilds the forward pass from that list, so a reward artifact never needs imitation,
torch or a pickle to be read.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ilkit.rewards.artifact import LearnedReward, RewardArtifactError

NET_KINDS = ("gail_logit", "airl_g", "airl_shaped", "preference")
ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    "leakyrelu": lambda x: np.where(x > 0, x, 0.01 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "identity": lambda x: x,
}


def _layers(seq, prefix: str) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """JSON layer list and arrays of one imitation MLP (an ``nn.Sequential``)."""
    layers: list[dict[str, Any]] = []
    arrays: dict[str, np.ndarray] = {}
    for i, module in enumerate(seq.children()):
        name = type(module).__name__.lower()
        key = f"{prefix}.{i}"
        if hasattr(module, "running_mean") and hasattr(module, "running_var"):
            layers.append({"type": "norm", "key": key, "eps": float(getattr(module, "eps", 1e-5))})
            arrays[f"{key}.mean"] = module.running_mean.detach().cpu().double().numpy()
            arrays[f"{key}.var"] = module.running_var.detach().cpu().double().numpy()
        elif name == "linear":
            layers.append({"type": "linear", "key": key})
            arrays[f"{key}.weight"] = module.weight.detach().cpu().double().numpy()
            arrays[f"{key}.bias"] = module.bias.detach().cpu().double().numpy()
        elif name in ACTIVATIONS:
            layers.append({"type": "act", "fn": name})
        elif name in ("flatten", "dropout", "squeezelayer", "identity"):
            continue
        else:
            raise RewardArtifactError(f"cannot store a reward-net layer {type(module).__name__}")
    return layers, arrays


def _space(space) -> dict[str, Any]:
    if hasattr(space, "n"):
        return {"type": "Discrete", "n": int(space.n)}
    return {"type": "Box", "dim": int(np.prod(space.shape))}


def from_reward_net(net: Any, *, kind: str, obs_norm: Any = None) -> NetReward:
    """A :class:`NetReward` from an imitation reward net (weights copied; the net is untouched).

    Args:
        net: GAIL's ``BasicRewardNet`` (``kind="gail_logit"``: the discriminator logit) or
            AIRL's ``BasicShapedRewardNet`` (``"airl_g"``: g(s, a) alone; ``"airl_shaped"``:
            g(s, a) + γ(1 − done)h(s') − h(s)), or a ``BasicRewardNet`` fit to preferences
            (``"preference"``: its output, a Bradley–Terry utility). Wrappers (``.base``) are
            unwrapped.
        obs_norm: the fixed observation standardisation the net was trained behind (anything
            with ``mean``, ``var``, ``clip``, ``epsilon``, e.g. ``ilkit.algorithms`` ObsNorm).
    """
    if kind not in NET_KINDS:
        raise RewardArtifactError(f"kind must be one of {', '.join(NET_KINDS)}, got {kind!r}")
    shaped = net
    while not hasattr(shaped, "potential") and hasattr(shaped, "base"):
        shaped = shaped.base
    if kind in ("gail_logit", "preference"):
        base = net
        while not hasattr(base, "mlp") and hasattr(base, "base"):
            base = base.base
        potential = None
    else:
        if not hasattr(shaped, "potential"):
            raise RewardArtifactError(f"{kind} needs AIRL's shaped reward net (with a potential)")
        base, potential = shaped.base, shaped.potential
    if not hasattr(base, "mlp"):
        raise RewardArtifactError(f"{type(net).__name__} is not an imitation BasicRewardNet")
    g_layers, arrays = _layers(base.mlp, "g")
    fields: dict[str, Any] = {
        "net_kind": kind,
        "inputs": {
            k: bool(getattr(base, f"use_{k}")) for k in ("state", "action", "next_state", "done")
        },  # fmt: skip
        "observation": _space(base.observation_space),
        "action": _space(base.action_space),
        "g_layers": g_layers,
    }
    if kind == "airl_shaped":
        h_layers, h_arrays = _layers(potential._potential_net, "h")
        fields["h_layers"] = h_layers
        fields["discount"] = float(shaped.discount_factor)
        arrays.update(h_arrays)
    if obs_norm is not None:
        get = obs_norm.get if isinstance(obs_norm, dict) else lambda k: getattr(obs_norm, k)
        arrays["obs_norm.mean"] = np.asarray(get("mean"), dtype=np.float64)
        arrays["obs_norm.var"] = np.asarray(get("var"), dtype=np.float64)
        fields["obs_norm"] = {"clip": float(get("clip")), "epsilon": float(get("epsilon"))}
    return NetReward(arrays, fields)


def _forward(layers: list[dict[str, Any]], arrays: dict[str, np.ndarray], x: np.ndarray):
    try:
        for layer in layers:
            if layer["type"] == "norm":
                mean, var = arrays[f"{layer['key']}.mean"], arrays[f"{layer['key']}.var"]
                x = (x - mean) / np.sqrt(var + float(layer["eps"]))
            elif layer["type"] == "linear":
                x = x @ arrays[f"{layer['key']}.weight"].T + arrays[f"{layer['key']}.bias"]
            elif layer["type"] == "act" and layer.get("fn") in ACTIVATIONS:
                x = ACTIVATIONS[layer["fn"]](x)
            else:
                raise RewardArtifactError(f"unknown reward-net layer {str(layer)[:60]}")
    except (KeyError, TypeError, ValueError) as err:
        raise RewardArtifactError(f"reward-net arrays do not fit its layers: {err}") from None
    return x.reshape(len(x))


class NetReward(LearnedReward):
    """A neural reward (see the module docstring), evaluated in numpy."""

    kind = "net"

    def __init__(self, arrays: dict[str, np.ndarray], fields: dict[str, Any]):
        super().__init__(arrays, fields)
        for key in ("net_kind", "inputs", "observation", "action", "g_layers"):
            if key not in self.fields:
                raise RewardArtifactError(f"a net reward's manifest lacks {key!r}")

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], fields: dict[str, Any]) -> NetReward:
        return cls(arrays, fields)

    def _norm(self, obs: np.ndarray) -> np.ndarray:
        obs = np.asarray(obs, dtype=np.float64).reshape(len(obs), -1)
        if "obs_norm.mean" not in self.arrays:
            return obs
        spec = self.fields.get("obs_norm", {})
        mean, var = self.arrays["obs_norm.mean"], self.arrays["obs_norm.var"]
        clip = float(spec.get("clip", 10.0))
        return np.clip((obs - mean) / np.sqrt(var + float(spec.get("epsilon", 1e-8))), -clip, clip)

    def __call__(self, obs, acts, next_obs, dones=None, *, env_id=None):
        f = self.fields
        s, s2 = self._norm(obs), self._norm(next_obs)
        n = len(s)
        dones = np.zeros(n) if dones is None else np.asarray(dones, dtype=np.float64).reshape(n)
        acts = np.asarray(acts)
        if f["action"]["type"] == "Discrete":
            a = np.eye(f["action"]["n"])[acts.reshape(n).astype(np.int64)]
        else:
            a = acts.reshape(n, -1).astype(np.float64)
        parts = [p for p, use in ((s, "state"), (a, "action"), (s2, "next_state"),
                                  (dones[:, None], "done")) if f["inputs"][use]]  # fmt: skip
        r = _forward(f["g_layers"], self.arrays, np.concatenate(parts, axis=1))
        if f["net_kind"] == "airl_shaped":
            h = _forward(f["h_layers"], self.arrays, s)
            h2 = _forward(f["h_layers"], self.arrays, s2)
            r = r + float(f["discount"]) * (1.0 - dones) * h2 - h
        return r
