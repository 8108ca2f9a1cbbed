"""The keyboard gate in a real pygame window on an X server (Xvfb), driven by key events.

The events are synthetic (posted to SDL's queue, as the X server would deliver them); the
window, its frames and the event loop are the ones a person uses. With ``CI=true`` a missing
Xvfb fails the test instead of skipping it (``.ci/install-xvfb.sh`` installs it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from ilkit.algorithms import train
from ilkit.algorithms.gates import make_gate

ENV = "ilkit/CartPole-v0"  # the demonstrations of the training test (conftest)


@pytest.fixture(scope="module")
def x_display():
    """An Xvfb display of our own (its number free now), stopped after the module."""
    binary = shutil.which("Xvfb")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Xvfb is missing: run .ci/install-xvfb.sh")
        pytest.skip("Xvfb not installed (.ci/install-xvfb.sh)")
    number = next(n for n in range(99, 200) if not Path(f"/tmp/.X{n}-lock").exists())
    proc = subprocess.Popen(
        [binary, f":{number}", "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    socket = Path(f"/tmp/.X11-unix/X{number}")
    deadline = time.monotonic() + 20
    while not socket.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"Xvfb :{number} did not start")
        time.sleep(0.05)
    yield f":{number}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture()
def x11(x_display, monkeypatch):
    monkeypatch.setenv("DISPLAY", x_display)
    monkeypatch.setenv("SDL_VIDEODRIVER", "x11")  # a real window, never SDL's dummy driver


def _venv(env_id: str):
    import gymnasium as gym
    from stable_baselines3.common.vec_env import DummyVecEnv

    venv = DummyVecEnv([lambda: gym.make(env_id, render_mode="rgb_array")])
    venv.seed(0)
    return venv


def _press(key: int, down: bool = True) -> None:
    import pygame

    kind = pygame.KEYDOWN if down else pygame.KEYUP
    pygame.event.post(pygame.event.Event(kind, key=key, mod=0, unicode="", scancode=0))


def test_arrow_keys_drive_cartpole_in_a_window(x11):
    import pygame

    venv = _venv("ilkit/CartPole-v0")
    obs = venv.reset()
    gate = make_gate("keyboard", n_envs=1, discrete=True, tau=0.0, min_takeover=1, venv=venv,
                     task_name="CartPole", fps=1000)  # fmt: skip
    learner, expert = np.array([0]), np.array([0])
    try:
        control, _ = gate.decide(obs, learner, expert)
        assert not control[0]
        assert pygame.display.get_driver() == "x11"
        frame = venv.get_images()[0]
        shown = pygame.surfarray.array3d(pygame.display.get_surface()).swapaxes(0, 1)
        np.testing.assert_array_equal(shown, frame)  # the task's rgb_array, in the window

        _press(pygame.K_RIGHT)
        control, label = gate.decide(obs, learner, expert)
        assert control[0] and label.tolist() == [1]
        _press(pygame.K_LEFT)
        assert gate.decide(obs, learner, expert)[1].tolist() == [0]  # the last key pressed
        _press(pygame.K_LEFT, down=False)
        control, label = gate.decide(obs, learner, expert)
        assert control[0] and label.tolist() == [1]  # right is still held
        _press(pygame.K_RIGHT, down=False)
        assert not gate.decide(obs, learner, expert)[0][0]
        _press(pygame.K_LEFT)
        assert gate.decide(obs, learner, expert)[0][0]
        assert gate.interventions == 2
    finally:
        gate.close()
        venv.close()
    assert pygame.display.get_surface() is None  # the window is gone


def test_a_held_key_hands_a_continuous_task_to_the_expert(x11):
    import pygame

    venv = _venv("ilkit/Pendulum-v0")
    obs = venv.reset()
    gate = make_gate("keyboard", n_envs=1, discrete=False, tau=0.5, min_takeover=1, venv=venv,
                     task_name="Pendulum", fps=1000)  # fmt: skip
    learner, expert = np.array([[1.5]]), np.array([[-0.7]])
    try:
        assert not gate.decide(obs, learner, expert)[0][0]
        _press(pygame.K_SPACE)
        control, label = gate.decide(obs, learner, expert)
        assert control[0] and label.tolist() == [[-0.7]]
        _press(pygame.K_SPACE, down=False)
        assert not gate.decide(obs, learner, expert)[0][0]
    finally:
        gate.close()
        venv.close()


def test_hg_dagger_with_a_person_holding_right(x11, data, tmp_path):
    """A run with the keyboard gate: a "person" holds → for a moment once the window is up."""
    import pygame

    def person() -> None:
        deadline = time.monotonic() + 60
        while pygame.display.get_surface() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        _press(pygame.K_RIGHT)
        time.sleep(0.5)
        _press(pygame.K_RIGHT, down=False)

    thread = threading.Thread(target=person, daemon=True)
    thread.start()
    config = {"gate": "keyboard", "total_timesteps": 150, "round_min_timesteps": 150,
              "keyboard_fps": 100, "eval_every": 0, "eval_episodes": 1, "n_epochs": 1}  # fmt: skip
    result = train("hg_dagger", ENV, n_demos=2, config=config, seed=0,
                   device="cpu", out_dir=tmp_path / "kb")  # fmt: skip
    thread.join(timeout=5)
    assert result.env_steps == 150
    assert result.interventions == 1
    assert 0 < result.expert_queries < 150  # the steps the person drove
    assert result.metrics["gate"] == "keyboard"
