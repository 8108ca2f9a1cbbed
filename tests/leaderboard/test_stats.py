"""Bootstrap CIs, the mean and IQM with rliable's stratified bootstrap, P(improvement)."""

from __future__ import annotations

import numpy as np
import pytest

from ilkit.leaderboard.stats import (
    bootstrap_mean_ci,
    iqm_with_ci,
    mean_with_ci,
    probability_of_improvement,
)


def test_bootstrap_ci_brackets_the_mean_and_shrinks_with_more_data():
    rng = np.random.default_rng(1)
    small = rng.normal(10, 2, 10)
    large = rng.normal(10, 2, 1000)
    m, lo, hi = bootstrap_mean_ci(small)
    assert lo < m < hi and m == pytest.approx(small.mean())
    _, lo2, hi2 = bootstrap_mean_ci(large)
    assert hi2 - lo2 < (hi - lo) / 3
    assert lo2 < 10 < hi2
    assert bootstrap_mean_ci([3.0]) == (3.0, 3.0, 3.0)
    assert bootstrap_mean_ci([5.0] * 7) == (5.0, 5.0, 5.0)


def test_bootstrap_ci_covers_the_true_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(2)
    covered = sum(
        lo <= 0 <= hi
        for _, lo, hi in (
            bootstrap_mean_ci(rng.normal(0, 1, 30), reps=500, seed=i) for i in range(200)
        )
    )
    assert 0.88 <= covered / 200 <= 0.99


def test_iqm_trims_the_outer_quartiles():
    # 8 runs x 1 task: IQM is the mean of the middle four values, 3..6 -> 4.5.
    scores = {"a": np.arange(1.0, 9.0).reshape(8, 1)}
    point, lo, hi = iqm_with_ci(scores)["a"]
    assert point == pytest.approx(4.5)
    assert lo <= point <= hi
    # An outlier run moves the mean, not the IQM.
    outlier = np.array([1.0, 2, 3, 4, 5, 6, 7, 1000]).reshape(8, 1)
    assert iqm_with_ci({"b": outlier})["b"][0] == pytest.approx(4.5)


def test_iqm_ci_is_stratified_over_tasks():
    rng = np.random.default_rng(3)
    easy = rng.normal(1.0, 0.05, (5, 1))
    hard = rng.normal(0.2, 0.05, (5, 1))
    point, lo, hi = iqm_with_ci({"x": np.hstack([easy, hard])})["x"]
    assert lo < point < hi
    assert 0.2 < point < 1.0


def test_mean_ci_is_rliables_stratified_bootstrap_and_counts_failures_at_zero():
    rng = np.random.default_rng(4)
    ok = rng.uniform(0.8, 1.0, (10, 2))
    with_failures = ok.copy()
    with_failures[:2, 0] = 0.0  # two failed cells on task 0 score as random
    est = mean_with_ci({"ok": ok, "failing": with_failures, "one": ok[:1]})
    point, lo, hi = est["ok"]
    assert point == pytest.approx(ok.mean()) and lo < point < hi
    assert est["failing"][0] == pytest.approx(with_failures.mean())
    assert est["failing"][0] < point
    assert est["one"] == (pytest.approx(ok[:1].mean()),) * 3  # one row: nothing to resample


def test_probability_of_improvement_is_rliables():
    better = np.full((5, 1), 0.9)
    worse = np.full((5, 1), 0.1)
    assert probability_of_improvement(better, worse) == 1.0
    assert probability_of_improvement(worse, better) == 0.0
    assert probability_of_improvement(better, better) == 0.5
    mixed = np.array([[0.95], [0.05], [0.95], [0.05], [0.95]])
    assert 0 < probability_of_improvement(mixed, worse) < 1
