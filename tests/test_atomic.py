import os

from ilkit import atomic


def test_install_refuses_then_swaps_atomically(tmp_path):
    final = tmp_path / "ns" / "ds"
    first = tmp_path / "stage1"
    first.mkdir()
    (first / "v").write_text("1")
    assert atomic.install(first, final, replace=False)
    second = tmp_path / "stage2"
    second.mkdir()
    (second / "v").write_text("2")
    assert not atomic.install(second, final, replace=False)
    assert (final / "v").read_text() == "1"
    assert atomic.install(second, final, replace=True)
    assert (final / "v").read_text() == "2"
    assert (second / "v").read_text() == "1"  # the old one waits in staging, to be removed


def test_stale_staging_dirs_of_dead_processes_are_removed(tmp_path):
    mine = atomic.new_staging_dir(tmp_path)
    dead = tmp_path / f"{atomic.STAGING_PREFIX}999999999-x"
    dead.mkdir()
    alive = tmp_path / f"{atomic.STAGING_PREFIX}{os.getppid()}-y"
    alive.mkdir()
    atomic.remove_stale(tmp_path)
    assert mine.exists() and alive.exists() and not dead.exists()
