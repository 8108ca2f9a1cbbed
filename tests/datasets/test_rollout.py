"""The lean collection path: batched action checks, the unchecked step, streamed workers."""

import numpy as np
import pytest
from conftest import REFS
from gymnasium import spaces

import ilkit.datasets.rollout as rollout
from ilkit.datasets import DatasetError, generate
from ilkit.datasets.checksums import data_file_checksums
from ilkit.envs import spec, training_seeds
from ilkit.envs.dynamics import ActionValidator, TaskDynamics
from ilkit.errors import IlkitError, InvalidActionError
from ilkit.evaluation import make_scoring_env

DISCRETE = spaces.Discrete(3)
DISCRETE_START = spaces.Discrete(3, start=-1)
BOX = spaces.Box(low=np.array([-1.0, 0.0]), high=np.array([1.0, 2.0]), dtype=np.float32)


def _row_by_row(validator, batch):
    """What the env's own per-action check returns (or raises) for each row in turn."""
    try:
        return [validator(a) for a in batch], None
    except InvalidActionError as err:
        return None, str(err)


@pytest.mark.parametrize(
    ("space", "batch"),
    [
        (DISCRETE, np.array([0, 2, 1])),
        (DISCRETE, np.array([[0], [2]])),  # one-element rows are fine
        (DISCRETE, np.array([0.0, 2.0])),  # integer-valued floats are fine
        (DISCRETE, np.array([0, 3, 1])),  # out of range
        (DISCRETE, np.array([-1, 0])),
        (DISCRETE, np.array([0.0, 1.5])),  # not an integer
        (DISCRETE, np.array([1.0, np.nan])),
        (DISCRETE, np.array([1.0, np.inf])),
        (DISCRETE, np.array([True, False])),  # a bool is not an integer action
        (DISCRETE, np.array([[0, 1], [1, 0]])),  # two numbers per row
        (DISCRETE, np.array(["a", "b"])),
        (DISCRETE, [1, 2]),  # a plain list of rows
        (DISCRETE_START, np.array([-1, 1])),
        (DISCRETE_START, np.array([-1, 2])),
        (BOX, np.array([[0.5, 1.0], [-1.0, 2.0]], dtype=np.float32)),
        (BOX, np.array([[1.0 + 5e-6, 1.0]])),  # within the tolerance: clipped
        (BOX, np.array([[0.5, 1.0], [1.1, 1.0]])),  # outside the bounds
        (BOX, np.array([[0.5, -0.1]])),
        (BOX, np.array([[0.5, np.nan]])),
        (BOX, np.array([[0.5, 1.0, 0.0]])),  # wrong shape
        (BOX, np.array([[0, 1], [1, 2]])),  # integers are numbers
        (BOX, np.array([["a", "b"]])),
    ],
)
def test_batch_check_gives_the_per_action_results_and_errors(space, batch):
    validator = ActionValidator(space)
    expected, error = _row_by_row(validator, batch)
    if error is not None:
        with pytest.raises(InvalidActionError) as info:
            validator.batch(batch)
        assert str(info.value) == error  # the first bad row's message, word for word
        return
    got = validator.batch(batch)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert type(g) is type(e)
        if isinstance(e, np.ndarray):
            assert g.dtype == e.dtype
            np.testing.assert_array_equal(g, e)
        else:
            assert g == e


def test_batch_check_needs_a_batch():
    with pytest.raises(InvalidActionError, match="batch"):
        ActionValidator(DISCRETE).batch(1)


def _drive(env_id, seed, steps, fast):
    """Observations and rewards of the scorer driven by seeded random actions, either through
    the public ``step`` or through ``step_unchecked`` (``fast``: with or without the reward)."""
    scorer = make_scoring_env(env_id)
    dyn = TaskDynamics(spec(env_id)) if fast else None
    space = scorer.action_space
    space.seed(seed)
    validator = ActionValidator(space)
    obs = [scorer.reset(seed=seed)[0] if dyn is None else dyn.reset(seed=seed)]
    rewards = []
    for _ in range(steps):
        action = space.sample()
        if dyn is None:
            o, r, *_ = scorer.step(action)
        else:
            o, r = dyn.step_unchecked(validator.batch([action])[0], reward=fast == "reward")
            o = o.copy()
        obs.append(o)
        rewards.append(r)
    return np.stack(obs), np.array(rewards)


@pytest.mark.parametrize(
    ("env_id", "steps"),
    [
        ("ilkit/CartPole-v0", 120),  # falls within a few dozen random steps, then absorbs
        ("ilkit/Pendulum-v0", 30),
        ("ilkit/Hopper-v0", 60),
        ("ilkit/Ant-v0", 30),
        ("ilkit/HalfCheetah-v0", 30),
    ],
)
def test_unchecked_step_matches_the_env_exactly(env_id, steps):
    """The obs-only MuJoCo step (``mujoco.mj_step`` + ``mj_rnePostConstraint``, then the base
    env's observation) is bit-identical to ``env.step``; checked with MuJoCo 3.3.7 and
    gymnasium 0.29.1, whose MujocoEnv.step it mirrors."""
    obs, rewards = _drive(env_id, 4, steps, fast=False)
    fast_obs, fast_rewards = _drive(env_id, 4, steps, fast="reward")
    np.testing.assert_array_equal(fast_obs, obs)
    np.testing.assert_array_equal(fast_rewards, rewards)
    lean_obs, lean_rewards = _drive(env_id, 4, steps, fast="no reward")  # obs only
    np.testing.assert_array_equal(lean_obs, obs)
    assert not lean_rewards.any()
    if env_id == "ilkit/CartPole-v0":
        assert (obs[-1] == obs[-2]).all()  # the absorbing state was reached and repeated


