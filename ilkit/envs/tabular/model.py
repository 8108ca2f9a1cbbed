"""Tabular HR-MDPs from arrays: the public model (P, initial distribution, features) and
:func:`register`, which validates the arrays and adds the task to ilkit's table and Gymnasium's.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

from ilkit.envs.tabular import _truth, solve
from ilkit.envs.tasks import NAMESPACE, TASKS, VERSION, TaskSpec, add_task, spec
from ilkit.errors import IlkitError

ROW_TOL = 1e-6
ENTRY_POINT = "ilkit.envs.tabular.base:TabularBase"
LAYOUT_CHARS = {
    ".": "floor",
    "#": "wall",
    "L": "lava",
    "G": "goal",
    "S": "start",
    "C": "cliff",
    "m": "mud",
}
"""Cell letters of a picture layout (``register(..., layout=...)``): drawing only."""


class TabularModelError(IlkitError, ValueError):
    """Arrays that do not define a tabular HR-MDP."""


class ModelShapeError(TabularModelError):
    """An array of the wrong number of dimensions or the wrong shape."""


class NotADistributionError(TabularModelError):
    """Transition rows or the initial distribution: negative, or not summing to 1."""


class NotFiniteError(TabularModelError):
    """An array holding NaN or infinity."""


class TaskExistsError(TabularModelError):
    """An env id that is already registered (with different arrays)."""


class NotTabularError(IlkitError, KeyError):
    """An env id that is not a tabular task."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclasses.dataclass(frozen=True, eq=False)
class TabularModel:
    """The public model of a tabular HR-MDP; the reward weights are not part of it."""

    env_id: str
    transition: np.ndarray
    """P(s' | s, a), shape (S, A, S); every row sums to 1."""
    initial: np.ndarray
    """Initial-state distribution, shape (S,)."""
    features: np.ndarray
    """Feature map x(s), shape (S, F); the hidden reward is R(s) = x(s)ᵀw."""
    horizon: int
    gamma: float
    layout: tuple[str, ...] | None = None
    """Rows of cell letters (:data:`LAYOUT_CHARS`) for the picture; None: states in a strip."""

    @property
    def n_states(self) -> int:
        return self.transition.shape[0]

    @property
    def n_actions(self) -> int:
        return self.transition.shape[1]

    @property
    def n_features(self) -> int:
        return self.features.shape[1]


_MODELS: dict[str, TabularModel] = {}


def ids() -> list[str]:
    """Ids of every registered tabular task, in registration order."""
    return list(_MODELS)


def is_tabular(env_id: str) -> bool:
    try:
        return spec(env_id).id in _MODELS
    except IlkitError:
        return False


def model(env_id: str) -> TabularModel:
    """The public model of a tabular task (``"module:id"`` accepted, as by ``spec``).

    Raises:
        UnknownEnvError: not an ilkit task.
        NotTabularError: an ilkit task without a tabular model.
    """
    task_id = spec(env_id).id
    try:
        return _MODELS[task_id]
    except KeyError:
        raise NotTabularError(
            f"{task_id} is not a tabular task (tabular: {', '.join(_MODELS) or 'none'})"
        ) from None


@cache
def expert_policy(env_id: str) -> np.ndarray:
    """The exact expert (S, A): greedy after ``horizon`` backups of value iteration on the
    true reward (:mod:`ilkit.envs.tabular.solve`). Computed, never bundled."""
    m = model(env_id)
    return solve.optimal_policy(m.transition, _truth.true_reward(m.env_id), m.gamma, m.horizon)


def _array(name: str, value: Any, ndim: int) -> np.ndarray:
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ModelShapeError(f"{name} is not a numeric array: {str(err)[:120]}") from None
    if arr.ndim != ndim:
        raise ModelShapeError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise NotFiniteError(f"{name} holds NaN or infinity")
    arr.setflags(write=False)
    return arr


def _check_distribution(name: str, arr: np.ndarray) -> None:
    if (arr < 0).any():
        where = tuple(int(i) for i in np.argwhere(arr < 0)[0])
        raise NotADistributionError(f"{name} has a negative probability at index {where}")
    sums = np.atleast_1d(arr.sum(axis=-1))
    bad = np.abs(sums - 1.0) > ROW_TOL
    if bad.any():
        label = name
        if arr.ndim > 1:
            label = f"{name} row {tuple(int(i) for i in np.argwhere(bad)[0])}"
        raise NotADistributionError(f"{label} sums to {float(sums[bad][0]):.6g}, not 1")


def _parse_id(env_id: Any) -> str:
    match = re.fullmatch(rf"{NAMESPACE}/([A-Za-z][A-Za-z0-9_]*)-v{VERSION}", str(env_id))
    if not isinstance(env_id, str) or match is None:
        raise TabularModelError(
            f"env id {env_id!r} must look like '{NAMESPACE}/<Name>-v{VERSION}' "
            "(a letter, then letters, digits or _)"
        )
    return match.group(1)


