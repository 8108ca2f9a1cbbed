"""Grading the reward track (inverse-RL homework) on Gradescope, Codabench and EvalAI: a reward
task earns its normalized retrained return clipped to [0, 1], EPIC is shown and ranked, failures
are test lines with their reasons, policy-only grades are unchanged, and nothing of the hidden
reward reaches a grading file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from policyhelpers import CARTPOLE, GOOD, LAVA, REWARD_TRAINING, save_cartpole, save_state_reward

from ilkit.cli import cli
from ilkit.envs import tasks
from ilkit.envs.tabular import _truth
from ilkit.leaderboard.grading import REWARD_RULE
from ilkit.rewards import LinearReward

REFS = {CARTPOLE: {"random": {"mean": 20.0}, "expert": {"mean": 500.0}}}
SECRET = "the-course-secret-0123456789abcdef"
BUDGET = ["--episodes", "1", "--seeds", "1"]


@pytest.fixture(autouse=True)
def references(monkeypatch):
    monkeypatch.setattr(tasks, "_references", lambda: REFS)
    monkeypatch.delenv("ILKIT_TEST_SECRET", raising=False)


def _gradescope(tmp_path: Path, name: str, make, envs: str = LAVA) -> tuple[dict, str]:
    """Grade what ``make(submission)`` writes, in Gradescope's layout; results.json's text."""
    root = tmp_path / name
    make(root / "submission")
    (root / "source").mkdir()
    (root / "source" / "test-secret.txt").write_text(SECRET + "\n")
    args = ["leaderboard", "grade", "--root", str(root), "--envs", envs, *BUDGET]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    text = (root / "results" / "results.json").read_text()
    return json.loads(text), text


def _board(results: dict) -> dict[str, tuple[float, str]]:
    return {e["name"]: (e["value"], e["order"]) for e in results["leaderboard"]}


def test_a_reward_is_scored_by_its_retrained_return_and_shows_its_epic(tmp_path):
    true = _truth.true_reward(LAVA)
    rewards = {
        "good": 3.0 * true + 1.0,  # equal up to positive affine: EPIC 0, the expert's return
        "random": np.random.default_rng(0).normal(size=true.shape),
        "negated": -true,
    }
    graded = {}
    for name, table in rewards.items():
        results, text = _gradescope(
            tmp_path, name, lambda s, t=table: save_state_reward(s / "reward", t)
        )
        assert SECRET not in text
        (test,) = results["tests"]  # reward-only: no policy test, one reward test
        assert test["name"] == f"reward {LAVA}" and test["max_score"] == 1.0
        assert results["score"] == test["score"]
        assert REWARD_RULE in test["output"] and "Pearson" in test["output"]
        assert "feature gap" in test["output"]
        board = _board(results)
        assert list(board) == ["reward_epic", "reward_score", "LavaGrid-v0_epic"]
        assert board["reward_epic"][1] == board["LavaGrid-v0_epic"][1] == "asc"
        assert board["reward_score"][1] == "desc"
        graded[name] = (test, board)

    good, good_board = graded["good"]
    assert good["score"] == pytest.approx(1.0, abs=1e-6)
    assert "EPIC 0.000" in good["output"] and good_board["reward_epic"][0] < 1e-6
    random, random_board = graded["random"]
    assert 0.0 < random["score"] < good["score"] - 0.2  # lower, yet above the negated one
    # the rule: the score is the retrained return (here inside [0, 1], so unclipped)
    assert f"normalized retrained return {random['score']:.3f} " in random["output"]
    assert random["score"] == pytest.approx(random_board["reward_score"][0], abs=1e-6)
    assert 0.5 < random_board["reward_epic"][0] < 0.9
    negated, negated_board = graded["negated"]
    assert negated["score"] == pytest.approx(0.0, abs=1e-6)  # its return is below random
    assert negated_board["reward_epic"][0] > 0.99 and negated_board["reward_score"][0] < 0


def test_a_malformed_reward_is_a_failed_test_with_its_reason(tmp_path):
    def corrupt(submission):  # a valid manifest, weights that are no safetensors file
        save_state_reward(submission, _truth.true_reward(LAVA))
        (submission / "reward.safetensors").write_bytes(b"not a safetensors file")

    results, _ = _gradescope(tmp_path, "corrupt", corrupt)
    (test,) = results["tests"]
    assert test["name"] == f"reward {LAVA}" and test["score"] == 0 and results["score"] == 0
    lines = test["output"].splitlines()
    assert lines[0] == "no reward was scored, counted as EPIC 1 and return 0:"
    assert "safetensors" in lines[1]
    assert _board(results)["reward_epic"][0] == 1.0

    def no_kind(submission):  # refused whole: the board's one-line reason, on a failed test
        submission.mkdir(parents=True)
        (submission / "manifest.json").write_text('{"format": "ilkit-reward"}')
        (submission / "reward.safetensors").write_bytes(b"\0" * 16)

    results, _ = _gradescope(tmp_path, "no-kind", no_kind)
    assert results["score"] == 0 and all(t["score"] == 0 for t in results["tests"])
    reason = "manifest.json does not declare its reward kind"
    assert f"refused: {reason}" in results["output"]
    assert all(reason in t["output"] for t in results["tests"])


def test_rewards_for_no_tabular_task_are_graded_zero_with_the_reason(tmp_path):
    def cartpole_reward(submission):
        LinearReward(np.ones(4)).save(submission, env_id=CARTPOLE, training=REWARD_TRAINING)

    results, _ = _gradescope(tmp_path, "cartpole", cartpole_reward, envs=CARTPOLE)
    (test,) = results["tests"]  # never an empty grade: the policy test, at 0, says why
    assert test["name"] == CARTPOLE and test["score"] == 0
    assert f"the submission has no policy for {CARTPOLE}" in test["output"]
    assert "Rewards not graded" in results["output"]
    assert f"{CARTPOLE}: {CARTPOLE} is not tabular" in results["output"]


def test_codabench_and_evalai_carry_the_same_reward_numbers(tmp_path):
    from ilkit.leaderboard.grading import evaluate

    res = tmp_path / "app" / "input" / "res"
    save_cartpole(res / "policy", GOOD)  # a whole `ilkit train` run: a policy and a reward
    save_state_reward(res / "reward", 2.0 * _truth.true_reward(LAVA))
    (tmp_path / "app" / "input" / "ref").mkdir()
    (tmp_path / "app" / "input" / "ref" / "test-secret.txt").write_text(SECRET)
    envs = f"{CARTPOLE},{LAVA}"
    args = ["leaderboard", "grade", "--platform", "codabench", "--root", str(tmp_path / "app")]
    result = CliRunner().invoke(cli, [*args, "--envs", envs, *BUDGET])
    assert result.exit_code == 0, result.output
    scores = json.loads((tmp_path / "app" / "output" / "scores.json").read_text())
    assert list(scores) == [
        "score", "CartPole-v0", "LavaGrid-v0", "reward_epic", "reward_score", "LavaGrid-v0_epic",
    ]  # fmt: skip
    assert scores["reward_epic"] < 1e-6 and scores["reward_score"] == pytest.approx(1.0)
    assert scores["LavaGrid-v0"] == 0  # the policy track: no LavaGrid policy
    assert "Reward track" in (tmp_path / "app" / "output" / "detailed_results.html").read_text()

    annotation = tmp_path / "annotation.json"
    spec_ = {"envs": [CARTPOLE, LAVA], "episodes": 1, "seeds": 1, "test_secret": SECRET}
    annotation.write_text(json.dumps(spec_))
    output = evaluate(str(annotation), str(res), "test")
    assert output["submission_result"] == scores  # the same numbers on both platforms


def test_a_policy_only_grade_has_no_reward_keys(tmp_path):
    # a tabular task among --envs, but no reward: results.json is what it was before rewards
    results, text = _gradescope(
        tmp_path, "policy", lambda s: save_cartpole(s), f"{CARTPOLE},{LAVA}"
    )
    assert set(results) == {"score", "output", "tests", "leaderboard", "visibility",
                            "stdout_visibility"}  # fmt: skip
    assert [t["name"] for t in results["tests"]] == [CARTPOLE, LAVA]
    assert list(_board(results)) == ["score", "CartPole-v0", "LavaGrid-v0"]
    assert {order for _, order in _board(results).values()} == {"desc"}
    assert "reward" not in text.lower() and "EPIC" not in text


LEAK_TASK = "ilkit/GradeLeakTest-v0"
LEAK_WEIGHTS = (0.8316495, -0.2743917, 0.4129374)
REGISTER = f"""
import numpy as np
from ilkit.envs.tabular import register
rng = np.random.default_rng(11)
register({LEAK_TASK!r}, transition=rng.dirichlet(np.ones(6), size=(6, 2)),
         initial=np.full(6, 1 / 6), features=rng.uniform(size=(6, 3)),
         weights=np.array({LEAK_WEIGHTS!r}), horizon=8, gamma=0.9)
