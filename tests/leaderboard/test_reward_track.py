"""The leaderboard's reward track (issue 26, deliverable 7): reward artifacts are a submission
kind, scored in the sandboxed worker by exact EPIC and retrained return on tabular tasks, ranked
in their own table, byte-reproducible, and nothing of the hidden reward leaves the worker."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner
from policyhelpers import CARTPOLE, LAVA, REWARD_TRAINING, save_state_reward

from ilkit.cli import cli
from ilkit.envs import tasks
from ilkit.envs.tabular import _truth, register
from ilkit.leaderboard.records import RewardScores
from ilkit.leaderboard.worker import _cell_result, evaluate_job
from ilkit.rewards import LinearReward

REPORTS = ("leaderboard.json", "leaderboard.md", "leaderboard.html")


def _submissions(root):
    true = _truth.true_reward(LAVA)
    save_state_reward(root / "good" / "reward", 3.0 * true + 1.0)  # equal up to positive affine
    save_state_reward(root / "negated", -true)
    save_state_reward(root / "random", np.random.default_rng(0).normal(size=true.shape))
    (root / "malformed").mkdir()  # a reward manifest that names neither task nor kind
    (root / "malformed" / "manifest.json").write_text('{"format": "ilkit-reward"}')
    (root / "malformed" / "reward.safetensors").write_bytes(b"\0" * 16)
    corrupt = save_state_reward(root / "corrupt", true)
    (corrupt / "reward.safetensors").write_bytes(b"not a safetensors file")
    LinearReward(np.ones(4)).save(root / "cartpole", env_id=CARTPOLE, training=REWARD_TRAINING)


def _run(subs, out):
    args = ["leaderboard", "run", str(subs), "--envs", f"{LAVA},{CARTPOLE}", "--out", str(out)]
    result = CliRunner().invoke(cli, [*args, "--episodes", "1", "--seeds", "1"])
    assert result.exit_code == 0, result.output
    return result


def _files(out) -> dict[str, str]:
    stamp = json.loads((out / "leaderboard.json").read_text())["generated_at"]
    return {name: (out / name).read_text().replace(stamp, "<time>") for name in REPORTS}


def test_reward_track_ranks_by_epic_is_reproducible_and_resumes(tmp_path, monkeypatch):
    refs = {CARTPOLE: {"random": {"mean": 20.0}, "expert": {"mean": 500.0}}}
    monkeypatch.setattr(tasks, "_references", lambda: refs)
    subs = tmp_path / "subs"
    _submissions(subs)
    _run(subs, tmp_path / "one")
    board = json.loads((tmp_path / "one" / "leaderboard.json").read_text())
    track = board["rewards"]
    assert track["tasks"] == [LAVA]  # the board's tabular tasks
    rows = {e["name"]: e for e in track["entries"]}
    order = [e["name"] for e in track["entries"]]
    assert order[0] == "good" and rows["good"]["rank"] == 1
    good = rows["good"]["tasks"][LAVA]
    assert good["epic"] < 1e-6 and abs(good["normalized_return"] - 1.0) < 1e-9
    assert rows["negated"]["tasks"][LAVA]["epic"] > 0.99
    assert order.index("random") < order.index("negated")  # uncorrelated beats negated
    assert 0.5 < rows["random"]["tasks"][LAVA]["epic"] < 0.9
    # the malformed one is a row with its one-line reason, never a stopped board
    assert rows["malformed"]["error"] == "manifest.json does not declare its reward kind"
    assert {f["kind"] for f in rows["malformed"]["failures"]} == {"rejected"}
    corrupt = {f["kind"]: f["reason"] for f in rows["corrupt"]["failures"]}
    assert "safetensors" in corrupt["error"] and "\n" not in corrupt["error"]
    wrong = {f["env_id"]: f for f in rows["cartpole"]["failures"]}
    assert wrong[CARTPOLE]["kind"] == "not_tabular" and wrong[LAVA]["kind"] == "missing"
    # reward-only submissions are not rows of the policy table; a refused one is in both
    assert [e["name"] for e in board["entries"]] == ["malformed"]

    assert rows["good"]["failures"] == []  # another's CartPole reward is not good's failure
    assert "/unpacked/" not in corrupt["error"]  # paths inside the submission, not the board's

    md = (tmp_path / "one" / "leaderboard.md").read_text()
    policies, rewards = md.split("## Reward track")
    assert "Ranked by mean EPIC" in rewards and "| 1 | good | ok | " in rewards
    (line,) = [ln for ln in rewards.splitlines() if ln.startswith("- malformed, ")]
    assert line == "- malformed, LavaGrid-v0: rejected: " + rows["malformed"]["error"]
    html = (tmp_path / "one" / "leaderboard.html").read_text()
    assert '<table id="rewards" class="sortable">' in html and "Reward track" in html

    # a second board on the same submissions: the same files, byte for byte, but the time
    _run(subs, tmp_path / "two")
    assert _files(tmp_path / "one") == _files(tmp_path / "two")
    # resumable: stored reward cells are not evaluated again, and re-render identically
    for name in REPORTS:
        (tmp_path / "one" / name).unlink()
    rerun = _run(subs, tmp_path / "one")
    assert "0 to evaluate" in rerun.stderr
    assert _files(tmp_path / "one") == _files(tmp_path / "two")


def test_a_reward_cell_carries_scores_only(tmp_path):
    # a task of our own, with weights no score can equal by chance
    rng = np.random.default_rng(7)
    n, a, f = 6, 2, 3
    transition = rng.dirichlet(np.ones(n), size=(n, a))
    features = rng.uniform(size=(n, f))
    weights = np.array([0.7316495, -0.2843917, 0.5129374])
    env_id = "ilkit/RewardLeakTest-v0"
    register(env_id, transition=transition, initial=np.full(n, 1 / n), features=features,
             weights=weights, horizon=8, gamma=0.9)  # fmt: skip
    true = features @ weights
    save_state_reward(tmp_path / "r", true, env_id)
    job = {"submission": "s", "digest": "d", "env_id": env_id, "cells": [{"seed_index": 0}],
           "reward": {"path": str(tmp_path / "r")}}  # fmt: skip
    messages: list[dict] = []
    assert evaluate_job(job, messages.append, 0) == 0
    (message,) = messages
    assert set(message) == {"type", "seed_index", "scores", "elapsed_s"}
    assert set(message["scores"]) == set(RewardScores.__dataclass_fields__)
    assert message["scores"]["epic"] < 1e-6
    # the first five digits of every true weight and true reward: none is in the message
    secrets = [f"{abs(v):.12f}".split(".")[1][:5] for v in np.concatenate([weights, true])]
    assert all(s in json.dumps(np.concatenate([weights, true]).tolist()) for s in secrets)
    assert not [s for s in secrets if s in json.dumps(message)]
    # the parent parses the scores as a whitelist: an extra field fails the cell
    smuggled = {**message, "scores": {**message["scores"], "weights": weights.tolist()}}
    assert _cell_result(smuggled) is None
    assert _cell_result(message).scores == RewardScores.from_json(message["scores"])


def test_check_accepts_a_reward_and_gives_the_boards_reason_otherwise(tmp_path):
    save_state_reward(tmp_path / "good", _truth.true_reward(LAVA))
    result = CliRunner().invoke(cli, ["leaderboard", "check", str(tmp_path / "good")])
    assert result.exit_code == 0, result.output
    assert f"ok: {LAVA}: state reward" in result.output
    save_state_reward(tmp_path / "short", np.zeros(5))  # 5 states, LavaGrid has 42
    LinearReward(np.ones(4)).save(tmp_path / "cartpole", env_id=CARTPOLE, training=REWARD_TRAINING)
    for name, reason in (("short", "one-hot observations"), ("cartpole", "not tabular")):
        result = CliRunner().invoke(cli, ["leaderboard", "check", str(tmp_path / name)])
        assert result.exit_code == 3 and reason in result.stderr, result.output
        assert len(result.stderr.strip().splitlines()) == 1