def build(
    env_id: str,
    *,
    transition: Any,
    initial: Any,
    features: Any,
    weights: Any,
    horizon: Any,
    gamma: Any,
    layout: Sequence[str] | None = None,
) -> tuple[TabularModel, np.ndarray]:
    """Validate the arrays (one-line :class:`TabularModelError` on the first problem)."""
    _parse_id(env_id)
    P = _array("transition", transition, 3)
    n_states, n_actions = P.shape[:2]
    if n_states < 1 or n_actions < 1 or P.shape[2] != n_states:
        raise ModelShapeError(f"transition must have shape (S, A, S), got {P.shape}")
    mu0 = _array("initial", initial, 1)
    if mu0.shape != (n_states,):
        raise ModelShapeError(f"initial must have shape ({n_states},), got {mu0.shape}")
    x = _array("features", features, 2)
    if x.shape[0] != n_states or x.shape[1] < 1:
        raise ModelShapeError(f"features must have shape ({n_states}, F), got {x.shape}")
    w = _array("weights", weights, 1)
    if w.shape != (x.shape[1],):
        raise ModelShapeError(f"weights must have shape ({x.shape[1]},), got {w.shape}")
    _check_distribution("transition", P)
    _check_distribution("initial", mu0)
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise TabularModelError(f"horizon must be a positive integer, got {horizon!r}")
    if (
        isinstance(gamma, bool)
        or not isinstance(gamma, int | float | np.floating)
        or not 0.0 < float(gamma) <= 1.0
    ):
        raise TabularModelError(f"gamma must be a number in (0, 1], got {gamma!r}")
    rows = None
    if layout is not None:
        rows = tuple(str(r) for r in layout)
        if len({len(r) for r in rows}) != 1 or len(rows) * len(rows[0]) != n_states:
            raise ModelShapeError(f"layout must be equal-length rows of {n_states} cells in all")
        unknown = sorted({c for r in rows for c in r} - set(LAYOUT_CHARS))
        if unknown:
            raise TabularModelError(f"layout has unknown cell letters {unknown}")
    m = TabularModel(env_id, P, mu0, x, int(horizon), float(gamma), rows)
    return m, w


def register(
    env_id: str,
    *,
    transition: Any,
    initial: Any,
    features: Any,
    weights: Any,
    horizon: int,
    gamma: float,
    layout: Sequence[str] | None = None,
    description: str | None = None,
) -> str:
    """Register a tabular HR-MDP from arrays; afterwards it is ``gym.make``-able and works with
    ``ilkit`` like any shipped task (expert, dataset, training, evaluation).

    Args:
        env_id: ``"ilkit/<Name>-v0"``.
        transition: P(s' | s, a), shape (S, A, S), rows summing to 1.
        initial: initial-state distribution, shape (S,).
        features: feature map x(s), shape (S, F): public.
        weights: w, shape (F,): the hidden reward R(s) = x(s)ᵀw (kept in a private store).
        horizon: fixed episode length H.
        gamma: discount in (0, 1].
        layout: optional rows of cell letters for the ``rgb_array`` picture.
        description: one line for ``ilkit envs list``.

    Returns:
        ``env_id``. Registering the same arrays again is a no-op (a re-imported module);
        different arrays under a taken id raise :class:`TaskExistsError`.

    Raises:
        TabularModelError: bad arrays (shape, NaN, rows not summing to 1), id or horizon.
    """
    import gymnasium as gym

    m, w = build(
        env_id,
        transition=transition,
        initial=initial,
        features=features,
        weights=weights,
        horizon=horizon,
        gamma=gamma,
        layout=layout,
    )
    if env_id in TASKS or env_id in gym.registry:
        old = _MODELS.get(env_id)
        if old is not None and _same(old, m) and np.array_equal(_truth._WEIGHTS[env_id], w):
            return env_id
        raise TaskExistsError(f"{env_id} is already registered (choose another name)")
    R = m.features @ w
    expert = solve.optimal_policy(m.transition, R, m.gamma, m.horizon)
    uniform = solve.uniform_policy(m.n_states, m.n_actions)
    task = TaskSpec(
        name=_parse_id(env_id),
        base_entry_point=ENTRY_POINT,
        horizon=m.horizon,
        gamma=m.gamma,
        action_type="discrete",
        may_end_early=False,
        description=description
        or f"Tabular HR-MDP ({m.n_states} states, {m.n_actions} actions, "
        f"{m.n_features} features); model public via ilkit.envs.tabular.model.",
        base_kwargs=(("task", env_id),),
        ref_random_return=solve.expected_return(
            P := m.transition, m.initial, uniform, R, m.horizon
        ),
        ref_expert_return=solve.expected_return(P, m.initial, expert, R, m.horizon),
    )
    _MODELS[env_id] = m
    _truth.set_weights(env_id, w, m.features)
    add_task(task)
    gym.register(
        id=env_id,
        entry_point="ilkit.envs.hidden:HiddenRewardEnv",
        max_episode_steps=m.horizon,
        kwargs={"task": env_id},
    )
    return env_id


def _same(a: TabularModel, b: TabularModel) -> bool:
    return (
        np.array_equal(a.transition, b.transition)
        and np.array_equal(a.initial, b.initial)
        and np.array_equal(a.features, b.features)
        and (a.horizon, a.gamma, a.layout) == (b.horizon, b.gamma, b.layout)
    )
