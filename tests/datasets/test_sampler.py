import numpy as np
import pytest
import torch as th

from ilkit.datasets import DatasetError, DeviceBatchSampler


def _data(n=103, discrete=True):
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(n, 4)).astype(np.float64)
    acts = rng.integers(0, 2, size=n) if discrete else rng.normal(size=(n, 3)).astype(np.float32)
    return obs, acts


def test_epoch_covers_every_sample_once_with_right_dtypes():
    obs, acts = _data()
    obs[:, 0] = np.arange(len(obs))  # an id per sample
    sampler = DeviceBatchSampler(obs, acts, batch_size=10, device="cpu", seed=1)
    assert len(sampler) == 11 and sampler.n_samples == 103
    assert sampler.device == th.device("cpu")
    batches = list(sampler)
    assert len(batches) == 11
    assert [len(b[0]) for b in batches] == [10] * 10 + [3]
    o, a = batches[0]
    assert o.dtype == th.float32 and o.shape == (10, 4)
    assert a.dtype == th.int64 and a.shape == (10,)
    seen = th.cat([b[0][:, 0] for b in batches]).long().sort().values
    assert th.equal(seen, th.arange(103))
    # pairs stay aligned: the action of sample i is still acts[i]
    for o, a in batches:
        ids = o[:, 0].long().numpy()
        assert np.array_equal(a.numpy(), acts[ids])


def test_epochs_are_shuffled_differently_and_reproducibly():
    obs, acts = _data()
    first = [b[0] for b in DeviceBatchSampler(obs, acts, batch_size=10, device="cpu", seed=3)]
    s = DeviceBatchSampler(obs, acts, batch_size=10, device="cpu", seed=3)
    again, second = [b[0] for b in s], [b[0] for b in s]
    assert all(th.equal(x, y) for x, y in zip(first, again, strict=True))
    assert not all(th.equal(x, y) for x, y in zip(again, second, strict=True))


def test_drop_last_and_continuous_actions_and_dicts():
    obs, acts = _data(discrete=False)
    sampler = DeviceBatchSampler(obs, acts, batch_size=10, device="cpu", drop_last=True)
    assert len(sampler) == 10
    dicts = sampler.iter_dicts()
    for _ in range(2):  # re-iterable: imitation's BC iterates it once per epoch
        batches = list(dicts)
        assert len(batches) == 10
        assert all(set(b) == {"obs", "acts"} and len(b["acts"]) == 10 for b in batches)
        assert batches[0]["acts"].dtype == th.float32 and batches[0]["acts"].shape == (10, 3)


def test_bad_input_is_a_clear_error():
    obs, acts = _data()
    with pytest.raises(DatasetError, match="lengths differ"):
        DeviceBatchSampler(obs, acts[:-1], batch_size=4, device="cpu")
    with pytest.raises(DatasetError, match="positive"):
        DeviceBatchSampler(obs, acts, batch_size=0, device="cpu")
    with pytest.raises(DatasetError, match="exceeds"):
        DeviceBatchSampler(obs, acts, batch_size=500, device="cpu", drop_last=True)


def test_float32_observations_share_memory_on_cpu():
    obs, acts = _data()
    obs = obs.astype(np.float32)
    sampler = DeviceBatchSampler(obs, acts, batch_size=8, device="cpu")
    assert sampler.observations.data_ptr() == obs.ctypes.data
