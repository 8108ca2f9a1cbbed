import json

from click.testing import CliRunner

from ilkit.cli import cli


def test_quickstart_end_to_end_ranks_learners_above_random(tmp_path):
    out = tmp_path / "qs"
    args = ["quickstart", "--out", str(out), "--demos", "3", "--episodes", "3", "--seeds", "2"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    board = json.loads((out / "board" / "leaderboard.json").read_text())
    entries = {e["name"]: e for e in board["entries"]}
    assert set(entries) == {"bc", "dagger", "reference-expert", "reference-random"}
    mean = {n: e["tasks"]["ilkit/CartPole-v0"]["mean"] for n, e in entries.items()}
    assert mean["reference-expert"] == 500.0
    assert mean["bc"] > 3 * mean["reference-random"]
    assert mean["dagger"] > 3 * mean["reference-random"]
    # the learners are ranked, the references are rows; the tracks are ilkit's own
    assert {entries["bc"]["rank"], entries["dagger"]["rank"]} <= {1, 2}
    assert entries["reference-expert"]["rank"] is None and entries["reference-expert"]["reference"]
    assert entries["bc"]["track"]["source"] == "ilkit"
    assert board["split"]["name"] == "validation"
    assert "| rank |" in result.output  # the markdown board is printed
    assert "public validation split" in result.output
    for name in ("leaderboard.csv", "leaderboard.md", "leaderboard.html"):
        assert (out / "board" / name).is_file()
    # rerun replaces the earlier quickstart instead of refusing or mixing stale cells
    assert CliRunner().invoke(cli, args).exit_code == 0


def test_quickstart_refuses_a_foreign_directory(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    result = CliRunner().invoke(cli, ["quickstart", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "not made by quickstart" in result.output
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_quickstart_refuses_empty_budgets_before_doing_anything(tmp_path):
    """Issue 28: --episodes 0 trained first, then failed naming a --workers option quickstart
    does not have; --demos 0 left an empty folder."""
    from ilkit.errors import IlkitError
    from ilkit.quickstart import run_quickstart

    for option in ("--episodes", "--demos", "--seeds"):
        out = tmp_path / option.strip("-")
        result = CliRunner().invoke(cli, ["quickstart", "--out", str(out), option, "0"])
        assert result.exit_code == 2, result.output
        assert option in result.output and "--workers" not in result.output
        assert not out.exists()  # nothing trained, nothing written
    try:
        run_quickstart(tmp_path / "api", episodes=0)
    except IlkitError as err:
        assert "episodes must be a positive integer" in str(err)
    else:
        raise AssertionError("episodes=0 was accepted")
    assert not (tmp_path / "api").exists()


def test_quickstart_time_is_stated_once_the_same_way():
    """Issue 28: "~3 min" in the README, "about two minutes" in --help, 14 s measured."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    help_text = CliRunner().invoke(cli, ["quickstart", "--help"]).output
    assert "under a minute" in help_text and "two minutes" not in help_text
    assert "(< 1 min)" in readme and "~3 min" not in readme
