"""`ilkit expert train` end to end (with a kill and --resume) and `ilkit expert show`."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import ilkit.envs
from ilkit.cli import cli
from ilkit.policies import load_policy

CARTPOLE = "ilkit/CartPole-v0"


def _train_args(run_dir: Path, timesteps: int) -> list[str]:
    return [
        "expert", "train", CARTPOLE, "--algo", "ppo", "--timesteps", str(timesteps),
        "--seed", "3", "--run-dir", str(run_dir), "--eval-every", "1000",
        "--checkpoint-every", "500",
    ]  # fmt: skip


def test_train_is_killed_then_resumes_and_exports(tmp_path):
    run_dir = tmp_path / "run"
    state_file = run_dir / "checkpoint" / "state.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    code = "from ilkit.cli import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *_train_args(run_dir, 100_000)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while not state_file.is_file():
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "no checkpoint written"
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)  # no chance to clean up: the checkpoint must suffice
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    killed_at = json.loads(state_file.read_text())["num_timesteps"]
    assert 0 < killed_at < 100_000

    runner = CliRunner()
    again = runner.invoke(cli, _train_args(run_dir, 8000))  # a new run in the same dir: refused
    assert again.exit_code == 1 and "--resume" in again.output

    result = runner.invoke(cli, [*_train_args(run_dir, 8000), "--resume"])
    assert result.exit_code == 0, result.output
    assert f"resumed {run_dir} at {killed_at} steps" in " ".join(result.output.split())
    state = json.loads(state_file.read_text())
    assert state["num_timesteps"] >= 8000

    expert = load_policy(run_dir / "expert", device="cpu")
    manifest = expert.manifest
    assert manifest["algorithm"] == "ppo" and manifest["seed"] == 3
    assert manifest["hyperparameters"]["gamma"] == 0.98  # the rl-zoo table entry
    assert manifest["true_return"]["n_episodes"] == 50
    # learned: better than uniform random actions (22 on the held-out seeds)
    assert manifest["true_return"]["mean"] > 2 * ilkit.envs.spec(CARTPOLE).ref_random_return
    actions, _ = expert.predict(np.zeros((4, 4), dtype=np.float32))
    assert actions.shape == (4,)

    # `expert export` re-measures the run's best policy: the same figures, deterministically
    exported = runner.invoke(cli, ["expert", "export", str(run_dir), "--out", str(tmp_path / "e")])
    assert exported.exit_code == 0, exported.output
    again = load_policy(tmp_path / "e").manifest["true_return"]
    assert again["mean"] == pytest.approx(manifest["true_return"]["mean"])


def test_resume_without_checkpoint_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, [*_train_args(tmp_path / "none", 1000), "--resume"])
    assert result.exit_code == 1
    assert result.output.startswith("error: nothing to resume")


def test_off_policy_algo_on_discrete_task_is_refused(tmp_path):
    args = ["expert", "train", CARTPOLE, "--algo", "sac", "--timesteps", "100"]
    result = CliRunner().invoke(cli, [*args, "--run-dir", str(tmp_path / "r")])
    assert result.exit_code == 1 and "choose one of: ppo" in result.output
    assert not (tmp_path / "r").exists()


def test_show_json_lists_every_task():
    result = CliRunner().invoke(cli, ["expert", "show", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["env_id"]: row for row in json.loads(result.output)}
    assert set(rows) == set(ilkit.envs.ids())
    cart = rows[CARTPOLE]
    assert cart["bundled"] and cart["algorithm"] == "scripted"
    assert cart["true_return"]["mean"] == 500.0


def test_show_one_task_as_table():
    result = CliRunner().invoke(cli, ["expert", "show", "ilkit/Pendulum-v0"])
    assert result.exit_code == 0, result.output
    assert "Pendulum" in result.output and "scripted" in result.output


@pytest.mark.parametrize("env_id", ["ilkit/Nope-v0"])
def test_show_unknown_task(env_id):
    result = CliRunner().invoke(cli, ["expert", "show", env_id])
    assert result.exit_code == 1 and result.output.startswith("error: unknown environment")


def test_init_from_starts_at_the_artifacts_weights_and_refuses_another_architecture(tmp_path):
    from ilkit.envs.tasks import spec
    from ilkit.experts.hyperparams import hyperparams
    from ilkit.experts.train import ExpertTrainConfig, ExpertTrainingError, _build, _start_from

    first = tmp_path / "first"
    runner = CliRunner()
    result = runner.invoke(cli, _train_args(first, 2000))
    assert result.exit_code == 0, result.output
    artifact = first / "expert"

    config = ExpertTrainConfig(env_id=CARTPOLE, algo="ppo", timesteps=2000, seed=9)
    model, venv = _build(spec(CARTPOLE), config, hyperparams(CARTPOLE, "ppo"))
    fresh = {k: v.clone() for k, v in model.policy.state_dict().items()}
    trained_steps = _start_from(str(artifact), model, venv, "ppo")
    assert trained_steps == load_policy(artifact).manifest["timesteps"] > 0
    loaded = load_policy(artifact, device="cpu").module.state_dict()
    started = model.policy.state_dict()
    assert started.keys() == loaded.keys()
    assert all(np.array_equal(started[k].numpy(), loaded[k].numpy()) for k in loaded)
    assert any(not np.array_equal(fresh[k].numpy(), loaded[k].numpy()) for k in loaded)

    params = hyperparams(CARTPOLE, "ppo")
    params["policy_kwargs"] = {"net_arch": [8]}
    other, other_venv = _build(spec(CARTPOLE), config, params)
    with pytest.raises(ExpertTrainingError, match="architecture"):
        _start_from(str(artifact), other, other_venv, "ppo")
    with pytest.raises(ExpertTrainingError, match="not a sac policy"):
        _start_from(str(artifact), model, venv, "sac")
