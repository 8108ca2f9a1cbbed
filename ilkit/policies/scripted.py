"""Named scripted controllers that a ``kind: scripted`` artifact can refer to, and the one
uniform-random policy.

A controller maps a batch of observations ``(n, *obs_shape)`` to a batch of actions. Only the
names in :data:`ilkit.policies.controllers.CONTROLLERS` (plus :data:`UNIFORM_RANDOM`) can be
loaded, so a manifest cannot make ilkit run arbitrary code.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ilkit.errors import IlkitError

UNIFORM_RANDOM = "uniform_random"
"""Built-in controller: uniform random actions from the artifact's action space (the lower
reference of a normalized score), seeded by the manifest's ``seed``."""

Controller = Callable[[np.ndarray], np.ndarray]


def get_controller(name: str) -> Controller:
    from ilkit.policies.controllers import CONTROLLERS

    try:
        return CONTROLLERS[name]
    except KeyError:
        raise IlkitError(f"unknown scripted controller {name!r}") from None


class RandomPolicy:
    """Uniform random actions (the lower reference of the normalized score).

    Seeded, so a board or a reference return is reproducible. Usable as a controller (call it
    with a batch of observations) and as a policy (SB3's ``predict``).
    """

    def __init__(self, action_space, seed: int = 0):
        self.action_space = action_space
        self.action_space.seed(seed)

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        return np.stack([self.action_space.sample() for _ in range(len(obs))])

    def predict(self, observation, state=None, episode_start=None, deterministic=True):
        return self(np.asarray(observation)), None
