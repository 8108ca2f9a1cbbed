"""The leaf modules every room shares: digests, lazy exports, process plumbing."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from ilkit.digest import file_sha256, tree_sha256
from ilkit.processes import torch_threads, tree_rss_mb


def test_file_digest_is_sha256_of_the_bytes(tmp_path):
    path = tmp_path / "w.bin"
    path.write_bytes(os.urandom(3 << 20))  # more than one read chunk
    assert file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_tree_digest_changes_with_any_name_or_byte(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.json").write_text("{}")
    (tmp_path / "y.bin").write_bytes(b"\0" * 10)
    first = tree_sha256(tmp_path)
    assert tree_sha256(tmp_path) == first
    (tmp_path / "y.bin").write_bytes(b"\0" * 9 + b"\1")
    second = tree_sha256(tmp_path)
    assert second != first
    (tmp_path / "a" / "x.json").rename(tmp_path / "a" / "z.json")
    assert tree_sha256(tmp_path) not in (first, second)


def test_lazy_exports_resolve_on_first_use_and_name_the_missing(tmp_path, monkeypatch):
    pkg = tmp_path / "lazypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "from ilkit.lazy import lazy_exports\n"
        "__getattr__ = lazy_exports(__name__, {'VALUE': '.heavy'})\n"
    )
    (pkg / "heavy.py").write_text("VALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import lazypkg

    assert "lazypkg.heavy" not in sys.modules
    assert lazypkg.VALUE == 42 and "lazypkg.heavy" in sys.modules
    with pytest.raises(AttributeError, match="'lazypkg' has no attribute 'nope'"):
        lazypkg.nope  # noqa: B018


def test_an_export_named_like_its_submodule_is_not_hidden_by_importing_it():
    import ilkit.evaluation
    import ilkit.evaluation.evaluate  # binds the submodule on the package

    assert callable(ilkit.evaluation.evaluate) and ilkit.evaluation.evaluate.__name__ == "evaluate"


def test_torch_threads_restores_the_count_even_after_an_error():
    import torch

    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), torch_threads(1):
        assert torch.get_num_threads() == 1
        raise RuntimeError
    assert torch.get_num_threads() == before


def test_tree_rss_counts_children():
    child = subprocess.Popen(
        [sys.executable, "-c", "b = bytearray(200 << 20); import time; time.sleep(30)"]
    )
    try:
        deadline = time.monotonic() + 20
        while psutil.Process(child.pid).memory_info().rss < 150 << 20:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert tree_rss_mb(os.getpid()) > 150
    finally:
        child.kill()
        child.wait()
    assert tree_rss_mb(None) == 0.0 and tree_rss_mb(child.pid) == 0.0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_worker_dies_with_its_parent_even_on_sigkill():
    # parent: starts a worker that calls die_with_parent(), prints its pid, then waits
    parent = textwrap.dedent(
        """
        import subprocess, sys, time
        worker = subprocess.Popen([sys.executable, "-c",
            "from ilkit.processes import die_with_parent; die_with_parent(); "
            "import time; print('ready', flush=True); time.sleep(60)"],
            stdout=subprocess.PIPE, text=True)
        assert worker.stdout.readline().strip() == "ready"
        print(worker.pid, flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.PIPE, text=True)
    worker_pid = int(proc.stdout.readline())
    proc.kill()  # SIGKILL: the parent runs no cleanup at all
    proc.wait()
    deadline = time.monotonic() + 10
    while psutil.pid_exists(worker_pid) and psutil.Process(worker_pid).status() != "zombie":
        assert time.monotonic() < deadline, "the worker outlived its killed parent"
        time.sleep(0.05)
