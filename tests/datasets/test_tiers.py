"""Dataset tiers (noisy, medium, mixed): same generator, same guarantees, tier metadata."""

from __future__ import annotations

import json
import subprocess
import sys

import minari
import numpy as np
import pytest
from click.testing import CliRunner

import ilkit.envs
from ilkit import datasets
from ilkit.cli import cli
from ilkit.datasets.checksums import data_file_checksums
from ilkit.datasets.generation import generate
from ilkit.datasets.tiers import noise_levels, tier_params
from ilkit.envs import spec

ENV = "ilkit/CartPole-v0"
TIER_NAMES = ("expert", "noisy", "medium", "mixed")


def test_spec_lists_a_dataset_per_tier():
    assert spec(ENV).dataset_ids == tuple(f"ilkit/CartPole/{t}-v0" for t in TIER_NAMES)
    assert spec(ENV).to_dict()["dataset_ids"][0] == spec(ENV).dataset_id


CALIBRATED = set(ilkit.envs.ids()) - set(ilkit.envs.tabular.ids())
"""Every task's tiers are measured in tiers.json (the tabular tasks' are not)."""


def test_calibrated_tiers_sit_in_their_bands():
    for env_id in CALIBRATED:
        params = tier_params(env_id)
        assert 0.0 < params["medium"]["eps"] <= 1.0
        assert params["noisy"]["eps"] == pytest.approx(params["medium"]["eps"] / 2)
        assert 0.3 <= params["medium"]["normalized_score"] <= 0.6, env_id
        assert params["noisy"]["normalized_score"] > params["medium"]["normalized_score"], env_id


def test_an_uncalibrated_tier_is_a_clear_error(monkeypatch):
    from ilkit.datasets import DatasetError, tiers

    monkeypatch.setattr(tiers, "_table", lambda: {})
    with pytest.raises(DatasetError, match="not calibrated .*python scripts/calibrate_tiers.py"):
        generate(ENV, n_episodes=2, seed=0, tier="noisy", progress=False)
    assert datasets.list_datasets() == []  # nothing written


@pytest.mark.parametrize("tier", TIER_NAMES)
def test_every_tier_generates_verifies_and_loads(tier):
    ds = generate(ENV, n_episodes=4, seed=0, tier=tier, progress=False)
    dataset_id = f"ilkit/CartPole/{tier}-v0"
    assert ds.spec.dataset_id == dataset_id
    report = datasets.verify(dataset_id)
    assert report["episodes"] == 4
    loaded = datasets.load(dataset_id, generate_if_missing=False)
    assert loaded.total_episodes == 4
    meta = loaded.storage.metadata["ilkit"]
    assert meta["tier"]["name"] == tier
    params = tier_params(ENV)
    expected = {
        "expert": 1.0,
        "noisy": params["noisy"]["normalized_score"],
        "medium": params["medium"]["normalized_score"],
        "mixed": (1.0 + params["medium"]["normalized_score"]) / 2,
    }[tier]
    assert meta["tier"]["normalized_score"] == pytest.approx(expected)
    for ep in loaded.iterate_episodes():  # no per-step reward: zeros, as in X
        assert not ep.rewards.any()
    assert minari.load_dataset(dataset_id).total_episodes == 4  # Minari reads it


def test_noisy_actions_differ_from_the_expert_and_mixed_alternates():
    expert = generate(ENV, n_episodes=4, seed=5, progress=False)
    noisy = generate(ENV, n_episodes=4, seed=5, tier="noisy", progress=False)
    mixed = generate(ENV, n_episodes=4, seed=5, tier="mixed", progress=False)
    medium = generate(ENV, n_episodes=4, seed=5, tier="medium", progress=False)
    exp_eps = list(expert.iterate_episodes())
    for e, n in zip(exp_eps, noisy.iterate_episodes(), strict=True):
        assert e.observations[0].tolist() == n.observations[0].tolist()  # same start
        assert not np.array_equal(e.actions, n.actions)  # random actions mixed in
    for i, (m, e, md) in enumerate(
        zip(mixed.iterate_episodes(), exp_eps, medium.iterate_episodes(), strict=True)
    ):
        twin = e if i % 2 == 0 else md  # even episodes: expert; odd: medium
        np.testing.assert_array_equal(m.actions, twin.actions)
        np.testing.assert_array_equal(m.observations, twin.observations)
    assert noise_levels(ENV, "mixed", 4)[::2] == [0.0, 0.0]


def test_noisy_tier_is_byte_identical_whatever_workers():
    sums = []
    for workers, n_envs in [(1, 64), (2, 3)]:
        ds = generate(ENV, n_episodes=5, seed=11, tier="noisy", workers=workers,
                      n_envs=n_envs, force=True, progress=False)  # fmt: skip
        sums.append(data_file_checksums(ds.spec.data_path))
    assert sums[0] == sums[1]


def test_load_generates_a_missing_tier():
    ds = datasets.load("ilkit/Detour/noisy-v0", progress=False)
    assert ds.storage.metadata["ilkit"]["tier"]["name"] == "noisy"


def test_cli_tier_option_and_unknown_tier():
    runner = CliRunner()
    out = runner.invoke(cli, ["generate", ENV, "-n", "2", "-s", "0", "--tier", "medium", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["dataset_id"] == "ilkit/CartPole/medium-v0"
    bad = runner.invoke(cli, ["generate", ENV, "-n", "2", "-s", "0", "--tier", "bad"])
    assert bad.exit_code == 2 and "bad" in bad.output


def test_minari_show_reads_a_tier():
    generate(ENV, n_episodes=2, seed=0, tier="mixed", progress=False)
    from pathlib import Path

    minari_cli = [str(Path(sys.executable).with_name("minari")), "show", "ilkit/CartPole/mixed-v0"]
    out = subprocess.run(minari_cli, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "mixed" in out.stdout
