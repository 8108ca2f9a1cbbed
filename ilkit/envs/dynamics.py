"""The true-reward form of each task: base dynamics + absorbing state + fixed horizon.

Both the public, reward-hiding env (:mod:`ilkit.envs.hidden`) and the evaluation scorer
(:mod:`ilkit.envs.scoring`) drive a :class:`TaskDynamics`, so for the same seed and actions
they see the same observations by construction. Only the scorer reads its reward.
"""

from __future__ import annotations

import sys
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.envs.registration import load_env_creator

from ilkit.envs.tasks import TaskSpec, spec
from ilkit.errors import InvalidActionError

# Box actions may exceed their bounds by this much (float32 round-off) and are then clipped;
# anything further out is an error rather than a silent clip.
BOUND_TOLERANCE = 1e-5


class TaskEnv(gym.Env):
    """Gymnasium plumbing shared by the public env and the scorer; subclasses define ``step``
    (hiding or revealing the reward of ``self._dynamics``)."""

    def __init__(self, task: str, render_mode: str | None = None):
        self.task_spec = spec(task)
        self._dynamics = TaskDynamics(self.task_spec, render_mode=render_mode)
        self.observation_space = self._dynamics.observation_space
        self.action_space = self._dynamics.action_space
        self.metadata = self._dynamics.metadata
        self.render_mode = render_mode

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        return self._dynamics.reset(seed=seed), {}

    def render(self):
        return self._dynamics.render()

    def close(self) -> None:
        self._dynamics.close()


class TaskDynamics:
    """Steps one task with its true reward; never terminates, truncates at the horizon."""

    def __init__(self, task: TaskSpec, render_mode: str | None = None):
        self.task = task
        kwargs = dict(task.base_kwargs)
        if render_mode is not None:
            kwargs["render_mode"] = render_mode
        self._base: gym.Env = load_env_creator(task.base_entry_point)(**kwargs)
        self.observation_space = self._base.observation_space
        self.action_space = self._base.action_space
        self._validate = ActionValidator(self.action_space)
        self.metadata = self._base.metadata
        self.render_mode = render_mode
        self._t = 0
        self._absorbed = False
        self._last_obs: np.ndarray | None = None
        # An observation-only step (see step_unchecked) is exact for a MuJoCo env that never
        # terminates and does nothing else in step (no human rendering). A base env can only
        # be a MujocoEnv if that module is loaded: no mujoco import for the other tasks.
        mujoco_env = sys.modules.get("gymnasium.envs.mujoco.mujoco_env")  # it imports mujoco
        self._obs_only_step = (
            mujoco_env is not None
            and isinstance(self._base, mujoco_env.MujocoEnv)
            and not task.may_end_early
            and render_mode is None
        )
        self._mujoco = sys.modules["mujoco"] if self._obs_only_step else None

    def reset(self, seed: int | None = None) -> np.ndarray:
        obs, _ = self._base.reset(seed=seed)
        self._t, self._absorbed = 0, False
        self._last_obs = np.array(obs, copy=True)
        return self._last_obs.copy()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool]:
        """Returns ``(observation, true_reward, truncated)``."""
        if self._last_obs is None:
            raise RuntimeError("call reset() before step()")
        if self._t >= self.task.horizon:
            raise RuntimeError("the episode is over (horizon reached): call reset()")
        action = self._validate(action)
        self._t += 1
        if self._absorbed:
            reward = 0.0
        else:
            obs, reward, terminated, _, _ = self._base.step(action)
            self._last_obs = np.array(obs, copy=True)
            self._absorbed = bool(terminated)
        return self._last_obs.copy(), float(reward), self._t >= self.task.horizon

    def step_unchecked(self, action: Any, *, reward: bool = True) -> tuple[np.ndarray, float]:
        """:meth:`step` for batched collection: ``(observation, true_reward)``, no copies.

        ``action`` must already be in the form :class:`ActionValidator` returns (validate a
        whole batch with :meth:`ActionValidator.batch`). The observation is the base env's own
        array, or this object's last one in the absorbing state: copy it, never modify it.
        With ``reward=False`` the reward is 0.0, and MuJoCo tasks (which never end early) only
        advance the simulation and read the observation, skipping the reward terms.
        """
        if self._last_obs is None:
            raise RuntimeError("call reset() before step()")
        if self._t >= self.task.horizon:
            raise RuntimeError("the episode is over (horizon reached): call reset()")
        self._t += 1
        if self._absorbed:
            return self._last_obs, 0.0
        if not reward and self._obs_only_step:
            base = self._base
            # MujocoEnv.step's state update through MuJoCo's public API (what gymnasium 0.29's
            # MujocoEnv does: ctrl, frame_skip steps, then the force terms the observation of
            # some tasks reads), then its observation; pinned bit-identical to env.step by
            # tests/datasets/test_rollout.py (checked with MuJoCo 3.3.7, gymnasium 0.29.1), and
            # gymnasium's do_simulation pinned by tests/test_pinned_copies.py. 1.23-1.25x per
            # step on Hopper/HalfCheetah (benchmarks/results/private_copies.md).
            base.data.ctrl[:] = action
            self._mujoco.mj_step(base.model, base.data, nstep=base.frame_skip)
            self._mujoco.mj_rnePostConstraint(base.model, base.data)
            return base._get_obs(), 0.0
        obs, r, terminated, _, _ = self._base.step(action)
        if terminated:  # the absorbing state repeats this observation from now on
            self._last_obs = np.array(obs, copy=True)
            self._absorbed = True
        return obs, float(r) if reward else 0.0

    def render(self):
        return self._base.render()

    def close(self) -> None:
        self._base.close()


