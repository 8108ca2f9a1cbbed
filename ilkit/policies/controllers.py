"""Scripted controllers for the classic-control tasks and Detour (the bundled experts of those
tasks).

Each controller maps a batch of observations ``(n, obs_dim)`` to a batch of actions in the task's
action space. The gains were chosen by a grid search on a vectorised copy of each task's
dynamics with random start states (never on the held-out evaluation seeds).
"""

from __future__ import annotations

import numpy as np

CARTPOLE = "cartpole_pd"
MOUNTAINCAR = "mountaincar_energy"
PENDULUM = "pendulum_swingup"
DETOUR = "detour_either_side"


def cartpole_pd(obs: np.ndarray) -> np.ndarray:
    """Push the cart under the pole: a PD law on the pole angle plus a weak pull to the centre."""
    x, x_dot, theta, theta_dot = np.asarray(obs, dtype=np.float64).T
    return (theta + 0.3 * theta_dot + 0.01 * x + 0.1 * x_dot > 0).astype(np.int64)


def mountaincar_energy(obs: np.ndarray) -> np.ndarray:
    """Pump energy by pushing along the velocity (actions: 0 left, 2 right).

    At rest (the start, or against the left wall) the car swings left first unless it already
    sits far enough left; the slightly tilted switching line saves a few steps per episode.
    """
    position, velocity = np.asarray(obs, dtype=np.float64).T
    at_rest = velocity == 0.0
    push_right = np.where(at_rest, position < -0.45, velocity > 0.01 * (position + 0.55))
    return np.where(push_right, 2, 0).astype(np.int64)


def pendulum_swingup(obs: np.ndarray) -> np.ndarray:
    """Energy-pumping swing-up, then a PD law that balances the pendulum upright.

    With ``theta`` measured from upright, the pendulum's energy per unit inertia is
    ``0.5 * theta_dot**2 + 15 * cos(theta)`` (15 = 3g / 2l); upright at rest it is 15.
    """
    cos, sin, theta_dot = np.asarray(obs, dtype=np.float64).T
    theta = np.arctan2(sin, cos)
    energy = 0.5 * theta_dot**2 + 15.0 * cos
    swing = 5.0 * (15.0 - energy) * np.sign(theta_dot + 1e-9)
    balance = -(8.0 * theta + 2.0 * theta_dot)
    torque = np.where(cos > 0.9, balance, swing)
    return np.clip(torque, -2.0, 2.0).astype(np.float32)[:, None]


def _side_from_bits(y: np.ndarray) -> np.ndarray:
    """-1 or +1 per entry: a hash of the exact float32 bits of ``y`` (splitmix64 finaliser).

    Looks random (50/50 over seeds) and no smooth function of the observation predicts it.
    """
    z = np.ascontiguousarray(y, dtype=np.float32).view(np.uint32).astype(np.uint64)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return np.where(z & np.uint64(1), 1.0, -1.0)


DETOUR_TURN_Y = -0.55
"""Detour's expert rises straight up to this height, then turns left or right ..."""
DETOUR_WAYPOINT = (0.85, 0.0)
"""... toward this waypoint beside the obstacle (x mirrored for the left side)."""


def detour_either_side(obs: np.ndarray) -> np.ndarray:
    """Go around the obstacle on one side, drawn 50/50 per episode and kept to the goal.

    A pure function of the position ``(x, y)``. Every episode starts on the line x = 0; the
    expert rises along it at full speed to the turning height (so every episode reaches the
    same point, where the demonstrations split), then turns to the side given by a hash of the
    exact bits of its height there (a pure function of the episode's seed). Off the line the
    side is the sign of x, which the turn set and the rest of the way keeps: it heads for a
    waypoint beside the obstacle, (±0.85, 0), then for the goal; speed one unit, slowing to
    land on the waypoint exactly.
    """
    from ilkit.envs.detour import GOAL, MAX_STEP

    pos = np.asarray(obs, dtype=np.float64).reshape(-1, 2)
    x, y = pos[:, 0], pos[:, 1]
    on_line = x == 0.0
    side = np.where(on_line, _side_from_bits(obs.reshape(-1, 2)[:, 1]), np.sign(x))
    waypoint = np.stack([DETOUR_WAYPOINT[0] * side, np.full(len(pos), DETOUR_WAYPOINT[1])], 1)
    target = np.where((y < 0.0)[:, None], waypoint, np.asarray(GOAL)[None, :])
    rising = (on_line & (y < DETOUR_TURN_Y))[:, None]
    target = np.where(rising, np.stack([x, y + 1.0], axis=1), target)
    delta = target - pos
    dist = np.linalg.norm(delta, axis=1, keepdims=True)
    speed = np.minimum(1.0, dist / MAX_STEP)
    return (delta / np.maximum(dist, 1e-12) * speed).astype(np.float32)


# name (as a ``kind: scripted`` manifest writes it) -> controller
CONTROLLERS = {
    CARTPOLE: cartpole_pd,
    MOUNTAINCAR: mountaincar_energy,
    PENDULUM: pendulum_swingup,
    DETOUR: detour_either_side,
}
