"""The README's student path runs as written: Minari dataset -> plain PyTorch BC -> export ->
``leaderboard check`` (issue 28, deliverable 4)."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from ilkit.cli import cli

README = Path(__file__).resolve().parents[2] / "README.md"


def _student_block() -> str:
    text = README.read_text()
    section = text[text.index("### Students: from the dataset to a checked submission") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_student_path_runs_and_passes_check(tmp_path, monkeypatch):
    from ilkit.datasets import generate

    code = _student_block()
    assert len(code.strip().splitlines()) <= 12  # "about ten lines"
    # a small dataset under the id the README loads (the test's own Minari folder)
    generate("ilkit/CartPole-v0", n_episodes=3, seed=0, ref_scores=(0.0, 1.0), progress=False)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    result = CliRunner().invoke(cli, ["leaderboard", "check", "my-submission"])
    assert result.exit_code == 0, result.output
    evaluated = CliRunner().invoke(cli, ["evaluate", "my-submission", "--episodes", "2"])
    assert evaluated.exit_code == 0, evaluated.output


def test_readme_minari_commands_are_the_ones_that_work():
    """Issue 28: `minari list` needs `local`; `minari show` offers a download of a dataset that
    exists only locally."""
    text = README.read_text()
    assert "`minari list local`" in text and "`minari list`" not in text
    assert "ignore\n`minari show`'s hint to `minari download`" in text
