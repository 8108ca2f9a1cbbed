import pytest
from conftest import REFS

import ilkit.datasets.store as store
from ilkit.datasets import UnknownDatasetError, generate, load, load_arrays, to_trajectories
from ilkit.datasets.generation import datasets_root


@pytest.fixture
def small_defaults(monkeypatch):
    import ilkit.datasets.generation as generation

    monkeypatch.setattr(store, "default_episodes", lambda env_id: 2)
    monkeypatch.setattr(generation, "REF_EPISODES", 2)


def test_load_generates_a_missing_task_dataset_from_the_bundled_expert(small_defaults, capsys):
    ds = load("ilkit/CartPole/expert-v0")
    assert ds.total_episodes == 2
    message = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert "generating 2 episodes from the bundled expert" in message
    meta = ds.storage.metadata["ilkit"]
    assert meta["expert"]["source"] == "bundled expert"
    assert meta["expert"]["manifest"]["env_id"] == "ilkit/CartPole-v0"
    # the bundled CartPole expert balances the pole: the data is an expert's, not noise
    trajs = to_trajectories(ds)
    assert all(abs(t.obs[:, 2]).max() < 0.21 for t in trajs)
    again = load("ilkit/CartPole-v0")  # a task id names its dataset X; no regeneration
    assert again.spec.dataset_id == "ilkit/CartPole/expert-v0"
    assert "generating" not in capsys.readouterr().err


def test_load_uses_the_copy_a_parallel_run_installed_meanwhile(small_defaults, monkeypatch):
    import ilkit.datasets.generation as generation

    real = generation.generate

    def racing(env_id, **kwargs):
        real(env_id, **kwargs)  # the other process of a parallel sweep installs it first
        return real(env_id, **kwargs)  # ours then finds it there: DatasetExistsError

    monkeypatch.setattr(generation, "generate", racing)
    ds = load("ilkit/CartPole/expert-v0")
    assert ds.total_episodes == 2
    assert ds.spec.dataset_id == "ilkit/CartPole/expert-v0"


def test_load_unknown_or_disabled_generation_is_a_clear_error(policies):
    with pytest.raises(UnknownDatasetError, match="no local datasets"):
        load("someone/else-v0")
    with pytest.raises(UnknownDatasetError, match="unknown dataset"):
        load("ilkit/CartPole/expert-v0", generate_if_missing=False)
    generate("ilkit/CartPole-v0", n_episodes=1, seed=0, policy=policies["ilkit/CartPole-v0"],
             ref_scores=REFS, progress=False)  # fmt: skip
    with pytest.raises(UnknownDatasetError, match="did you mean ilkit/CartPole/expert-v0"):
        load("ilkit/CartPole/expert-v1", generate_if_missing=False)


def test_load_arrays_peak_memory_stays_under_one_and_a_half_times_the_arrays(policies):
    import tracemalloc

    env_id = "ilkit/CartPole-v0"
    ds = generate(env_id, n_episodes=24, seed=0, policy=policies[env_id], ref_scores=REFS,
                  progress=False)  # fmt: skip
    load_arrays(ds, n_episodes=1)  # warm caches (imports, file handles) outside the measure
    tracemalloc.start()
    obs, acts = load_arrays(ds)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = obs.nbytes + acts.nbytes
    assert len(obs) == 24 * 500
    assert peak < 1.5 * size, (peak, size)
    assert str(datasets_root()) in str(ds.spec.data_path)


def test_rewards_dataset_needs_the_offline_rl_opt_in(small_defaults):
    """Issue 13, problem 8: asking for the rewards dataset's name does not hand out the reward."""
    import os
    from pathlib import Path

    from ilkit import datasets
    from ilkit.datasets.errors import DatasetError

    root = Path(os.environ["MINARI_DATASETS_PATH"])
    with pytest.raises(DatasetError, match="offline-RL dataset outside the HR-MDP"):
        datasets.load("ilkit/CartPole/expert-withrewards-v0")
    assert not list(root.rglob("metadata.json"))  # nothing was generated
    ds = datasets.load("ilkit/CartPole/expert-withrewards-v0", offline_rl=True, progress=False)
    assert float(ds[0].rewards.sum()) > 0  # the true reward, asked for by name
    with pytest.raises(DatasetError, match="offline_rl=True"):
        datasets.load("ilkit/CartPole/expert-withrewards-v0")  # stored now: still opt-in
