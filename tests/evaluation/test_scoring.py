import gymnasium as gym
import numpy as np
import pytest

from ilkit.envs import training_seeds, validation_seeds
from ilkit.evaluation import RandomPolicy, evaluate, make_scoring_env


def test_scorer_reveals_the_reward_the_public_env_hides():
    public, scorer = gym.make("ilkit/CartPole-v0"), make_scoring_env("ilkit/CartPole-v0")
    public.reset(seed=5)
    scorer.reset(seed=5)
    obs, reward, *_ = public.step(0)
    s_obs, s_reward, *_ = scorer.step(0)
    assert reward == 0.0 and s_reward == 1.0
    assert np.array_equal(obs, s_obs)


def test_evaluate_random_cartpole_on_validation_seeds():
    result = evaluate(
        RandomPolicy(gym.make("ilkit/CartPole-v0").action_space),
        "ilkit/CartPole-v0",
        n_episodes=12,
        n_envs=5,
    )
    assert result.seeds == tuple(validation_seeds(12))
    assert len(result.returns) == 12 and 8 < result.mean < 60


def test_heldout_and_training_seeds_never_meet():
    train = set(training_seeds(0, 10_000)) | set(training_seeds(123, 10_000))
    assert not train & set(validation_seeds(10_000))
    assert training_seeds(7, 5) == training_seeds(7, 5)


def test_validation_split_stays_below_the_test_range():
    """Validation indices are capped at 2**30, so 2**31 + i never reaches the test range."""
    from ilkit.envs.seeds import VALIDATION_SIZE

    assert max(validation_seeds(3, start=VALIDATION_SIZE - 3)) < 2**31 + 2**30
    with pytest.raises(ValueError):
        validation_seeds(2, start=VALIDATION_SIZE - 1)


def test_evaluate_rejects_an_unknown_split_name():
    from ilkit.errors import IlkitError

    with pytest.raises(IlkitError, match="unknown seed split"):
        evaluate(
            RandomPolicy(make_scoring_env("ilkit/CartPole-v0").action_space),
            "ilkit/CartPole-v0",
            seeds="test",
        )


def test_the_heldout_alias_is_gone():
    """'heldout' was the validation split's old name (issue 30): one name, one split."""
    import pytest

    from ilkit.errors import IlkitError

    with pytest.raises(IlkitError, match="unknown seed split 'heldout'"):
        evaluate(RandomPolicy(make_scoring_env("ilkit/CartPole-v0").action_space),
                 "ilkit/CartPole-v0", n_episodes=1, seeds="heldout")  # fmt: skip
