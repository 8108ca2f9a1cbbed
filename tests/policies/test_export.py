"""Plain PyTorch in (issue 28, deliverables 3 and 4): ``ilkit.policies.export`` writes a
submission that ``leaderboard check``, ``evaluate`` and the board accept; what a submission is
is one definition, MDN included; a weights misfit names every key."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch as th
from click.testing import CliRunner
from policyhelpers import CARTPOLE, GOOD, PENDULUM, declared_manifest, save_cartpole, sb3_zip
from safetensors.numpy import load_file

import ilkit.policies
from ilkit.cli import cli
from ilkit.envs import tasks
from ilkit.policies import ArtifactError, load_policy, save_policy

DETOUR = "ilkit/Detour-v0"
REFS = {
    CARTPOLE: {"random": {"mean": 20.0}, "expert": {"mean": 500.0}},
    DETOUR: {"random": {"mean": -100.0}, "expert": {"mean": 0.0}},
}


def _sequential(hidden: bool = False) -> th.nn.Sequential:
    """CartPole: logits [0, w . obs] balance the pole (w = GOOD); a hidden tanh layer keeps it."""
    if not hidden:
        net = th.nn.Sequential(th.nn.Linear(4, 2))
        with th.no_grad():
            net[0].weight.zero_()
            net[0].bias.zero_()
            net[0].weight[1] = th.tensor(GOOD)
        return net
    net = th.nn.Sequential(th.nn.Linear(4, 8), th.nn.Tanh(), th.nn.Linear(8, 2))
    with th.no_grad():
        for p in net.parameters():
            p.zero_()
        net[0].weight[0] = th.tensor(GOOD) * 0.1  # tanh in its linear range
        net[2].weight[1, 0] = 1.0
    return net


def _cli(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_exported_mlp_passes_check_evaluate_and_the_board(tmp_path, monkeypatch):
    monkeypatch.setattr(tasks, "_references", lambda: REFS)
    subs = tmp_path / "subs"
    ilkit.policies.export(
        _sequential(hidden=True),
        CARTPOLE,
        subs / "student",
        obs_norm={"mean": [0.0] * 4, "var": [1.0] * 4},
        training={"offline": True, "demos": 10},
    )
    # the file holds the Sequential's own names: no SB3 names, no dummy tensors
    weights = load_file(str(subs / "student" / "policy.safetensors"))
    assert set(weights) == {"0.weight", "0.bias", "2.weight", "2.bias"} | {
        "obs_norm.mean",
        "obs_norm.var",
    }
    manifest = json.loads((subs / "student" / "manifest.json").read_text())
    assert manifest["kind"] == "mlp" and manifest["architecture"]["layers"][1] == {
        "activation": "tanh"
    }

    checked = _cli("leaderboard", "check", str(subs / "student"))
    assert checked.exit_code == 0, checked.output
    assert "ok: ilkit/CartPole-v0: mlp policy" in checked.stdout
    evaluated = _cli("evaluate", str(subs / "student"), "--episodes", "2", "--json")
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.stdout)["returns"] == [500.0, 500.0]

    out = tmp_path / "board"
    ran = _cli(
        "leaderboard", "run", str(subs), "--envs", CARTPOLE, "--episodes", "2", "--seeds", "2",
        "--out", str(out),
    )  # fmt: skip
    assert ran.exit_code == 0, ran.output
    (entry,) = json.loads((out / "leaderboard.json").read_text())["entries"]
    assert entry["rank"] == 1 and entry["score"]["point"] == pytest.approx(1.0)
    assert entry["track"]["offline"] is True and entry["track"]["demos"] == 10


def test_export_predicts_what_the_module_computes(tmp_path):
    net = th.nn.Sequential(th.nn.Linear(3, 16), th.nn.ReLU(), th.nn.Linear(16, 1))
    mean, var = np.array([0.1, -0.2, 0.3]), np.array([2.0, 0.5, 1.0])
    ilkit.policies.export(net, PENDULUM, tmp_path / "p", obs_norm={"mean": mean, "var": var})
    policy = load_policy(tmp_path / "p")
    obs = np.random.default_rng(0).uniform(-1, 1, (5, 3)).astype(np.float32)
    with th.no_grad():
        z = th.as_tensor(((obs - mean) / np.sqrt(var + 1e-8)).astype(np.float32))
        expected = np.clip(net(z).numpy(), -2.0, 2.0)
    actions, _ = policy.predict(obs)
    np.testing.assert_allclose(actions, expected, rtol=1e-5, atol=1e-6)
    assert policy.predict(obs[0])[0].shape == (1,)  # one observation, one action


@pytest.mark.parametrize(
    ("module", "message"),
    [
        (th.nn.Sequential(th.nn.Linear(4, 8), th.nn.Dropout(), th.nn.Linear(8, 2)), "layer 1"),
        (th.nn.Sequential(th.nn.Linear(5, 2)), "takes 5 inputs but receives 4"),
        (th.nn.Sequential(th.nn.Linear(4, 3)), "gives 3 outputs; the task needs 2"),
        (th.nn.Sequential(th.nn.Linear(4, 2), th.nn.LeakyReLU(0.2)), "default parameters"),
        (th.nn.Linear(4, 2), "torch.nn.Sequential"),
    ],
)
def test_export_refuses_what_it_cannot_rebuild(tmp_path, module, message):
    with pytest.raises(ArtifactError, match=message):
        ilkit.policies.export(module, CARTPOLE, tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_misfit_weights_name_every_missing_and_unexpected_key(tmp_path):
    """The error used to stop at 'Error(s) in loading state_dict for ActorCriticPolicy:'."""
    sub = tmp_path / "sub"
    sub.mkdir()
    th.save(_sequential().state_dict(), sub / "w.pt")
    declared_manifest(sub / "m.json", "w.pt")  # declares SB3's actor_critic over a Sequential
    result = _cli("leaderboard", "check", str(sub))
    assert result.exit_code == 3 and result.stderr.count("\n") == 1, result.output
    line = result.stderr
    for key in ("action_net.weight", "action_net.bias", "value_net.weight", "value_net.bias"):
        assert key in line
    assert "unexpected keys: 0.bias, 0.weight" in line and "ilkit.policies.export" in line
    evaluated = _cli("evaluate", str(sub))
    assert evaluated.exit_code == 1 and "missing keys:" in evaluated.stderr


def test_evaluate_takes_every_submission_layout_the_board_takes(tmp_path, monkeypatch):
    monkeypatch.setattr(tasks, "_references", lambda: REFS)
    zoo = tmp_path / "zoo"  # an SB3 zip + declared JSON: "no manifest.json" before
    zoo.mkdir()
    sb3_zip(zoo / "ppo.zip", GOOD)
    declared_manifest(zoo / "ppo.json", "ppo.zip")
    multi = tmp_path / "multi"  # one sub-folder per task
    save_cartpole(multi / "cartpole", GOOD)
    ilkit.policies.export(th.nn.Sequential(th.nn.Linear(3, 1)), PENDULUM, multi / "pendulum")
    for path, extra in ((zoo, []), (multi, ["--env", CARTPOLE])):
        assert _cli("leaderboard", "check", str(path)).exit_code == 0
        result = _cli("evaluate", str(path), *extra, "--episodes", "1", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["mean"] == 500.0
    archive = shutil.make_archive(str(tmp_path / "handin"), "zip", zoo)  # what is handed in
    assert _cli("leaderboard", "check", archive).exit_code == 0
    zipped = _cli("evaluate", archive, "--episodes", "1", "--json")
    assert zipped.exit_code == 0 and json.loads(zipped.stdout)["mean"] == 500.0
    ambiguous = _cli("evaluate", str(multi), "--episodes", "1")
    assert ambiguous.exit_code == 1 and "pick one with --env" in ambiguous.stderr
    scripted = tmp_path / "scripted"  # what the board refuses, check refuses, with its reason
    save_policy(
        scripted, env_id=CARTPOLE, manifest={"kind": "scripted", "controller": "uniform_random"},
        observation_space=_space("observation"), action_space=_space("action"),
    )  # fmt: skip
    refused = _cli("leaderboard", "check", str(scripted))
    assert refused.exit_code == 3 and "only learned, weights-only policies" in refused.stderr


def _space(which: str):
    from ilkit.envs import make

    env = make(CARTPOLE)
    try:
        return getattr(env, f"{which}_space")
    finally:
        env.close()


def test_an_mdn_detour_policy_is_checked_and_ranked(tmp_path, monkeypatch):
    """Issue 28: 'manifest.json is of kind mdn: only ... are accepted' contradicted the README."""
    from ilkit.envs import make
    from ilkit.policies.mdn import MDNPolicy

    monkeypatch.setattr(tasks, "_references", lambda: REFS)
    env = make(DETOUR)
    mdn = MDNPolicy(env.observation_space, env.action_space, net_arch=(8,), n_components=2)
    env.close()
    subs = tmp_path / "subs"
    save_policy(subs / "mdn", env_id=DETOUR, manifest={"algorithm": "bc"}, module=mdn)
    assert _cli("leaderboard", "check", str(subs / "mdn")).exit_code == 0
    out = tmp_path / "board"
    ran = _cli(
        "leaderboard", "run", str(subs), "--envs", DETOUR, "--episodes", "2", "--seeds", "2",
        "--out", str(out),
    )  # fmt: skip
    assert ran.exit_code == 0, ran.output
    (entry,) = json.loads((out / "leaderboard.json").read_text())["entries"]
    assert entry["rank"] == 1 and entry["complete"] and entry["failures"] == []
