"""Plain-PyTorch policies: an ``nn.Sequential`` of Linear and activation layers, and
:func:`export`, the supported way for a policy trained outside ilkit to become a submission.

The network maps a (flattened, optionally normalised) observation to action *logits* on a
discrete task (the action is their argmax) or to action *means* on a continuous one (the action
is the mean, clipped to the action bounds). The artifact (kind ``mlp``) stores the layer list in
its manifest and the weights under the ``nn.Sequential``'s own names (``0.weight``,
``0.bias``, ``2.weight`` ...): no Stable-Baselines3 names, no dummy value head or ``log_std``::

    net = torch.nn.Sequential(torch.nn.Linear(4, 64), torch.nn.Tanh(), torch.nn.Linear(64, 2))
    ... train it on the expert dataset ...
    ilkit.policies.export(net, "ilkit/CartPole-v0", "my-submission")

(:func:`ilkit.policies.plain.export`.)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch as th
from gymnasium import spaces

from ilkit.policies.nets import ACTIVATIONS, MAX_LAYERS, ArtifactError

KIND = "mlp"
MAX_WIDTH = 1 << 16


def _action_dim(act_space: spaces.Space) -> int:
    if isinstance(act_space, spaces.Discrete):
        return int(act_space.n)
    if isinstance(act_space, spaces.Box):
        return int(math.prod(act_space.shape))
    raise ArtifactError(
        f"an mlp policy acts in a Discrete or Box action space, not {type(act_space).__name__}"
    )


def obs_dim(obs_space: spaces.Space) -> int:
    if not isinstance(obs_space, spaces.Box):
        raise ArtifactError(
            f"an mlp policy reads a Box observation space, not {type(obs_space).__name__}"
        )
    return int(math.prod(obs_space.shape))


class MLPPolicy(th.nn.Sequential):
    """A ``Sequential`` of Linear and activation layers with SB3's ``predict`` interface."""

    def __init__(
        self,
        layers: list[dict[str, Any]],
        observation_space: spaces.Space,
        action_space: spaces.Space,
    ):
        modules: list[th.nn.Module] = []
        width = obs_dim(observation_space)
        out = _action_dim(action_space)
        n_linear = 0
        for i, layer in enumerate(layers):
            if "linear" in layer:
                n_in, n_out = layer["linear"]
                if n_in != width:
                    raise ArtifactError(
                        f"layer {i} (Linear) takes {n_in} inputs but receives {width} "
                        f"({'the observation' if n_linear == 0 else 'the previous layer'})"
                    )
                modules.append(th.nn.Linear(n_in, n_out, bias=bool(layer.get("bias", True))))
                width, n_linear = n_out, n_linear + 1
            else:
                modules.append(ACTIVATIONS[layer["activation"]]())
        if n_linear == 0:
            raise ArtifactError("an mlp policy needs at least one Linear layer")
        if width != out:
            what = "action logits" if isinstance(action_space, spaces.Discrete) else "action means"
            raise ArtifactError(
                f"the last Linear layer gives {width} outputs; the task needs {out} {what}"
            )
        super().__init__(*modules)
        self.layers = [dict(layer) for layer in layers]
        self.observation_space = observation_space
        self.action_space = action_space

    def architecture(self) -> dict[str, Any]:
        return {"layers": [dict(layer) for layer in self.layers]}

    def set_training_mode(self, mode: bool) -> None:
        self.train(mode)

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, None]:
        """Greedy actions (a deterministic policy: ``deterministic`` changes nothing)."""
        obs = np.asarray(observation, dtype=np.float32)
        single = obs.shape == self.observation_space.shape
        batch = obs.reshape(1 if single else len(obs), -1)
        device = next(self.parameters()).device
        with th.no_grad():
            out = self(th.as_tensor(batch, device=device)).cpu().numpy()
        if isinstance(self.action_space, spaces.Discrete):
            actions = out.argmax(axis=1).astype(np.int64)
        else:
            space = self.action_space
            actions = np.clip(out.reshape(len(out), *space.shape), space.low, space.high)
            actions = actions.astype(space.dtype)
        return (actions[0] if single else actions), None


def layers_of(module: th.nn.Module) -> list[dict[str, Any]]:
    """The manifest's layer list of a plain ``nn.Sequential``; anything else is one line."""
    if not isinstance(module, th.nn.Sequential):
        raise ArtifactError(
            f"export takes a torch.nn.Sequential of Linear and activation layers, not "
            f"{type(module).__name__}"
        )
    layers: list[dict[str, Any]] = []
    defaults = {th.nn.LeakyReLU: ("negative_slope", 0.01), th.nn.ELU: ("alpha", 1.0)}
    for i, layer in enumerate(module):
        if type(layer) is th.nn.Linear:
            layers.append(
                {"linear": [layer.in_features, layer.out_features], "bias": layer.bias is not None}
            )
            continue
        name = next((n for n, cls in ACTIVATIONS.items() if type(layer) is cls), None)
        attr = defaults.get(type(layer))
        if name is not None and attr and getattr(layer, attr[0]) != attr[1]:
            name = None  # a non-default parameter would not survive a rebuild from the name
        if name is not None and isinstance(layer, th.nn.GELU) and layer.approximate != "none":
            name = None
        if name is None:
            raise ArtifactError(
                f"layer {i} is {layer!r}: export takes Linear layers and the activations "
                f"{', '.join(ACTIVATIONS)} (with their default parameters)"
            )
        layers.append({"activation": name})
    return layers


def check_layers(layers: Any, fail) -> None:
    """Typed check of a manifest's ``architecture.layers`` (a stranger's file)."""
    if not isinstance(layers, list) or not layers or len(layers) > 2 * MAX_LAYERS:
        raise fail(f"architecture.layers must be a list of 1 to {2 * MAX_LAYERS} layers")
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict):
            raise fail(f"architecture.layers[{i}] must be an object")
        if set(layer) == {"activation"}:
            name = layer["activation"]
            if not isinstance(name, str) or name not in ACTIVATIONS:
                raise fail(
                    f"architecture.layers[{i}]: unknown activation "
                    f"(one of {', '.join(ACTIVATIONS)})"
                )
            continue
        if "linear" not in layer or set(layer) - {"linear", "bias"}:
            raise fail(
                f"architecture.layers[{i}] is {{'linear': [in, out], 'bias': true}} "
                "or {'activation': name}"
            )
        sizes = layer["linear"]
        if (
            not isinstance(sizes, list)
            or len(sizes) != 2
            or any(
                isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_WIDTH
                for n in sizes
            )
        ):
            raise fail(
                f"architecture.layers[{i}].linear must be [in, out], integers in [1, {MAX_WIDTH}]"
            )
        if "bias" in layer and not isinstance(layer["bias"], bool):
            raise fail(f"architecture.layers[{i}].bias must be true or false")
