import subprocess
import sys

import gymnasium as gym
import pytest

import ilkit
from ilkit.envs import TASKS, ids, spec
from ilkit.errors import UnknownEnvError

EXPECTED = {
    "ilkit/CartPole-v0": (500, "discrete"),
    "ilkit/MountainCar-v0": (200, "discrete"),
    "ilkit/Pendulum-v0": (200, "continuous"),
    "ilkit/LunarLander-v0": (1000, "discrete"),
    "ilkit/LunarLanderContinuous-v0": (1000, "continuous"),
    **{
        f"ilkit/{n}-v0": (1000, "continuous")
        for n in ("HalfCheetah", "Hopper", "Walker2d", "Ant", "Swimmer", "Humanoid")
    },
    "ilkit/Detour-v0": (100, "continuous"),
    **{  # ilkit.envs.tabular's grid worlds
        f"ilkit/{n}-v0": (30, "discrete")
        for n in ("LavaGrid", "SlipperyLavaGrid", "LavaGridMoved", "CliffWalk", "WindyCliffWalk")
    },
}


def test_every_task_of_the_table_is_registered():
    assert set(ids()) == set(EXPECTED)
    for env_id, (horizon, action_type) in EXPECTED.items():
        task = spec(env_id)
        assert gym.spec(env_id).max_episode_steps == horizon == task.horizon
        assert task.action_type == action_type
        assert task.dataset_id == f"ilkit/{env_id.split('/')[1][:-3]}/expert-v0"
        assert 0 < task.gamma < 1


def test_make_with_module_prefix_needs_no_import():
    code = (
        "import gymnasium as gym, sys; env = gym.make('ilkit.envs:ilkit/CartPole-v0'); "
        "env.reset(seed=0); print(type(env.unwrapped).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "HiddenRewardEnv"


def test_unknown_id_lists_close_matches():
    with pytest.raises(UnknownEnvError, match="did you mean ilkit/CartPole-v0"):
        spec("ilkit/CartPol-v0")
    with pytest.raises(UnknownEnvError, match="ilkit/Hopper-v0"):
        spec("hopper")


def test_reimport_does_not_override_registration():
    import importlib

    before = gym.spec("ilkit/CartPole-v0")
    importlib.reload(ilkit.envs)
    assert gym.spec("ilkit/CartPole-v0") is before
    assert len(TASKS) == len(EXPECTED)


def test_spec_is_typed_and_frozen():
    task = spec("ilkit/Pendulum-v0")
    with pytest.raises(AttributeError):
        task.horizon = 3  # type: ignore[misc]
    assert set(task.to_dict()) >= {"id", "horizon", "gamma", "action_type", "dataset_id"}
