"""Scripted controllers for the classic-control tasks (the bundled experts of those tasks).

Each controller maps a batch of observations ``(n, obs_dim)`` to a batch of actions in the task's
action space. The gains were chosen by a grid search on a vectorised copy of each task's
dynamics with random start states (never on the held-out evaluation seeds).
"""

from __future__ import annotations

import numpy as np

CARTPOLE = "cartpole_pd"
MOUNTAINCAR = "mountaincar_energy"
PENDULUM = "pendulum_swingup"


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


# name (as a ``kind: scripted`` manifest writes it) -> controller
CONTROLLERS = {
    CARTPOLE: cartpole_pd,
    MOUNTAINCAR: mountaincar_energy,
    PENDULUM: pendulum_swingup,
}