def test_unchecked_step_keeps_the_episode_rules():
    dyn = TaskDynamics(spec("ilkit/Pendulum-v0"))
    with pytest.raises(RuntimeError, match="reset"):
        dyn.step_unchecked(np.zeros(1, np.float32))
    dyn.reset(seed=0)
    for _ in range(spec("ilkit/Pendulum-v0").horizon):
        dyn.step_unchecked(np.zeros(1, np.float32))
    with pytest.raises(RuntimeError, match="horizon"):
        dyn.step_unchecked(np.zeros(1, np.float32))


def test_streamed_batches_give_the_same_file_whatever_the_split(policies, monkeypatch):
    # Small batches, so every worker gets several and steps some of them in lock-step together.
    monkeypatch.setattr(rollout, "BATCH_EPISODES", 2)
    env_id = "ilkit/Pendulum-v0"
    sums = []
    for workers, n_envs in [(1, 64), (2, 3), (3, 2)]:
        ds = generate(env_id, n_episodes=9, seed=5, policy=policies[env_id], workers=workers,
                      n_envs=n_envs, force=True, ref_scores=REFS, progress=False)  # fmt: skip
        seeds = [m["seed"] for m in ds.storage.get_episode_metadata(range(ds.total_episodes))]
        assert seeds == training_seeds(5, 9)  # all of them, in order
        sums.append(data_file_checksums(ds.spec.data_path))
    assert sums[0] == sums[1] == sums[2]


def test_a_failing_worker_is_a_clear_error_and_leaves_nothing(monkeypatch):
    from ilkit.datasets.generation import datasets_root

    monkeypatch.setattr(rollout, "BATCH_EPISODES", 1)  # the first episodes are written

    class Wobbly:  # fine for each worker's first episode, then a non-integer action
        calls = 0

        def predict(self, obs, state=None, episode_start=None, deterministic=True):
            Wobbly.calls += 1
            return np.full(len(obs), 1 if Wobbly.calls < 600 else 0.5), None

    with pytest.raises(IlkitError, match="integer action"):  # from a worker, or this process
        generate("ilkit/CartPole-v0", n_episodes=6, seed=0, policy=Wobbly(), workers=2,
                 n_envs=1, ref_scores=REFS, progress=False)  # fmt: skip
    root = datasets_root()
    assert not list(root.rglob("metadata.json")) and not list(root.glob(".ilkit-tmp-*"))


def test_actor_critic_mode_is_used_and_matches_sb3_exactly(policies):
    import torch as th
    from stable_baselines3.common.policies import ActorCriticPolicy

    from ilkit.policies import load_policy

    rng = np.random.default_rng(1)
    for path in policies.values():
        module = load_policy(path, device="cpu").module
        mode = rollout._actor_critic_mode(module)
        assert mode is not None  # the stock categorical and Gaussian heads take the fast path
        obs = th.as_tensor(rng.normal(size=(64, *module.observation_space.shape)) * 3)
        with th.no_grad():
            np.testing.assert_array_equal(
                mode(obs).numpy(), module._predict(obs, deterministic=True).numpy()
            )

    class Custom(ActorCriticPolicy):
        def _predict(self, observation, deterministic=False):
            return super()._predict(observation, deterministic)

    env = make_scoring_env("ilkit/CartPole-v0")
    custom = Custom(env.observation_space, env.action_space, lambda _: 0.0)
    assert rollout._actor_critic_mode(custom) is None  # an override is respected


def test_a_worker_that_dies_is_a_clear_error_and_leaves_nothing():
    import os

    from ilkit.datasets.generation import datasets_root

    parent = os.getpid()

    class Fragile:  # a worker process dies at its first policy call (as if killed)
        def predict(self, obs, state=None, episode_start=None, deterministic=True):
            if os.getpid() != parent:
                os._exit(3)
            return np.ones(len(obs), dtype=np.int64), None

    with pytest.raises(DatasetError, match="worker died"):
        generate("ilkit/CartPole-v0", n_episodes=4, seed=0, policy=Fragile(), workers=2,
                 ref_scores=REFS, progress=False)  # fmt: skip
    root = datasets_root()
    assert not list(root.rglob("metadata.json")) and not list(root.glob(".ilkit-tmp-*"))


def test_dealer_fills_groups_then_shrinks_them_near_the_end():
    dealer = rollout._Dealer(n_batches=11, processes=2, per_group=4)
    taken = []
    while r := dealer.take():
        taken.append(list(r))
    assert [len(t) for t in taken] == [4, 4, 2, 1]  # never more than a share of what is left
    assert [b for t in taken for b in t] == list(range(11))  # each batch once, in order
