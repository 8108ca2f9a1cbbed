"""Leaderboard statistics (rliable; Agarwal et al., "Deep RL at the Edge of the Statistical
Precipice", 2021).

* Score: an entry's mean normalized score over all its (task, seed, episode) cells, a failed
  cell counting at the random policy's score 0, so a failure can never raise a rank. Its 95% CI
  is rliable's stratified bootstrap: cells resampled within each task.
* Probability of improvement (rliable): P(X > Y) for a cell of X against a cell of Y on the same
  task, averaged over tasks; shown between adjacent ranks.
* IQM across training runs (rliable), for an entry that submits several runs of one method:
  the interquartile mean is meant for independent runs, not for episodes of one policy.
* Per task: the mean true return over the evaluated episodes with a percentile bootstrap CI.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

CONFIDENCE = 0.95
REPS = 2000


def bootstrap_mean_ci(
    values: Sequence[float], reps: int = REPS, seed: int = 0
) -> tuple[float, float, float]:
    """``(mean, low, high)``: percentile bootstrap CI of the mean (a point CI for one value)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        raise ValueError("no values")
    if x.size == 1:
        return float(x[0]), float(x[0]), float(x[0])
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(reps, x.size))].mean(axis=1)
    alpha = (1 - CONFIDENCE) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return float(x.mean()), float(low), float(high)


def iqm_with_ci(
    scores: dict[str, np.ndarray], reps: int = REPS, seed: int = 0
) -> dict[str, tuple[float, float, float]]:
    """IQM and stratified-bootstrap CI per entry; each array is ``(n_runs, n_tasks)``."""
    from rliable import metrics

    return _estimates(scores, lambda x: np.array([metrics.aggregate_iqm(x)]), reps, seed)


def _estimates(
    scores: dict[str, np.ndarray], metric, reps: int, seed: int
) -> dict[str, tuple[float, float, float]]:
    """``(point, low, high)`` per entry of ``metric`` with rliable's stratified bootstrap."""
    from rliable import library as rly

    out: dict[str, tuple[float, float, float]] = {}
    boot = {k: np.asarray(v, dtype=np.float64) for k, v in scores.items() if len(v) > 1}
    for k, v in scores.items():
        if k not in boot:  # one row: nothing to resample
            point = float(metric(np.asarray(v, dtype=np.float64))[0])
            out[k] = (point, point, point)
    if boot:
        with warnings.catch_warnings():  # arch deprecates the RandomState that rliable passes
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            point, intervals = rly.get_interval_estimates(
                boot,
                metric,
                reps=reps,
                confidence_interval_size=CONFIDENCE,
                random_state=np.random.RandomState(seed),
            )
        for k in boot:
            out[k] = (float(point[k][0]), float(intervals[k][0][0]), float(intervals[k][1][0]))
    return out


def mean_with_ci(
    scores: dict[str, np.ndarray], reps: int = REPS, seed: int = 0
) -> dict[str, tuple[float, float, float]]:
    """Mean and stratified-bootstrap 95% CI per entry; each array is ``(n_cells, n_tasks)``."""
    return _estimates(scores, lambda x: np.array([np.mean(x)]), reps, seed)


def probability_of_improvement(x: np.ndarray, y: np.ndarray) -> float:
    """rliable's P(X > Y): per task, the chance a cell of X beats one of Y; mean over tasks."""
    from rliable import metrics

    return float(
        metrics.probability_of_improvement(
            np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        )
    )
