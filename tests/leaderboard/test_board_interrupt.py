"""An interrupted board is not a failed one (issue 28, deliverable 2): a real signal to a real
board process leaves finished cells stored and unfinished ones absent, and rerunning the same
command evaluates exactly those, with no flag."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from policyhelpers import BAD, CARTPOLE, GOOD, save_cartpole

from ilkit.cli import cli

SEEDS = 6
CELLS = 3 * SEEDS  # enough work that the signal lands mid-run even on a loaded machine


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_interrupted_board_stores_no_failure_and_resumes(tmp_path, how):
    subs = tmp_path / "subs"
    for i, w in enumerate([GOOD, BAD, (0.0, 0.0, 1.0, 0.0)]):
        save_cartpole(subs / f"entry{i}", w)
    out = tmp_path / "board"
    args = [str(subs), "--envs", CARTPOLE, "--episodes", "20", "--seeds", str(SEEDS)]
    args += ["--out", str(out), "--workers", "1"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ilkit.cli", "leaderboard", "run", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
        # SIGINT as a terminal's job has it (a shell's background job inherits it ignored)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    cells = out / "cells"
    try:
        while not list(cells.glob("*/*/seed-*.json")) and proc.poll() is None:
            time.sleep(0.05)
        if how == "ctrl-c":  # a terminal sends SIGINT to the whole group: board and workers
            os.killpg(proc.pid, signal.SIGINT)
        else:  # a scheduler or `kill` stops the board process itself
            proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    stored = {p: json.loads(p.read_text()) for p in cells.glob("*/*/seed-*.json")}
    assert 0 < len(stored) < CELLS, "interrupt the run mid-way"
    assert [c["status"] for c in stored.values()] == ["ok"] * len(stored)  # nothing failed
    assert not (out / "leaderboard.json").exists()

    result = CliRunner().invoke(cli, ["leaderboard", "run", *args])
    assert result.exit_code == 0, result.output
    assert f"{len(stored)} cells already done" in result.stderr
    assert f"{CELLS - len(stored)} to evaluate" in result.stderr
    entries = json.loads((out / "leaderboard.json").read_text())["entries"]
    assert [e["failures"] for e in entries] == [[], [], []]
    assert all(e["complete"] for e in entries)
