"""Swimmer on MuJoCo 3: gymnasium 0.29's ``Swimmer-v4`` (seals' layout) with a loadable model.

gymnasium 0.29.1 ships ``swimmer.xml`` with ``<option collision="predefined">``, an attribute
MuJoCo 3 removed, so ``Swimmer-v4`` does not load under the MuJoCo that has wheels for Python
3.12 and 3.13. ``assets/swimmer.xml`` is that file migrated as MuJoCo's changelog prescribes
(the attribute deleted, dynamic collisions disabled through contype/conaffinity = 0; the model
has no contact pairs, so nothing collides, as before). Everything else is ``Swimmer-v4``
unchanged: same dynamics parameters, reward (forward velocity minus 1e-4 |a|^2), reset noise,
frame skip 4, and seals' observation (the x/y position included: 10 numbers).

``SwimmerEnv`` reuses gymnasium's class for step, observation and reset; only the constructor
is written here, because ``Swimmer-v4`` hard-codes the model file it loads.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
from gymnasium import utils
from gymnasium.envs.mujoco import MujocoEnv
from gymnasium.envs.mujoco.swimmer_v4 import SwimmerEnv as _GymSwimmer
from gymnasium.spaces import Box

MODEL = "swimmer.xml"


def model_path() -> str:
    """Absolute path of the MuJoCo-3 Swimmer model shipped with ilkit."""
    return str(resources.files("ilkit.envs").joinpath("assets", MODEL))


class SwimmerEnv(_GymSwimmer):
    """``Swimmer-v4`` on ilkit's MuJoCo-3 model; position in the observation (as seals)."""

    def __init__(
        self,
        forward_reward_weight: float = 1.0,
        ctrl_cost_weight: float = 1e-4,
        reset_noise_scale: float = 0.1,
        exclude_current_positions_from_observation: bool = False,
        **kwargs,
    ):
        utils.EzPickle.__init__(
            self,
            forward_reward_weight,
            ctrl_cost_weight,
            reset_noise_scale,
            exclude_current_positions_from_observation,
            **kwargs,
        )
        # the attributes Swimmer-v4's step/_get_obs/reset_model read (its own constructor's)
        self._forward_reward_weight = forward_reward_weight
        self._ctrl_cost_weight = ctrl_cost_weight
        self._reset_noise_scale = reset_noise_scale
        self._exclude_current_positions_from_observation = (
            exclude_current_positions_from_observation
        )
        size = 8 if exclude_current_positions_from_observation else 10
        observation_space = Box(low=-np.inf, high=np.inf, shape=(size,), dtype=np.float64)
        MujocoEnv.__init__(self, model_path(), 4, observation_space=observation_space, **kwargs)
