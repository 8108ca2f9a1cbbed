"""The shipped tabular tasks: grid worlds drawn as rows of cell letters.

Moves are up, down, left, right (actions 0-3). A move into a wall or off the grid stays put;
lava and goal cells are absorbing; a cliff cell sends the agent back to a start cell at the
next step. With ``slip`` > 0 the move goes in one of the other three directions with
probability ``slip`` (a third each). Walls are states too (unreachable, with the features of
floor), so a variant with moved walls has the same states and features: a reward learned on
one transfers to the other, and so does a policy on one-hot observations.

Features x(s): one indicator per cell kind the task scores (lava, goal, mud, cliff), then a
constant 1; the hidden reward is R(s) = x(s)ᵀw.
"""

from __future__ import annotations

import numpy as np

from ilkit.envs.tabular.model import register

MOVES = ((-1, 0), (1, 0), (0, -1), (0, 1))

LAVA_GRID = (
    "S..#..G",
    "S.L#.L.",
    "S.L..L.",
    "S.m.mL.",
    "S...m..",
    "SLL....",
)
LAVA_GRID_MOVED = (  # the walls of LAVA_GRID moved; lava, mud, goal and starts unchanged
    "S.....G",
    "S.L#.L.",
    "S.L#.L.",
    "S.m#mL.",
    "S...m..",
    "SLL....",
)
CLIFF = (
    "..........",
    "..........",
    "..........",
    "SCCCCCCCCG",
)


def grid_arrays(
    layout: tuple[str, ...], kinds: tuple[str, ...], slip: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(transition (S, 4, S), initial (S,), features (S, len(kinds) + 1)) of a layout."""
    n_rows, n_cols = len(layout), len(layout[0])
    cells = "".join(layout)
    n = len(cells)
    starts = [s for s, c in enumerate(cells) if c == "S"]
    P = np.zeros((n, 4, n))
    for s, cell in enumerate(cells):
        r, c = divmod(s, n_cols)
        if cell in "#LG":
            P[s, :, s] = 1.0
            continue
        if cell == "C":
            P[s, :, starts] = 1.0 / len(starts)
            continue
        for a in range(4):
            for d, (dr, dc) in enumerate(MOVES):
                p = 1.0 - slip if d == a else slip / 3
                rr, cc = r + dr, c + dc
                blocked = not (0 <= rr < n_rows and 0 <= cc < n_cols) or (
                    layout[rr][cc] == "#" if 0 <= rr < n_rows and 0 <= cc < n_cols else True
                )
                P[s, a, s if blocked else rr * n_cols + cc] += p
    initial = np.zeros(n)
    initial[starts] = 1.0 / len(starts)
    letter = {"lava": "L", "goal": "G", "mud": "m", "cliff": "C"}
    features = np.array([[float(ch == letter[k]) for k in kinds] + [1.0] for ch in cells])
    return P, initial, features


def _grid(env_id, layout, kinds, weights, *, slip, horizon, gamma, description) -> None:
    P, initial, features = grid_arrays(layout, kinds, slip)
    register(
        env_id,
        transition=P,
        initial=initial,
        features=features,
        weights=np.asarray(weights, dtype=np.float64),
        horizon=horizon,
        gamma=gamma,
        layout=layout,
        description=description,
    )


_LAVA_W = (-1.0, 1.0, -0.4, -0.05)  # lava, goal, mud, constant
_CLIFF_W = (-2.0, 1.0, -0.1)  # cliff, goal, constant

TRANSFER = {
    "ilkit/LavaGrid-v0": "ilkit/LavaGridMoved-v0",
    "ilkit/SlipperyLavaGrid-v0": "ilkit/LavaGrid-v0",
    "ilkit/CliffWalk-v0": "ilkit/WindyCliffWalk-v0",
}
"""Each shipped task's shifted-dynamics variant (same states, features and hidden reward)."""


def register_builtin() -> None:
    lava_kinds = ("lava", "goal", "mud")
    _grid(
        "ilkit/LavaGrid-v0",
        LAVA_GRID,
        lava_kinds,
        _LAVA_W,
        slip=0.0,
        horizon=30,
        gamma=0.95,
        description="6x7 grid world: reach the goal around walls, lava and mud; R = wᵀx(s).",
    )
    _grid(
        "ilkit/SlipperyLavaGrid-v0",
        LAVA_GRID,
        lava_kinds,
        _LAVA_W,
        slip=0.2,
        horizon=30,
        gamma=0.95,
        description="LavaGrid on ice: a move slips sideways with probability 0.2.",
    )
    _grid(
        "ilkit/LavaGridMoved-v0",
        LAVA_GRID_MOVED,
        lava_kinds,
        _LAVA_W,
        slip=0.0,
        horizon=30,
        gamma=0.95,
        description="LavaGrid with its walls moved (transfer variant).",
    )
    _grid(
        "ilkit/CliffWalk-v0",
        CLIFF,
        ("cliff", "goal"),
        _CLIFF_W,
        slip=0.0,
        horizon=30,
        gamma=0.95,
        description="4x10 cliff walk (Sutton & Barto): the cliff sends you back.",
    )
    _grid("ilkit/WindyCliffWalk-v0", CLIFF, ("cliff", "goal"), _CLIFF_W, slip=0.1, horizon=30,
          gamma=0.95, description="CliffWalk where a move slips with probability 0.1 (transfer "
          "variant).")  # fmt: skip
