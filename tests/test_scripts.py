"""Developer scripts in scripts/ that write files the package ships."""

import importlib.util
import json
import sys
from pathlib import Path

import ilkit.envs
from ilkit.experts import manifest
from ilkit.policies import load_policy

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_export_scripted_expert_writes_a_measured_artifact(tmp_path):
    script = _load("export_scripted_experts")
    assert script.BUNDLED == Path(__import__("ilkit.experts").experts.bundled_root())
    path = script.export_scripted("ilkit/CartPole-v0", tmp_path / "CartPole", n_episodes=3)
    policy = load_policy(path, device="cpu")
    assert policy.manifest["controller"] == "cartpole_pd"
    assert policy.manifest["true_return"]["n_episodes"] == 3
    assert policy.manifest["true_return"]["mean"] > 400  # the scripted expert balances the pole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["CartPole"]  # no draft left


def test_regenerate_writes_random_and_expert_figures(tmp_path, monkeypatch):
    references = _load("update_references")
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
