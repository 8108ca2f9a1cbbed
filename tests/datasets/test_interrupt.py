"""A generation killed mid-way (kill -9, Ctrl-C or SIGTERM) leaves nothing visible and no damage;
Ctrl-C and SIGTERM also leave no hidden staging folder behind."""

import os
import signal
import subprocess
import sys
import textwrap

import minari
import pytest
from conftest import REFS

from ilkit.datasets import generate, verify
from ilkit.datasets.checksums import data_file_checksums
from ilkit.datasets.generation import datasets_root
from ilkit.datasets.store import local_ids

CARTPOLE = "ilkit/CartPole-v0"

# The child writes the whole new dataset, says so, then stalls just before the rename that
# would make it visible: the moment where a kill does the most harm.
CHILD = textwrap.dedent(
    """
    import signal, sys, time
    import ilkit.datasets.generation as g

    # a terminal's Ctrl-C: the child may inherit an ignored SIGINT from the test runner
    signal.signal(signal.SIGINT, signal.default_int_handler)

    install = g._install
    def slow_install(*args, **kwargs):
        print("WRITTEN", flush=True)
        time.sleep(120)
        install(*args, **kwargs)

    g._install = slow_install
    g.generate("ilkit/CartPole-v0", n_episodes=4, seed=5, policy=sys.argv[1], force=True,
               workers=2, ref_scores=(0.0, 1.0), progress=False)
    """
)


def _start_child(policy_path):
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(policy_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip


def _wait_written(child):
    line = child.stdout.readline()  # blocks until the data is written (or the child died)
    assert line.strip() == "WRITTEN", child.stderr.read()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_interrupted_generation_leaves_nothing_visible(policies, sig):
    existing = generate(CARTPOLE, n_episodes=2, seed=0, policy=policies[CARTPOLE],
                        ref_scores=REFS, progress=False)  # fmt: skip
    before = data_file_checksums(existing.spec.data_path)

    child = _start_child(policies[CARTPOLE])
    try:
        _wait_written(child)
        assert list(datasets_root().glob(".ilkit-tmp-*"))  # the new data sits out of sight
        child.send_signal(sig)
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode != 0

    # the existing dataset is untouched and still the only one anyone can see
    assert local_ids() == ["ilkit/CartPole/expert-v0"]
    assert list(minari.list_local_datasets()) == ["ilkit/CartPole/expert-v0"]
    assert data_file_checksums(existing.spec.data_path) == before
    assert verify(CARTPOLE)["episodes"] == 2
    leftovers = list(datasets_root().glob(".ilkit-tmp-*"))
    if sig in (signal.SIGINT, signal.SIGTERM):
        assert leftovers == []  # Ctrl-C and `kill` clean up at once (issue 28)
    # the next generation removes what a kill -9 left behind (its pid is gone)
    generate(CARTPOLE, n_episodes=1, seed=1, policy=policies[CARTPOLE], force=True,
             ref_scores=REFS, progress=False)  # fmt: skip
    assert list(datasets_root().glob(".ilkit-tmp-*")) == []


@pytest.mark.slow  # a third child process: ~10 s of imports on a busy 2-core machine
def test_killed_first_generation_creates_no_dataset(policies):
    child = _start_child(policies[CARTPOLE])
    try:
        _wait_written(child)
        child.kill()
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert local_ids() == [] and list(minari.list_local_datasets()) == []
