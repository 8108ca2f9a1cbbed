"""Detour: a 2-D point mass that must go around a round obstacle, left or right.

The task exists to show behavioural cloning's multimodality failure: the bundled expert goes
around on a side drawn at random per episode, so near the start its actions are bimodal, and a
unimodal Gaussian policy fit by likelihood averages them into the forbidden middle path
(straight up into the obstacle). A mixture-density policy can pick one mode and keep it.

This module is the task's base dynamics with its true reward; ``gym.make("ilkit/Detour-v0")``
wraps it like every task (reward hidden, fixed horizon, absorbing goal).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

ARENA = 1.0
"""The arena is the square [-ARENA, ARENA]^2; positions are clipped to it."""
OBSTACLE_CENTER = (0.0, 0.0)
OBSTACLE_RADIUS = 0.4
GOAL = (0.0, 0.8)
GOAL_RADIUS = 0.1
START_X = 0.0
START_Y = (-0.95, -0.8)
"""The start is straight below the obstacle's centre, at a height drawn from the reset seed."""
MAX_STEP = 0.05
"""Displacement per step at unit velocity command."""
PROGRESS_SCALE = 10.0
"""True reward per unit of distance gained toward the goal."""
CONTACT_PENALTY = 0.1
"""True reward subtracted on every step whose move would enter the obstacle."""


class Detour(gym.Env):
    """A point mass below a round obstacle must reach a goal above it.

    ``gym.make("ilkit/Detour-v0")`` hides the reward and fixes the horizon (100 steps,
    γ = 0.99); this class is the base dynamics that the task wraps.

    Observation:
        ``Box(-1, 1, (2,), float32)``: the position ``(x, y)``. The obstacle (centre (0, 0),
        radius 0.4) and the goal (centre (0, 0.8), radius 0.1) never move, so they are not
        observed. Nothing tells which side the expert will take: every episode starts on the
        line x = 0 below the obstacle, and both sides are equally likely from every start.

    Action:
        ``Box(-1, 1, (2,), float32)``: a velocity command; the point moves by
        ``0.05 * action`` per step, clipped to the arena. A move that would end inside the
        obstacle is blocked (the point stays where it is): that is a contact.

    Rewards:
        Hidden in the HR-MDP (``step()`` of the public env returns 0.0). The true reward, which
        only ``ilkit evaluate`` reads, is ``10 * (distance to goal before - after)`` (progress
        toward the goal) minus 0.1 on every contact step. A policy that reaches the goal from
        a typical start collects about 16; standing still collects 0.

    Episode end:
        Here, the episode terminates when the point is within 0.1 of the goal's centre. The
        HR-MDP never terminates: it continues in that absorbing state (reward 0) until its fixed
        horizon of 100 steps (the expert needs about 50).

    Starting state:
        ``x = 0``, ``y ~ U(-0.95, -0.8)`` from the reset seed.

    Version History:
        * v0: first release.

    Rendering:
        ``render_mode="rgb_array"`` returns a 256x256 RGB image of the arena, the obstacle
        (grey), the goal (green) and the path so far (blue), drawn with Pillow.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 20}

    def __init__(self, render_mode: str | None = None, size: int = 256):
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.render_mode = render_mode
        self.size = size
        self.observation_space = spaces.Box(-ARENA, ARENA, shape=(2,), dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)
        self._pos = np.zeros(2)
        self.path: list[tuple[float, float]] = []
        """Positions visited this episode (the start first), for rendering and figures."""
        self.contacts = 0
        """Blocked moves this episode."""

    def _obs(self) -> np.ndarray:
        return self._pos.astype(np.float32)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        rng = self.np_random
        self._pos = np.array([START_X, rng.uniform(*START_Y)])
        self.path = [tuple(self._pos)]
        self.contacts = 0
        return self._obs(), {}

    def step(self, action):
        vel = np.clip(np.asarray(action, dtype=np.float64).reshape(2), -1.0, 1.0)
        before = _goal_distance(self._pos)
        new = np.clip(self._pos + MAX_STEP * vel, -ARENA, ARENA)
        contact = bool(np.hypot(*(new - OBSTACLE_CENTER)) < OBSTACLE_RADIUS)
        if contact:
            self.contacts += 1
        else:
            self._pos = new
        after = _goal_distance(self._pos)
        self.path.append(tuple(self._pos))
        reward = PROGRESS_SCALE * (before - after) - CONTACT_PENALTY * contact
        terminated = bool(after < GOAL_RADIUS)
        return self._obs(), float(reward), terminated, False, {"contact": contact}

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        return draw_arena([self.path], size=self.size)


def _goal_distance(pos: np.ndarray) -> float:
    return float(np.hypot(pos[0] - GOAL[0], pos[1] - GOAL[1]))


def draw_arena(
    paths: list[list[tuple[float, float]]],
    *,
    size: int = 256,
    colors: list[tuple[int, int, int]] | None = None,
) -> np.ndarray:
    """An RGB image (``size`` x ``size`` x 3, uint8) of the arena with ``paths`` drawn over it."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (size, size), (250, 250, 250))
    draw = ImageDraw.Draw(img)

    def px(x: float, y: float) -> tuple[float, float]:  # arena coordinates -> pixels (y up)
        return ((x + ARENA) / (2 * ARENA) * (size - 1), (ARENA - y) / (2 * ARENA) * (size - 1))

    def disc(center, radius, fill) -> None:
        (x0, y0), (x1, y1) = (
            px(center[0] - radius, center[1] + radius),
            px(center[0] + radius, center[1] - radius),
        )
        draw.ellipse([x0, y0, x1, y1], fill=fill)

    disc(OBSTACLE_CENTER, OBSTACLE_RADIUS, (150, 150, 150))
    disc(GOAL, GOAL_RADIUS, (90, 190, 90))
    draw.line([px(START_X, START_Y[0]), px(START_X, START_Y[1])], fill=(200, 160, 60), width=3)
    for i, path in enumerate(paths):
        color = colors[i % len(colors)] if colors else (40, 90, 200)
        points = [px(x, y) for x, y in path]
        if len(points) > 1:
            draw.line(points, fill=color, width=max(1, size // 200))
        if points:
            x, y = points[-1]
            r = max(1.5, size / 150)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=color)
    return np.asarray(img, dtype=np.uint8)
