"""The static leaderboard page, opened from disk in headless Chromium (no server, no network)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from ilkit.envs import tasks
from ilkit.leaderboard.leaderboard import BoardConfig, build_board
from ilkit.leaderboard.records import Cell
from ilkit.leaderboard.reports import write_reports
from ilkit.leaderboard.store import CellStore
from ilkit.leaderboard.submissions import Submission

CARTPOLE = "ilkit/CartPole-v0"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def _board(out: Path, monkeypatch) -> dict:
    """A board from stored cells: alpha ~ expert, beta ~ halfway, gamma failed."""
    monkeypatch.setattr(
        tasks,
        "_references",
        lambda: {CARTPOLE: {"random": {"mean": 0.0}, "expert": {"mean": 500.0}}},
    )
    store = CellStore(out)
    rng = np.random.default_rng(0)
    means = {"alpha": 490.0, "beta": 250.0, "gamma": None, "delta <b>": 120.0}
    subs = []
    for name, mean in means.items():
        subs.append(Submission(name=name, origin=out, digest="d"))
        for k in range(3):
            returns = None if mean is None else (mean + rng.normal(0, 5, 4)).tolist()
            store.put(
                Cell.from_json(
                    {
                        "submission": name,
                        "env_id": CARTPOLE,
                        "seed_index": k,
                        "episodes": 4,
                        "digest": "d",
                        "status": "failed" if mean is None else "ok",
                        "returns": returns,
                        "mean": None if mean is None else float(np.mean(returns)),
                        "failure_kind": "timeout" if mean is None else None,
                        "reason": "wall-clock limit: stopped after 5 s" if mean is None else None,
                        "training": {"offline": name == "alpha", "env_steps": 6000},
                    }
                )
            )
    board = build_board(store, subs, BoardConfig(envs=(CARTPOLE,), episodes=4, seeds=3))
    write_reports(board, out)
    return board.to_json()


def _driver(tmp_path: Path):
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("CI") == "true":
            pytest.fail("headless Chromium is missing: run .ci/install-chromium.sh")
        pytest.skip("chromium/chromedriver not installed (.ci/install-chromium.sh)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chrome-profile'}",
    ):
        options.add_argument(flag)
    options.add_argument("--window-size=1280,1000")
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def test_leaderboard_html_shows_rows_and_sorts_on_click(tmp_path, monkeypatch):
    from selenium.webdriver.common.by import By

    board = _board(tmp_path, monkeypatch)
    driver = _driver(tmp_path)
    try:
        driver.get((tmp_path / "leaderboard.html").as_uri())
        rows = driver.find_elements(By.CSS_SELECTOR, "#board tbody tr")
        names = [r.find_elements(By.TAG_NAME, "td")[1].text for r in rows]
        assert names == [e["name"] for e in board["entries"]]
        assert names[:3] == ["alpha", "beta", "delta <b>"]  # escaped, shown as text
        assert "gamma" in names and "failed: timeout" in rows[names.index("gamma")].text
        assert rows[0].find_elements(By.TAG_NAME, "td")[0].text == "1"
        assert "offline" in rows[0].text and "6,000" in rows[0].text  # track: steps summed

        header = driver.find_elements(By.CSS_SELECTOR, "#board th")
        entry_header = next(h for h in header if h.text.startswith("entry"))
        entry_header.click()
        after = [
            r.find_elements(By.TAG_NAME, "td")[1].text
            for r in driver.find_elements(By.CSS_SELECTOR, "#board tbody tr")
        ]
        assert after == sorted(names)
        entry_header.click()
        after = [
            r.find_elements(By.TAG_NAME, "td")[1].text
            for r in driver.find_elements(By.CSS_SELECTOR, "#board tbody tr")
        ]
        assert after == sorted(names, reverse=True)
        # Numeric sort on the task column, failed (empty) cells last.
        task_header = next(h for h in header if h.text.startswith("CartPole-v0 return"))
        task_header.click()
        after = [
            r.find_elements(By.TAG_NAME, "td")[1].text
            for r in driver.find_elements(By.CSS_SELECTOR, "#board tbody tr")
        ]
        assert after == ["delta <b>", "beta", "alpha", "gamma"]

        assert len(driver.find_elements(By.CSS_SELECTOR, "#plot circle")) == 4  # gamma at 0
        driver.save_screenshot(str(tmp_path / "leaderboard.png"))
        assert (tmp_path / "leaderboard.png").stat().st_size > 1000
    finally:
        driver.quit()


def test_show_prints_the_stored_board(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from ilkit.cli import cli

    board = _board(tmp_path, monkeypatch)
    shown = CliRunner().invoke(cli, ["leaderboard", "show", str(tmp_path), "--json"])
    assert shown.exit_code == 0
    assert [e["name"] for e in json.loads(shown.stdout)["entries"]] == [
        e["name"] for e in board["entries"]
    ]
    text = CliRunner().invoke(cli, ["leaderboard", "show", str(tmp_path)])
    assert (
        "| 1 | alpha |" in text.stdout and "gamma, ilkit/CartPole-v0 seeds 0, 1, 2" in text.stdout
    )
    csv_rows = (tmp_path / "leaderboard.csv").read_text().splitlines()
    assert csv_rows[1].startswith("1,alpha,ok,") and len(csv_rows) == 5
    empty = CliRunner().invoke(cli, ["leaderboard", "show", str(tmp_path / "cells")])
    assert empty.exit_code == 1 and "no leaderboard.json" in empty.stderr


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"\xff\xfe", b"[1, 2]", b'{"format": "ilkit-leaderboard"}', b"[" * 100_000],
)
def test_show_on_a_corrupt_board_is_a_one_line_error(tmp_path, content):
    """Issue 13, problem 7: a corrupt leaderboard.json is an error line, not a traceback."""
    from click.testing import CliRunner

    from ilkit.cli import cli

    (tmp_path / "leaderboard.json").write_bytes(content)
    result = CliRunner().invoke(cli, ["leaderboard", "show", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
