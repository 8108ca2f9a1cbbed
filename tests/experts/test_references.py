"""references.json: random and expert reference returns that spec() reports (the file is
written by scripts/update_references.py, tested in tests/test_scripts.py)."""

import pytest

import ilkit.envs
from ilkit.experts import manifest


def test_every_task_has_a_random_reference_and_bundled_ones_an_expert():
    for env_id in ilkit.envs.ids():
        task = ilkit.envs.spec(env_id)
        assert task.ref_random_return is not None, env_id
    for env_id in ilkit.experts.available():
        assert ilkit.envs.spec(env_id).ref_expert_return == pytest.approx(
            manifest(env_id)["true_return"]["mean"]
        )
