import json
from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import REFS

from ilkit.datasets import (
    DatasetError,
    UnknownDatasetError,
    VerifyFailedError,
    generate,
    load,
    to_transitions,
    verify,
)
from ilkit.digest import file_sha256

CARTPOLE = "ilkit/CartPole-v0"


def _make(policies, data_format="hdf5", n=3):
    ds = generate(CARTPOLE, n_episodes=n, seed=0, policy=policies[CARTPOLE],
                  data_format=data_format, ref_scores=REFS, progress=False)  # fmt: skip
    return ds.spec.dataset_id, Path(ds.spec.data_path)


def _set_checksums(data_path: Path) -> None:
    """Record the current checksums, as if the change had been made by the generator."""
    meta_file = data_path / "metadata.json"
    meta = json.loads(meta_file.read_text())
    for name in meta["ilkit"]["checksums"]:
        meta["ilkit"]["checksums"][name] = file_sha256(data_path / name)
    meta_file.write_text(json.dumps(meta))


def test_verify_passes_on_a_fresh_dataset(policies):
    dataset_id, _ = _make(policies)
    report = verify(dataset_id)
    assert report["ok"] and report["episodes"] == 3 and report["steps"] == 1500
    assert verify(CARTPOLE)["dataset_id"] == dataset_id  # a task id names its dataset X


def test_verify_names_a_corrupted_file(policies):
    dataset_id, data_path = _make(policies)
    data_file = data_path / "main_data.hdf5"
    raw = bytearray(data_file.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # one flipped byte in the middle of the data
    data_file.write_bytes(bytes(raw))
    with pytest.raises(VerifyFailedError, match="main_data.hdf5 fails its sha256") as err:
        verify(dataset_id)
    assert err.value.exit_code == 3


def test_verify_names_a_truncated_file_and_load_fails_cleanly(policies):
    dataset_id, data_path = _make(policies)
    data_file = data_path / "main_data.hdf5"
    data_file.write_bytes(data_file.read_bytes()[:2000])
    with pytest.raises(VerifyFailedError, match="main_data.hdf5"):
        verify(dataset_id)
    with pytest.raises(DatasetError, match="verify"):
        to_transitions(load(dataset_id, generate_if_missing=False))


def test_verify_names_missing_and_added_arrow_files(policies):
    dataset_id, data_path = _make(policies, data_format="arrow")
    (data_path / "1" / "part-0.arrow").unlink()
    (data_path / "stray.bin").write_bytes(b"x")
    with pytest.raises(VerifyFailedError) as err:
        verify(dataset_id)
    assert "1/part-0.arrow is missing" in str(err.value)
    assert "unexpected file stray.bin" in str(err.value)


def test_verify_names_the_bad_episode(policies):
    dataset_id, data_path = _make(policies)
    with h5py.File(data_path / "main_data.hdf5", "a") as f:
        f["episode_2/terminations"][10] = True
    _set_checksums(data_path)
    with pytest.raises(VerifyFailedError, match="episode 2: .*never terminates"):
        verify(dataset_id)


def test_verify_catches_hidden_reward_leaks_and_bad_actions(policies):
    dataset_id, data_path = _make(policies)
    with h5py.File(data_path / "main_data.hdf5", "a") as f:
        f["episode_0/rewards"][:] = 1.0
        f["episode_1/actions"][5] = 7  # CartPole has actions 0 and 1
    _set_checksums(data_path)
    with pytest.raises(VerifyFailedError) as err:
        verify(dataset_id)
    assert "episode 0: non-zero rewards" in str(err.value)
    assert "episode 1: an action lies outside" in str(err.value)


def test_verify_catches_spaces_that_do_not_match_the_task(policies):
    dataset_id, data_path = _make(policies)
    meta_file = data_path / "metadata.json"
    meta = json.loads(meta_file.read_text())
    space = json.loads(meta["observation_space"])
    space["shape"] = [5]
    space["low"], space["high"] = [-1.0] * 5, [1.0] * 5
    meta["observation_space"] = json.dumps(space)
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(VerifyFailedError, match="observation_space .* does not match"):
        verify(dataset_id)
    with pytest.raises(DatasetError, match="observation_space .* does not match"):
        load(dataset_id)


def test_verify_unknown_dataset_is_exit_1(policies):
    with pytest.raises(UnknownDatasetError) as err:
        verify("ilkit/CartPole/expert-v9")
    assert err.value.exit_code == 1


def test_flipped_observation_value_is_caught(policies):
    dataset_id, data_path = _make(policies)
    with h5py.File(data_path / "main_data.hdf5", "a") as f:
        obs = f["episode_1/observations"]
        obs[3, 0] = np.float32(np.nan)
    with pytest.raises(VerifyFailedError, match="sha256"):
        verify(dataset_id)
    _set_checksums(data_path)
    with pytest.raises(VerifyFailedError, match="episode 1: observations contain NaN"):
        verify(dataset_id)
