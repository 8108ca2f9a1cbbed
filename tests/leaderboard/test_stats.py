"""Bootstrap CIs, IQM with stratified bootstrap (rliable), and ranks that admit ties."""

from __future__ import annotations

import numpy as np
import pytest

from ilkit.leaderboard.stats import bootstrap_mean_ci, iqm_with_ci, rank_groups


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


def test_ranks_share_a_group_when_cis_overlap():
    est = {
        "a": (0.95, 0.90, 1.00),
        "b": (0.92, 0.85, 0.96),  # overlaps a
        "c": (0.50, 0.45, 0.55),  # below both
        "d": (0.49, 0.40, 0.60),  # overlaps c
    }
    ranks = rank_groups(est)
    assert ranks["a"]["rank"] == ranks["b"]["rank"] == 1
    assert ranks["c"]["rank"] == ranks["d"]["rank"] == 3
    assert ranks["a"]["tied_with"] == ["b"] and ranks["c"]["tied_with"] == ["d"]
    chain = rank_groups({"x": (1.0, 0.9, 1.1), "y": (0.8, 0.7, 0.95), "z": (0.6, 0.5, 0.75)})
    # x and z do not overlap, y overlaps both: z is behind x but tied with y.
    assert chain["x"]["rank"] == 1 and chain["y"]["rank"] == 1 and chain["z"]["rank"] == 2
    assert chain["y"]["tied_with"] == ["x", "z"]
