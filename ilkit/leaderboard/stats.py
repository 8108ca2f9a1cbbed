"""Leaderboard statistics (after rliable; Agarwal et al., "Deep RL at the Edge of the Statistical
Precipice", 2021), reproducible: every bootstrap draws from a numpy ``Generator`` that ilkit
seeds, so the same cells give the same intervals, byte for byte, in any process.

rliable 1.2.0's ``StratifiedBootstrap`` draws from numpy's *global* generator and ignores the
``random_state`` it is given (three calls on one array in one process gave three intervals), so
the stratified resampling is done here with ``numpy.random.default_rng``; rliable still computes
the IQM point estimate and the probability of improvement, which draw nothing.

* Score: an entry's mean normalized score over all its (task, seed, episode) cells, a failed
  cell counting at the random policy's score 0, so a failure can never raise a rank. Its 95% CI
  is a stratified bootstrap: cells resampled with replacement within each task, percentile CI.
* Probability of improvement (rliable): P(X > Y) for a cell of X against a cell of Y on the same
  task, averaged over tasks; shown between adjacent ranks.
* IQM across training runs (rliable), for an entry that submits several runs of one method:
  the interquartile mean is meant for independent runs, not for episodes of one policy.
* Per task: the mean true return over the evaluated episodes with a percentile bootstrap CI.

Each entry's generator is seeded from ``(seed, sha256(entry name))``: an entry's interval does
not depend on which other entries share the board.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import numpy as np

CONFIDENCE = 0.95
REPS = 2000
SEED = 0


def _rng(seed: int, name: str = "") -> np.random.Generator:
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
    return np.random.default_rng([seed, key])


def _percentile(estimates: np.ndarray) -> tuple[float, float]:
    alpha = (1 - CONFIDENCE) / 2
    low, high = np.quantile(estimates, [alpha, 1 - alpha])
    return float(low), float(high)


def bootstrap_mean_ci(
    values: Sequence[float], reps: int = REPS, seed: int = SEED
) -> tuple[float, float, float]:
    """``(mean, low, high)``: percentile bootstrap CI of the mean (a point CI for one value)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        raise ValueError("no values")
    if x.size == 1 or np.all(x == x[0]):
        return float(x[0]), float(x[0]), float(x[0])
    rng = _rng(seed)
    means = x[rng.integers(0, x.size, size=(reps, x.size))].mean(axis=1)
    return (float(x.mean()), *_percentile(means))


def stratified_bootstrap(
    x: np.ndarray, metric: Callable[[np.ndarray], np.ndarray], reps: int, rng: np.random.Generator
) -> np.ndarray:
    """``reps`` values of ``metric`` over resamples of ``x`` (``(n, n_tasks)``), rows drawn
    with replacement independently within each task column (rliable's stratified bootstrap).
    ``metric`` maps a ``(reps, n, n_tasks)`` stack to ``(reps,)``."""
    n, tasks = x.shape
    rows = rng.integers(0, n, size=(reps, n, tasks))
    return metric(x[rows, np.arange(tasks)])


def _mean(stack: np.ndarray) -> np.ndarray:
    return stack.reshape(len(stack), -1).mean(axis=1)


def _iqm(stack: np.ndarray) -> np.ndarray:
    from scipy.stats import trim_mean

    return trim_mean(stack.reshape(len(stack), -1), proportiontocut=0.25, axis=1)


def _estimates(
    scores: dict[str, np.ndarray], metric, reps: int, seed: int
) -> dict[str, tuple[float, float, float]]:
    """``(point, low, high)`` per entry of ``metric`` with a seeded stratified bootstrap."""
    out: dict[str, tuple[float, float, float]] = {}
    for name, v in scores.items():
        x = np.asarray(v, dtype=np.float64)
        if x.ndim != 2:
            raise ValueError(f"scores of {name!r} must be (n, n_tasks), got shape {x.shape}")
        point = float(metric(x[None])[0])
        if len(x) < 2:  # one row: nothing to resample
            out[name] = (point, point, point)
            continue
        out[name] = (point, *_percentile(stratified_bootstrap(x, metric, reps, _rng(seed, name))))
    return out


def iqm_with_ci(
    scores: dict[str, np.ndarray], reps: int = REPS, seed: int = SEED
) -> dict[str, tuple[float, float, float]]:
    """IQM and stratified-bootstrap CI per entry; each array is ``(n_runs, n_tasks)``."""
    return _estimates(scores, _iqm, reps, seed)


def mean_with_ci(
    scores: dict[str, np.ndarray], reps: int = REPS, seed: int = SEED
) -> dict[str, tuple[float, float, float]]:
    """Mean and stratified-bootstrap 95% CI per entry; each array is ``(n_cells, n_tasks)``."""
    return _estimates(scores, _mean, reps, seed)


def probability_of_improvement(x: np.ndarray, y: np.ndarray) -> float:
    """rliable's P(X > Y): per task, the chance a cell of X beats one of Y; mean over tasks."""
    from rliable import metrics

    return float(
        metrics.probability_of_improvement(
            np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        )
    )