def validate_action(space: spaces.Space, action: Any) -> Any:
    """Return ``action`` in the form the base env expects, or raise :class:`InvalidActionError`.

    See :class:`ActionValidator` for the rules.
    """
    return ActionValidator(space)(action)


class ActionValidator:
    """Checks actions for one space (bounds and tolerances computed once, not per step).

    Discrete: one integer-valued number in ``[0, n)`` (a Python or numpy scalar, or an array of
    one element). Box: an array of exactly ``space.shape``, every entry finite and inside the
    bounds up to :data:`BOUND_TOLERANCE` (values within the tolerance are clipped).
    """

    def __init__(self, space: spaces.Space):
        if not isinstance(space, (spaces.Discrete, spaces.Box)):
            raise TypeError(f"unsupported action space {space}")
        self.space = space
        if isinstance(space, spaces.Box):
            self._low = space.low.astype(np.float64)
            self._high = space.high.astype(np.float64)
            tol = BOUND_TOLERANCE * (1.0 + np.maximum(np.abs(self._low), np.abs(self._high)))
            self._outer_low, self._outer_high = self._low - tol, self._high + tol

    def __call__(self, action: Any) -> Any:
        space = self.space
        if isinstance(space, spaces.Discrete):
            return self._discrete(space, action)
        try:
            arr = np.asarray(action, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidActionError(f"expected a numeric array action, got {action!r}") from None
        if arr.shape != space.shape:
            raise InvalidActionError(f"expected action of shape {space.shape}, got {arr.shape}")
        if not np.isfinite(arr).all():
            raise InvalidActionError(f"action contains NaN or inf: {arr.tolist()}")
        if (arr < self._outer_low).any() or (arr > self._outer_high).any():
            raise InvalidActionError(
                f"action {np.round(arr, 4).tolist()} outside the bounds "
                f"[{self._low.tolist()}, {self._high.tolist()}]"
            )
        return np.clip(arr, self._low, self._high).astype(space.dtype)

    def batch(self, actions: Any) -> list[Any]:
        """Check a batch (one action per row) at once: the rows as :meth:`__call__` returns them.

        Vectorised for the usual integer, float and numeric arrays; any row that fails the
        vectorised checks, or an unusual dtype, goes through :meth:`__call__` row by row, so
        the error is exactly the one the first bad row gets there.
        """
        arr = np.asarray(actions)
        if arr.ndim == 0:
            raise InvalidActionError(f"expected a batch of actions, got {actions!r}")
        space = self.space
        if isinstance(space, spaces.Discrete):
            flat = arr.reshape(len(arr), -1) if arr.size else arr.reshape(len(arr), 0)
            if flat.shape[1] == 1 and arr.dtype.kind in "iuf":
                flat = flat[:, 0]
                ok = (flat >= space.start) & (flat < space.start + space.n)
                if arr.dtype.kind == "f":
                    ok &= np.isfinite(flat) & (flat == np.floor(flat))
                if ok.all():
                    return flat.astype(np.int64).tolist()
        elif arr.dtype.kind in "iuf" and arr.shape[1:] == space.shape:
            as_float = arr.astype(np.float64, copy=False)
            if (
                np.isfinite(as_float).all()
                and not (as_float < self._outer_low).any()
                and not (as_float > self._outer_high).any()
            ):
                return list(np.clip(as_float, self._low, self._high).astype(space.dtype))
        return [self(a) for a in actions]  # raises the first bad row's error

    def all_valid(self, actions: Any) -> bool:
        """Whether every row of ``actions`` passes :meth:`batch` (a dataset's recorded actions)."""
        try:
            self.batch(actions)
        except InvalidActionError:
            return False
        return True

    @staticmethod
    def _discrete(space: spaces.Discrete, action: Any) -> int:
        arr = np.asarray(action)
        if arr.size != 1:
            raise InvalidActionError(
                f"expected one integer action in [0, {space.n}), got shape {arr.shape}"
            )
        value = arr.reshape(()).item()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidActionError(f"expected an integer action, got {value!r}")
        if isinstance(value, float) and not value.is_integer():
            raise InvalidActionError(f"expected an integer action, got {value!r}")
        if not space.start <= value < space.start + space.n:
            raise InvalidActionError(
                f"action {value!r} out of range [{space.start}, {space.start + space.n})"
            )
        return int(value)
