"""The public HR-MDP env: the task's dynamics with the reward hidden."""

from __future__ import annotations

from typing import Any

import numpy as np

from ilkit.envs.dynamics import TaskEnv


class HiddenRewardEnv(TaskEnv):
    """An ilkit HR-MDP task, as ``gym.make("ilkit/<Name>-v0")`` returns it.

    Observation:
        The base task's observation, unchanged (MuJoCo tasks include the position, as in seals).

    Action:
        The base task's action space. Invalid actions raise ``ilkit.errors.InvalidActionError``:
        a discrete action must be one integer in range; a continuous action must have exactly
        the space's shape, be finite, and lie inside the bounds (up to 1e-5, then clipped).

    Rewards:
        Hidden: ``step()`` returns ``0.0``, and ``info`` is always empty. Policies are scored on
        the true reward by ``ilkit evaluate``.

    Episode end:
        Fixed horizon: ``terminated`` is never True and ``truncated`` is True at exactly
        ``spec(env_id).horizon`` steps. Where the base game ends early (a crash, the goal) the
        task continues in an absorbing state that repeats the last observation.

    Version History:
        * v0: first release.

    The env is its own ``unwrapped``: the dynamics that know the reward sit in a private
    attribute, which only the evaluator reads.
    """

    @property
    def gamma(self) -> float:
        return self.task_spec.gamma

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        obs, _reward, truncated = self._dynamics.step(action)
        return obs, 0.0, False, truncated, {}
