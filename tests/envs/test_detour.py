"""Detour: the point-mass task whose expert goes around the obstacle on a random side."""

import gymnasium as gym
import numpy as np
import pytest

import ilkit.experts as experts
from ilkit.envs import spec, training_seeds, validation_seeds
from ilkit.envs.detour import GOAL, GOAL_RADIUS, OBSTACLE_RADIUS, Detour
from ilkit.evaluation import evaluate, make_scoring_env

ENV = "ilkit/Detour-v0"


def expert_paths(seeds):
    """Per episode: the expert's actions until the goal, its path and its contact count."""
    expert = experts.load(ENV, device="cpu")
    env = Detour()
    out = []
    for s in seeds:
        obs, _ = env.reset(seed=s)
        actions = []
        for _ in range(spec(ENV).horizon):
            action = expert.predict(obs)[0]
            actions.append(action)
            obs, _, terminated, _, _ = env.step(action)
            if terminated:
                break
        out.append((np.array(actions), np.array(env.path), env.contacts))
    return out


def test_expert_is_bimodal_and_keeps_its_side():
    sides = []
    for actions, path, contacts in expert_paths(training_seeds(0, 40)):
        assert contacts == 0
        assert np.hypot(*(path[-1] - GOAL)) < GOAL_RADIUS  # reached the goal
        at = path[: len(actions)]  # where each action was taken
        turned = (at[:, 0] != 0.0) & (at[:, 1] < 0.0)  # off the start line, below the equator
        side = np.sign(at[turned, 0])
        assert len(side) > 5 and len(set(side)) == 1, "the expert changed sides in an episode"
        lateral = actions[turned, 0]
        big = np.abs(lateral) > 0.05  # (not the last tiny correction onto the waypoint)
        assert big.sum() > 5 and set(np.sign(lateral[big])) == {side[0]}
        below = path[1:, 1] < 0.0
        crossing = path[1:][~below][0]  # where it passes the obstacle: beside it, on that side
        assert np.sign(crossing[0]) == side[0] and abs(crossing[0]) > OBSTACLE_RADIUS
        sides.append(side[0])
    left = sides.count(-1.0)
    assert 10 <= left <= 30, f"{left} of 40 episodes went left"  # both sides, roughly 50/50


def test_start_observation_does_not_tell_the_side():
    # Every start lies on the line x = 0 below the obstacle, and the expert's first actions
    # are the same (straight up) whichever side it will take.
    env = Detour()
    starts = np.array([env.reset(seed=s)[0] for s in training_seeds(1, 50)])
    assert np.all(starts[:, 0] == 0.0) and np.ptp(starts[:, 1]) > 0.1  # the height varies
    actions = experts.load(ENV, device="cpu").predict(starts)[0]
    assert np.allclose(actions, [0.0, 1.0])


def test_expert_scores_and_the_goal_absorbs():
    result = evaluate(experts.load(ENV), ENV, n_episodes=5)
    assert min(result.returns) > 14.0
    scorer = make_scoring_env(ENV)
    obs, _ = scorer.reset(seed=validation_seeds(1)[0])
    expert = experts.load(ENV)
    rewards = []
    for _ in range(spec(ENV).horizon):
        obs, r, terminated, truncated, _ = scorer.step(expert.predict(obs)[0])
        rewards.append(r)
        assert not terminated
    assert truncated
    assert rewards[-1] == 0.0 and rewards[50:] == [0.0] * (len(rewards) - 50)  # absorbing


def test_contact_blocks_the_move_and_costs():
    env = Detour()
    env.reset(seed=0)
    total = 0.0
    for _ in range(40):  # straight up: into the obstacle
        _, r, terminated, _, info = env.step(np.array([0.0, 1.0], dtype=np.float32))
        total += r
        assert not terminated
    assert env.contacts > 20 and info["contact"]
    assert env.path[-1][1] < -OBSTACLE_RADIUS + 0.05  # stuck below the obstacle
    assert total < 10 * 0.6  # progress up to the obstacle, then only penalties


def test_render_draws_the_path():
    env = gym.make(ENV, render_mode="rgb_array")
    env.reset(seed=0)
    first = env.render()
    for _ in range(10):
        env.step(np.array([0.5, 0.5], dtype=np.float32))
    img = env.render()
    assert img.shape == (256, 256, 3) and img.dtype == np.uint8
    assert (img != first).any()  # the path grew


def test_bad_render_mode_is_refused():
    with pytest.raises(ValueError, match="render_mode"):
        Detour(render_mode="human")
