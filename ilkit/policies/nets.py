"""What every policy kind shares: the error type of artifacts and the activations by name."""

from __future__ import annotations

import torch as th

from ilkit.errors import IlkitError

ACTIVATIONS = {
    "tanh": th.nn.Tanh,
    "relu": th.nn.ReLU,
    "elu": th.nn.ELU,
    "leaky_relu": th.nn.LeakyReLU,
    "gelu": th.nn.GELU,
}
MAX_LAYERS = 64


class ArtifactError(IlkitError):
    """A policy artifact that is missing, malformed, or does not fit its task."""
