import json

from click.testing import CliRunner

import ilkit
from ilkit.cli import cli
from ilkit.envs import ids


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and ilkit.__version__ in result.output


def test_envs_list_json():
    result = CliRunner().invoke(cli, ["envs", "list", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert [r["id"] for r in rows] == ids()
    cartpole = rows[0]
    assert cartpole["horizon"] == 500 and cartpole["dataset_id"] == "ilkit/CartPole/expert-v0"
    assert cartpole["action_space"] == "Discrete(2)"


def test_envs_list_table():
    result = CliRunner().invoke(cli, ["envs", "list"])
    assert result.exit_code == 0 and "ilkit/Humanoid-v0" in result.output


def test_envs_check_passes():
    result = CliRunner().invoke(cli, ["envs", "check", "ilkit/CartPole-v0", "--episodes", "1"])
    assert result.exit_code == 0, result.output
    assert result.output.count("ok ") == 3


def test_envs_check_exits_3_when_the_reward_leaks(monkeypatch):
    from ilkit.envs.hidden import HiddenRewardEnv

    def leaky_step(self, action):
        obs, reward, truncated = self._dynamics.step(action)
        return obs, reward, False, truncated, {"reward": reward}

    monkeypatch.setattr(HiddenRewardEnv, "step", leaky_step)
    result = CliRunner().invoke(cli, ["envs", "check", "ilkit/CartPole-v0", "--episodes", "1"])
    assert result.exit_code == 3
    assert "FAIL" in result.output


def test_unknown_env_is_one_line_exit_1():
    result = CliRunner().invoke(cli, ["envs", "check", "ilkit/CartPol-v0"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: unknown environment 'ilkit/CartPol-v0'; did you mean ilkit/CartPole-v0?"
    ]
    assert "Traceback" not in result.output


def test_usage_error_exit_2():
    result = CliRunner().invoke(cli, ["envs", "nope"])
    assert result.exit_code == 2
