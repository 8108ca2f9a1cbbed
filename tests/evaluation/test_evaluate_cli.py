"""``ilkit evaluate``: held-out seeds, JSON output, normalized score and --min-score."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from policyhelpers import BAD, CARTPOLE, GOOD, declared_manifest, save_cartpole, sb3_zip

from ilkit.cli import cli
from ilkit.envs import tasks
from ilkit.envs.seeds import VALIDATION_BASE


@pytest.fixture
def references(monkeypatch):
    refs = {CARTPOLE: {"random": {"mean": 20.0}, "expert": {"mean": 500.0}}}
    monkeypatch.setattr(tasks, "_references", lambda: refs)


def _evaluate(*args: str):
    return CliRunner().invoke(cli, ["evaluate", *args])


def test_evaluate_json_uses_validation_seeds(tmp_path):
    save_cartpole(tmp_path / "good", GOOD)
    result = _evaluate(str(tmp_path / "good"), "--env", CARTPOLE, "--episodes", "3", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["returns"] == [500.0, 500.0, 500.0] and data["mean"] == 500.0
    assert data["seeds"] == [VALIDATION_BASE, VALIDATION_BASE + 1, VALIDATION_BASE + 2]
    assert data["normalized_score"] is None or isinstance(data["normalized_score"], float)


def test_evaluate_text_defaults_to_the_artifacts_task(tmp_path, references):
    save_cartpole(tmp_path / "bad", BAD)
    result = _evaluate(str(tmp_path / "bad"), "--episodes", "2")
    assert result.exit_code == 0, result.stderr
    assert f"seed {VALIDATION_BASE}: return" in result.stdout
    assert "ilkit/CartPole-v0: mean" in result.stdout and "normalized score -0.0" in result.stdout


def test_min_score_exit_codes(tmp_path, references):
    save_cartpole(tmp_path / "good", GOOD)
    save_cartpole(tmp_path / "bad", BAD)
    ok = _evaluate(str(tmp_path / "good"), "--episodes", "2", "--min-score", "0.9")
    assert ok.exit_code == 0 and "normalized score 1.000" in ok.stdout
    low = _evaluate(str(tmp_path / "bad"), "--episodes", "2", "--min-score", "0.9")
    assert low.exit_code == 3
    assert (
        low.stderr.startswith("error: normalized score") and "below --min-score 0.9" in low.stderr
    )


def test_min_score_without_references_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(tasks, "_references", lambda: {})
    save_cartpole(tmp_path / "good", GOOD)
    result = _evaluate(str(tmp_path / "good"), "--episodes", "1", "--min-score", "0.5")
    assert result.exit_code == 1 and "no reference returns" in result.stderr


def test_evaluate_declared_sb3_zip(tmp_path):
    sb3_zip(tmp_path / "ppo.zip", GOOD)
    manifest = declared_manifest(tmp_path / "ppo.json", "ppo.zip")
    result = _evaluate(str(manifest), "--episodes", "2", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["mean"] == 500.0


def test_evaluate_errors_are_one_line(tmp_path):
    save_cartpole(tmp_path / "good", GOOD)
    wrong = _evaluate(str(tmp_path / "good"), "--env", "ilkit/Pendulum-v0", "--episodes", "1")
    assert (
        wrong.exit_code == 1
        and wrong.stderr.startswith("error:")
        and "does not fit" in wrong.stderr
    )
    unknown = _evaluate(str(tmp_path / "good"), "--env", "CartPole-v1")
    assert unknown.exit_code == 1 and "did you mean ilkit/CartPole-v0" in unknown.stderr
    (tmp_path / "empty").mkdir()
    missing = _evaluate(str(tmp_path / "empty"))
    assert missing.exit_code == 1 and "empty: no policy found" in missing.stderr
    assert "Traceback" not in wrong.stderr + unknown.stderr + missing.stderr


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("net_arch", [64, -3], "positive integers"),
        ("net_arch", "64", "list of at most"),
        ("net_arch", [[[[]]]], "positive integers"),
        ("net_arch", {"pi": [8], "qf": [8]}, "'pi' and 'vf'"),
        ("activation", {"x": 1}, "unknown activation"),
        ("log_std_init", "big", "finite number"),
    ],
)
def test_evaluate_on_a_malformed_manifest_is_one_line(tmp_path, field, value, message):
    """Issue 13, problem 7: a negative layer width (or a wrong type) is an error, not a crash."""
    path = save_cartpole(tmp_path / "p", GOOD)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["architecture"][field] = value
    (path / "manifest.json").write_text(json.dumps(manifest))
    result = _evaluate(str(path), "--episodes", "1")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
