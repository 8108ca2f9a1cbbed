"""Regression tests for issue 28's smaller leaderboard defects."""

from __future__ import annotations

import json

from click.testing import CliRunner
from policyhelpers import CARTPOLE, GOOD, save_cartpole

from ilkit.cli import cli


def test_an_empty_submissions_folder_leaves_nothing_behind(tmp_path, monkeypatch):
    """It left run.json and unpacked/, which then refused a run with a secret into that OUT
    ("holds cells of the validation split")."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".DS_Store").write_text("hidden files are not submissions")
    out = tmp_path / "board"
    args = ["--envs", CARTPOLE, "--episodes", "1", "--seeds", "1", "--out", str(out)]
    result = CliRunner().invoke(cli, ["leaderboard", "run", str(tmp_path / "empty"), *args])
    assert result.exit_code == 1 and "no submissions in" in result.stderr
    assert not out.exists()

    save_cartpole(tmp_path / "subs" / "good", GOOD)
    monkeypatch.setenv("ILKIT_TEST_SECRET", "a-course-secret-of-32-characters")
    result = CliRunner().invoke(cli, ["leaderboard", "run", str(tmp_path / "subs"), *args])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "run.json").read_text())["split"] == "test"


def test_show_reads_the_board_as_records_not_by_rendering(tmp_path):
    """read_board validates leaderboard.json by parsing it into the typed records: a field of
    the wrong type names itself."""
    good = {
        "format": "ilkit-leaderboard", "format_version": 3, "generated_at": "t",
        "ilkit_version": "0", "split": {"name": "validation", "description": "d"},
        "config": {"seeds": 1, "episodes": 1}, "rank_basis": "b", "statistics": {},
        "tasks": [], "entries": [],
    }  # fmt: skip
    (tmp_path / "leaderboard.json").write_text(json.dumps(good))
    assert CliRunner().invoke(cli, ["leaderboard", "show", str(tmp_path)]).exit_code == 0
    bad = {**good, "entries": [{"name": 3}]}
    (tmp_path / "leaderboard.json").write_text(json.dumps(bad))
    result = CliRunner().invoke(cli, ["leaderboard", "show", str(tmp_path)])
    assert result.exit_code == 1 and "field 'name' has the wrong type" in result.stderr