"""


def test_results_json_carries_no_digit_of_the_hidden_reward(tmp_path):
    # a task of our own, with weights no score can equal by chance, registered in every
    # process of the grader (its CLI, the forkserver and the workers) by a sitecustomize
    exec(REGISTER, {})
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(REGISTER)
    true = _truth.true_reward(LEAK_TASK)
    root = tmp_path / "autograder"
    save_state_reward(root / "submission", 2.0 * true + 0.5, LEAK_TASK)
    (root / "source").mkdir()
    (root / "source" / "test-secret.txt").write_text(SECRET)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path / 'site'}:{os.environ.get('PYTHONPATH', '')}"}
    run = subprocess.run(
        [sys.executable, "-m", "ilkit.cli", "leaderboard", "grade", "--root", str(root),
         "--envs", LEAK_TASK, *BUDGET], env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    text = (root / "results" / "results.json").read_text()
    (test,) = json.loads(text)["tests"]
    assert test["score"] == pytest.approx(1.0) and "EPIC 0.000" in test["output"]
    # the first five digits of every true weight and true reward: none is in results.json
    hidden = np.concatenate([LEAK_WEIGHTS, true])
    secrets = [f"{abs(v):.12f}".split(".")[1][:5] for v in hidden]
    assert all(s in json.dumps(hidden.tolist()) for s in secrets)
    assert not [s for s in secrets if s in text]
