"""references.json: random and expert reference returns that spec() reports."""

import importlib.util
import json
from pathlib import Path

import pytest

import ilkit.envs
from ilkit.experts import manifest

_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "update_references.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("update_references", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_regenerate_writes_random_and_expert_figures(tmp_path, monkeypatch):
    references = _load_script()
    assert references.references_path() == Path(ilkit.envs.__file__).parent / "references.json"
    target = tmp_path / "references.json"
    target.write_text(json.dumps({"ilkit/Hopper-v0": {"random": {"mean": 1.0}}}))
    monkeypatch.setattr(references, "references_path", lambda: target)
    refs = references.regenerate(["ilkit/CartPole-v0"])
    assert list(refs) == ["ilkit/CartPole-v0", "ilkit/Hopper-v0"]  # task order, others kept
    cart = refs["ilkit/CartPole-v0"]
    assert cart["random"]["n_episodes"] == 50
    assert 10 < cart["random"]["mean"] < 40  # uniform random CartPole falls within ~22 steps
    assert cart["expert"]["mean"] == manifest("ilkit/CartPole-v0")["true_return"]["mean"]
    assert json.loads(target.read_text()) == refs


def test_every_task_has_a_random_reference_and_bundled_ones_an_expert():
    for env_id in ilkit.envs.ids():
        task = ilkit.envs.spec(env_id)
        assert task.ref_random_return is not None, env_id
    for env_id in ilkit.experts.available():
        assert ilkit.envs.spec(env_id).ref_expert_return == pytest.approx(
            manifest(env_id)["true_return"]["mean"]
        )
