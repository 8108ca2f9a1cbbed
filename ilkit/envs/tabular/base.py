"""The base dynamics of a tabular task (with its true reward), driven by ilkit's task plumbing.

Like every base env in ilkit it is never registered under an id: the public env
(``gym.make(env_id)``) wraps it and hides the reward, the scorer reveals it.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ilkit.envs.tabular import _truth
from ilkit.envs.tabular.model import model

CELL_PX = 32
COLOURS = {
    "floor": (235, 235, 235),
    "start": (200, 225, 255),
    "wall": (60, 60, 60),
    "lava": (230, 90, 30),
    "cliff": (120, 40, 40),
    "goal": (60, 180, 75),
    "mud": (160, 130, 90),
}
AGENT = (30, 60, 200)


class TabularBase(gym.Env):
    """One-hot state observations (Box (S,) in [0, 1]), Discrete(A) actions, R(s) = x(s)ᵀw
    received in the state the action is taken from; never terminates (ilkit truncates)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(self, task: str, render_mode: str | None = None):
        self._model = model(task)
        self._reward = _truth.true_reward(task)
        m = self._model
        self.observation_space = spaces.Box(0.0, 1.0, shape=(m.n_states,), dtype=np.float32)
        self.action_space = spaces.Discrete(m.n_actions)
        self.render_mode = render_mode
        self._cdf = np.cumsum(m.transition, axis=2)
        self._cdf0 = np.cumsum(m.initial)
        self._state = 0

    def _draw(self, cdf: np.ndarray) -> int:
        u = self.np_random.random() * cdf[-1]
        return int(min(np.searchsorted(cdf, u, side="right"), len(cdf) - 1))

    def _obs(self) -> np.ndarray:
        obs = np.zeros(self._model.n_states, dtype=np.float32)
        obs[self._state] = 1.0
        return obs

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self._state = self._draw(self._cdf0)
        return self._obs(), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        reward = float(self._reward[self._state])
        self._state = self._draw(self._cdf[self._state, int(action)])
        return self._obs(), reward, False, False, {}

    def render(self) -> np.ndarray:
        return picture(self._model, self._state)


def picture(m, state: int | None = None, values: np.ndarray | None = None) -> np.ndarray:
    """RGB image (H, W, 3) of the grid: cell kinds from the public layout (or ``values`` as a
    blue-white-red map), the agent as a dot. Without a layout the states form one strip."""
    rows = m.layout or ("." * m.n_states,)
    n_rows, n_cols = len(rows), len(rows[0])
    img = np.zeros((n_rows * CELL_PX, n_cols * CELL_PX, 3), dtype=np.uint8)
    if values is not None:
        scale = np.abs(values).max() or 1.0
    from ilkit.envs.tabular.model import LAYOUT_CHARS

    for s in range(m.n_states):
        r, c = divmod(s, n_cols)
        if values is not None:
            v = float(values[s]) / scale
            colour = (255, int(255 * (1 - v)), int(255 * (1 - v))) if v > 0 else (
                int(255 * (1 + v)), int(255 * (1 + v)), 255)  # fmt: skip
        else:
            colour = COLOURS[LAYOUT_CHARS[rows[r][c]]]
        img[r * CELL_PX + 1 : (r + 1) * CELL_PX - 1, c * CELL_PX + 1 : (c + 1) * CELL_PX - 1] = (
            colour
        )
        if s == state:
            yy, xx = np.mgrid[:CELL_PX, :CELL_PX]
            dot = (yy - CELL_PX / 2) ** 2 + (xx - CELL_PX / 2) ** 2 <= (CELL_PX / 4) ** 2
            img[r * CELL_PX : (r + 1) * CELL_PX, c * CELL_PX : (c + 1) * CELL_PX][dot] = AGENT
    return img
