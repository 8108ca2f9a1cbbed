"""Leaderboard statistics: bootstrap CIs, IQM (rliable) and ranks that admit ties.

* Per task: the mean true return over every episode, with a 95% percentile bootstrap CI over
  episodes.
* Aggregate: the interquartile mean (IQM) of normalized scores over (seed x task), with
  rliable's stratified bootstrap CI (runs resampled within each task), as in Agarwal et al.,
  "Deep RL at the Edge of the Statistical Precipice" (2021).
* Ranks: an entry's rank is 1 + the number of entries whose CI lies entirely above its own, so
  entries with overlapping CIs share a rank: the board never claims an order it cannot show.
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
    from rliable import library as rly
    from rliable import metrics

    if not scores:
        return {}
    with warnings.catch_warnings():  # arch deprecates the RandomState that rliable passes
        warnings.simplefilter("ignore", FutureWarning)
        point, intervals = rly.get_interval_estimates(
            {k: np.asarray(v, dtype=np.float64) for k, v in scores.items()},
            lambda x: np.array([metrics.aggregate_iqm(x)]),
            reps=reps,
            confidence_interval_size=CONFIDENCE,
            random_state=np.random.RandomState(seed),
        )
    return {
        k: (float(point[k][0]), float(intervals[k][0][0]), float(intervals[k][1][0]))
        for k in scores
    }


def rank_groups(estimates: dict[str, tuple[float, float, float]]) -> dict[str, dict]:
    """``{name: {"rank", "tied_with"}}`` from ``(point, low, high)`` per entry.

    ``rank`` = 1 + entries whose low bound is above this entry's high bound; ``tied_with`` =
    the entries whose CI overlaps this one (not distinguishable at 95%).
    """
    out = {}
    for name, (_, low, high) in estimates.items():
        better = sum(1 for o, (_, lo, _h) in estimates.items() if o != name and lo > high)
        tied = sorted(
            o for o, (_, lo, hi) in estimates.items() if o != name and lo <= high and low <= hi
        )
        out[name] = {"rank": 1 + better, "tied_with": tied}
    return out
