"""Swimmer on MuJoCo 3: ilkit's migrated model loads and behaves as gymnasium's Swimmer-v4."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import mujoco
import numpy as np
import pytest

from ilkit.envs.swimmer import SwimmerEnv, model_path


def gymnasium_model_text() -> str:
    from importlib import resources

    return resources.files("gymnasium.envs.mujoco").joinpath("assets", "swimmer.xml").read_text()


def test_gymnasium_model_needs_the_migration_under_this_mujoco():
    # the reason the file exists: if a MuJoCo release loads gymnasium's model again, say so
    with pytest.raises(ValueError, match="collision"):
        mujoco.MjModel.from_xml_string(gymnasium_model_text())


def test_migrated_model_differs_only_in_collision_settings():
    ours, theirs = ET.parse(model_path()).getroot(), ET.fromstring(gymnasium_model_text())

    def strip(root):
        for el in root.iter():
            for key in ("collision", "contype", "conaffinity"):
                el.attrib.pop(key, None)
        return ET.tostring(root)

    assert strip(ours) == strip(theirs)
    model = mujoco.MjModel.from_xml_path(model_path())
    assert model.npair == 0 and not model.geom_contype.any() and not model.geom_conaffinity.any()


def test_reward_is_forward_velocity_minus_control_cost():
    env = SwimmerEnv()
    obs, _ = env.reset(seed=3)
    assert obs.shape == (10,)  # seals' layout: x, y position included
    rng = np.random.default_rng(0)
    for _ in range(20):
        action = rng.uniform(-1, 1, size=2).astype(np.float32)
        x_before = env.data.qpos[0]
        obs, reward, terminated, truncated, _ = env.step(action)
        expected = (env.data.qpos[0] - x_before) / env.dt - 1e-4 * np.sum(np.square(action))
        assert reward == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert not terminated and not truncated
        np.testing.assert_array_equal(obs[:5], env.data.qpos)
    env.close()
