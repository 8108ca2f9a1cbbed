"""Tabular HR-MDPs: hidden like every task, public model, validated arrays, exact references."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import gymnasium as gym
import numpy as np
import pytest

from ilkit.envs import spec, tabular
from ilkit.envs.checks import check_task
from ilkit.envs.tabular import solve

SHIPPED = tabular.ids()


def test_at_least_three_shipped_tasks_with_a_shifted_variant_each():
    assert {"ilkit/LavaGrid-v0", "ilkit/SlipperyLavaGrid-v0", "ilkit/CliffWalk-v0"} <= set(SHIPPED)
    for task, variant in tabular.TRANSFER.items():
        a, b = tabular.model(task), tabular.model(variant)
        assert a.transition.shape == b.transition.shape and not np.array_equal(
            a.transition, b.transition
        )
        assert np.array_equal(a.features, b.features)


@pytest.mark.parametrize("env_id", SHIPPED)
def test_shipped_task_passes_the_hidden_reward_checks(env_id):
    results = check_task(env_id, episodes=2)
    assert all(r.ok for r in results), [(r.name, r.detail) for r in results if not r.ok]
    task = spec(env_id)
    assert task.horizon == 30 and 0 < task.gamma < 1
    assert task.ref_expert_return > task.ref_random_return


def test_the_weights_are_nowhere_public():
    env_id = "ilkit/LavaGrid-v0"
    env = gym.make(env_id, render_mode="rgb_array")
    text = env.spec.to_json() + json.dumps(spec(env_id).to_dict()) + repr(spec(env_id))
    assert "weight" not in text
    m = tabular.model(env_id)
    assert "weights" not in {f for f in vars(m)}
    assert env.reset(seed=0)[1] == {} and env.step(0)[1] == 0.0
    picture = env.render()
    assert picture.shape == (6 * 32, 7 * 32, 3) and picture.dtype == np.uint8
    assert len({tuple(p) for p in picture.reshape(-1, 3)}) >= 5  # walls, lava, goal, agent ...


def test_exact_expert_return_agrees_with_the_sampled_scorer():
    from ilkit.evaluation import evaluate
    from ilkit.experts import load

    env_id = "ilkit/SlipperyLavaGrid-v0"
    result = evaluate(load(env_id), env_id, n_episodes=200)
    stderr = np.std(result.returns) / np.sqrt(len(result.returns))
    assert abs(result.mean - spec(env_id).ref_expert_return) < 4 * stderr + 1e-9
    assert result.normalized_score == pytest.approx(1.0, abs=4 * stderr / 20)


def test_the_expert_is_a_weights_only_actor_critic_artifact_of_the_exact_policy():
    from ilkit.experts import load, manifest

    env_id = "ilkit/CliffWalk-v0"
    policy = load(env_id)
    m = tabular.model(env_id)
    acts, _ = policy.predict(np.eye(m.n_states, dtype=np.float32), deterministic=True)
    assert np.array_equal(acts, tabular.expert_policy(env_id).argmax(1))
    assert manifest(env_id)["kind"] == "actor_critic"
    assert manifest(env_id)["architecture"]["net_arch"] == []


def test_value_iteration_on_a_hand_computed_chain():
    # two states; action 0 stays, action 1 switches; R = (0, 1), gamma 0.5, 3 backups
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = P[1, 0, 1] = P[0, 1, 1] = P[1, 1, 0] = 1.0
    R = np.array([0.0, 1.0])
    q = solve.q_values(P, R, 0.5, 3)
    # V1 = (0, 1); Q2 = R + .5 V1 -> s0: (0, .5), s1: (1.5, 1); V2 = (.5, 1.5)
    # Q3 = R + .5 V2 -> s0: (.25, .75), s1: (1.75, 1.25)
    assert np.allclose(q, [[0.25, 0.75], [1.75, 1.25]])
    pi = solve.greedy(q)
    assert np.array_equal(pi, [[0, 1], [1, 0]])
    # from s0: 0 then 1, 1, ... over H = 3 steps
    assert solve.expected_return(P, np.array([1.0, 0.0]), pi, R, 3) == 2.0


def _arrays(n=3, a=2, f=2, seed=0):
    rng = np.random.default_rng(seed)
    P = rng.random((n, a, n))
    P /= P.sum(-1, keepdims=True)
    return dict(transition=P, initial=np.full(n, 1 / n), features=rng.random((n, f)),
                weights=np.ones(f), horizon=5, gamma=0.9)  # fmt: skip


def _bad(**change):
    return {**_arrays(), **change}


BAD = [
    (_bad(transition=np.ones((3, 2, 3))), tabular.NotADistributionError, "row \\(0, 0\\) sums"),
    (_bad(transition=np.ones((3, 2))), tabular.ModelShapeError, "3 dimension"),
    (_bad(transition=np.full((3, 2, 4), 0.25)), tabular.ModelShapeError, "\\(S, A, S\\)"),
    (_bad(initial=np.ones(3)), tabular.NotADistributionError, "initial sums to 3"),
    (_bad(initial=np.ones(4) / 4), tabular.ModelShapeError, "initial must have shape \\(3,\\)"),
    (_bad(features=np.full((3, 2), np.nan)), tabular.NotFiniteError, "features holds NaN"),
    (_bad(weights=np.ones(3)), tabular.ModelShapeError, "weights must have shape \\(2,\\)"),
    (_bad(weights=[1.0, np.inf]), tabular.NotFiniteError, "weights"),
    (_bad(horizon=0), tabular.TabularModelError, "horizon"),
    (_bad(gamma=1.5), tabular.TabularModelError, "gamma"),
    (_bad(features="abc"), tabular.ModelShapeError, "numeric"),
]


@pytest.mark.parametrize(("arrays", "error", "match"), BAD)
def test_bad_arrays_are_one_line_errors_and_register_nothing(arrays, error, match):
    with pytest.raises(error, match=match) as info:
        tabular.register("ilkit/BadHomework-v0", **arrays)
    assert "\n" not in str(info.value)
    assert "ilkit/BadHomework-v0" not in gym.registry
    assert "ilkit/BadHomework-v0" not in tabular.ids()


def test_bad_id_and_taken_id():
    with pytest.raises(tabular.TabularModelError, match="must look like"):
        tabular.register("Homework", **_arrays())
    with pytest.raises(tabular.TaskExistsError, match="already registered"):
        tabular.register("ilkit/CartPole-v0", **_arrays())
    tabular.register("ilkit/TwiceHomework-v0", **_arrays())
    tabular.register("ilkit/TwiceHomework-v0", **_arrays())  # the same arrays: a no-op
    with pytest.raises(tabular.TaskExistsError):
        tabular.register("ilkit/TwiceHomework-v0", **_arrays(seed=1))


def test_a_user_task_works_from_a_fresh_process_with_the_module_prefix(tmp_path):
    (tmp_path / "hwmod.py").write_text(
        textwrap.dedent("""
        import numpy as np
        from ilkit.envs.tabular import register
        P = np.zeros((4, 2, 4))
        for s in range(4):
            P[s, 0, max(s - 1, 0)] = 1.0
            P[s, 1, min(s + 1, 3)] = 1.0
        register("ilkit/Homework-v0", transition=P, initial=np.array([1.0, 0, 0, 0]),
                 features=np.eye(4), weights=np.array([0, 0, 0, 1.0]), horizon=6, gamma=0.9)
    """)
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    run = [sys.executable, "-c", "from ilkit.cli import main; main()"]
    out = subprocess.run([*run, "envs", "check", "hwmod:ilkit/Homework-v0"], env=env,
                         capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("ok  ") == 3
    code = "import gymnasium as gym; print(gym.make('hwmod:ilkit/Homework-v0').reset(seed=0)[0])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "[1. 0. 0. 0.]", out.stderr
    out = subprocess.run([*run, "envs", "check", "nosuchmod:ilkit/Homework-v0"], env=env,
                         capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "nosuchmod" in out.stderr
