"""Grading platforms (issue 28, deliverable 5), each run against its documented directory
layout built here: Gradescope (/autograder/submission -> /autograder/results/results.json,
plus the autograder zip), Codabench (input/res -> output/scores.json) and EvalAI's
evaluate(test_annotation_file, user_submission_file, phase_codename)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from policyhelpers import BAD, CARTPOLE, GOOD, save_cartpole

from ilkit.cli import cli
from ilkit.envs import tasks
from ilkit.leaderboard.testseeds import fingerprint

REFS = {CARTPOLE: {"random": {"mean": 20.0}, "expert": {"mean": 500.0}}}
SECRET = "the-course-secret-0123456789abcdef"
WEAK = (0.0, 0.0, 1.0, 0.0)
BUDGET = ["--envs", CARTPOLE, "--episodes", "2", "--seeds", "2"]


@pytest.fixture(autouse=True)
def references(monkeypatch):
    monkeypatch.setattr(tasks, "_references", lambda: REFS)
    monkeypatch.delenv("ILKIT_TEST_SECRET", raising=False)


def _gradescope_root(tmp_path: Path, weights=WEAK) -> Path:
    root = tmp_path / "autograder"
    save_cartpole(root / "submission", weights)
    (root / "source").mkdir()
    (root / "source" / "test-secret.txt").write_text(SECRET + "\n")
    # a secret on the submission's side is never read
    (root / "submission" / "test-secret.txt").write_text("a-student-chosen-secret-000000000")
    return root


def test_gradescope_writes_results_json_scored_on_the_secret_split(tmp_path):
    root = _gradescope_root(tmp_path)
    result = CliRunner().invoke(cli, ["leaderboard", "grade", "--root", str(root), *BUDGET])
    assert result.exit_code == 0, result.output
    text = (root / "results" / "results.json").read_text()
    assert SECRET not in text
    results = json.loads(text)
    (test,) = results["tests"]
    assert set(test) >= {"name", "score", "max_score", "output"} and test["name"] == CARTPOLE
    assert 0 < test["score"] < test["max_score"] == 1.0  # the weak policy: partial credit
    assert results["score"] == test["score"]
    assert isinstance(results["output"], str) and fingerprint(SECRET.encode()) in results["output"]
    names = [e["name"] for e in results["leaderboard"]]
    assert names == ["score", "CartPole-v0"]
    assert all(set(e) == {"name", "value", "order"} for e in results["leaderboard"])

    # The same score as the board run with the same secret (the secret test split).
    subs = tmp_path / "subs"
    save_cartpole(subs / "weak", WEAK)
    (tmp_path / "secret.txt").write_text(SECRET)
    board = CliRunner().invoke(
        cli, ["leaderboard", "run", str(subs), *BUDGET, "--out", str(tmp_path / "board"),
              "--test-secret-file", str(tmp_path / "secret.txt"), "--json"],
    )  # fmt: skip
    assert board.exit_code == 0, board.output
    (entry,) = json.loads(board.stdout)["entries"]
    assert results["leaderboard"][0]["value"] == pytest.approx(entry["score"]["point"], abs=1e-6)
    assert json.loads(board.stdout)["split"]["name"] == "test"


def test_gradescope_refused_submission_scores_zero_with_the_reason(tmp_path):
    root = _gradescope_root(tmp_path)
    shutil.rmtree(root / "submission")
    (root / "submission").mkdir()  # handed in nothing usable
    (root / "submission" / "notes.txt").write_text("my policy is on my laptop")
    result = CliRunner().invoke(cli, ["leaderboard", "grade", "--root", str(root), *BUDGET])
    assert result.exit_code == 0, result.output
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and results["tests"][0]["score"] == 0
    assert "refused: no policy found" in results["output"]
    # without a secret on the platform's side there is no grade (and no results file)
    (root / "source" / "test-secret.txt").unlink()
    (root / "results" / "results.json").unlink()
    missing = CliRunner().invoke(cli, ["leaderboard", "grade", "--root", str(root), *BUDGET])
    assert missing.exit_code == 1 and "needs the test secret" in missing.stderr
    assert not (root / "results" / "results.json").exists()


def test_autograder_zip_installs_ilkit_and_its_run_autograder_grades(tmp_path):
    (tmp_path / "secret.txt").write_text(SECRET)
    zip_path = tmp_path / "autograder.zip"
    made = CliRunner().invoke(
        cli, ["leaderboard", "autograder", *BUDGET, "--test-secret-file",
              str(tmp_path / "secret.txt"), "--out", str(zip_path)],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    root = tmp_path / "autograder"
    with zipfile.ZipFile(zip_path) as archive:
        assert set(archive.namelist()) == {"setup.sh", "run_autograder", "test-secret.txt"}
        archive.extractall(root / "source")  # what Gradescope does with the zip
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
    assert modes["setup.sh"] & 0o100 and modes["run_autograder"] & 0o100
    setup = (root / "source" / "setup.sh").read_text()
    assert "pip install" in setup and "ilkit==" in setup
    save_cartpole(root / "submission", GOOD)
    env = {
        **os.environ,
        "AUTOGRADER_ROOT": str(root),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",  # ilkit, as setup.sh
    }
    # the references the board needs come from ilkit's table, patched only in this process:
    # so give the child the same ones through a sitecustomize on its path
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(
        f"from ilkit.envs import tasks\ntasks._references = lambda: {REFS!r}\n"
    )
    env["PYTHONPATH"] = f"{tmp_path / 'site'}:{env.get('PYTHONPATH', '')}"
    run = subprocess.run(
        ["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == pytest.approx(1.0) and results["tests"][0]["max_score"] == 1.0


def test_codabench_scoring_program_reads_res_and_writes_scores(tmp_path):
    root = tmp_path / "app"
    save_cartpole(root / "input" / "res", GOOD)
    (root / "input" / "ref").mkdir()
    (root / "input" / "ref" / "test-secret.txt").write_text(SECRET)
    result = CliRunner().invoke(
        cli, ["leaderboard", "grade", "--platform", "codabench", "--root", str(root), *BUDGET]
    )
    assert result.exit_code == 0, result.output
    scores = json.loads((root / "output" / "scores.json").read_text())
    assert scores == {"score": pytest.approx(1.0), "CartPole-v0": pytest.approx(1.0)}
    assert "secret test split" in (root / "output" / "detailed_results.html").read_text()
    made = CliRunner().invoke(
        cli, ["leaderboard", "autograder", "--platform", "codabench", *BUDGET,
              "--test-secret-file", str(root / "input" / "ref" / "test-secret.txt"),
              "--out", str(tmp_path / "scoring_program.zip")],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    with zipfile.ZipFile(tmp_path / "scoring_program.zip") as archive:
        metadata = archive.read("metadata.yaml").decode()
    assert "command: ilkit leaderboard grade --platform codabench --root /app" in metadata
    assert SECRET not in metadata


def test_evalai_evaluate_returns_evalais_result_structure(tmp_path):
    from ilkit.leaderboard.grading import evaluate

    annotation = tmp_path / "annotations.json"
    annotation.write_text(
        json.dumps({"envs": [CARTPOLE], "episodes": 2, "seeds": 2, "test_secret": SECRET})
    )
    save_cartpole(tmp_path / "mine" / "cartpole", BAD)
    upload = tmp_path / "uploads" / "a1b2c3"  # EvalAI stores the upload under its own name
    upload.parent.mkdir()
    shutil.make_archive(str(upload), "zip", tmp_path / "mine")
    os.rename(f"{upload}.zip", upload)
    output = evaluate(str(annotation), str(upload), "test")
    assert set(output) == {"result", "submission_result"}
    ((split, metrics),) = output["result"][0].items()
    assert split == "test_split" and output["submission_result"] == metrics
    assert set(metrics) == {"score", "CartPole-v0"} and metrics["score"] < 0  # worse than random
