"""The mixture-density policy: exact NLL, sampling and mode, artifact round trip."""

import math

import numpy as np
import pytest
import torch as th
from gymnasium import spaces

from ilkit.policies import load_policy, save_policy
from ilkit.policies.artifact import ArtifactError
from ilkit.policies.mdn import MDNPolicy, mixture_log_prob

OBS = spaces.Box(-1.0, 1.0, (3,), np.float32)
ACT = spaces.Box(-1.0, 1.0, (2,), np.float32)


def brute_force_log_prob(logits, means, log_stds, actions):
    """log sum_k w_k prod_d N(a_d; mu_kd, sigma_kd), term by term in float64."""
    out = []
    for b in range(len(actions)):
        weights = np.exp(logits[b]) / np.exp(logits[b]).sum()
        total = 0.0
        for k in range(len(weights)):
            density = 1.0
            for d in range(actions.shape[1]):
                sigma = math.exp(log_stds[b, k, d])
                z = (actions[b, d] - means[b, k, d]) / sigma
                density *= math.exp(-0.5 * z * z) / (sigma * math.sqrt(2 * math.pi))
            total += weights[k] * density
        out.append(math.log(total))
    return np.array(out)


def test_mixture_log_prob_matches_brute_force():
    rng = np.random.default_rng(0)
    b, k, d = 6, 3, 2
    logits = rng.normal(size=(b, k))
    means = rng.normal(size=(b, k, d))
    log_stds = rng.uniform(-1.0, 0.5, size=(b, k, d))
    actions = rng.normal(size=(b, d))
    got = mixture_log_prob(*(th.tensor(a) for a in (logits, means, log_stds, actions)))
    np.testing.assert_allclose(got.numpy(), brute_force_log_prob(logits, means, log_stds, actions),
                               rtol=1e-10)  # fmt: skip


def test_one_component_is_the_diagonal_gaussian():
    mean, log_std, a = th.randn(4, 1, 2), th.randn(4, 1, 2) * 0.3, th.randn(4, 2)
    expected = th.distributions.Normal(mean[:, 0], log_std[:, 0].exp()).log_prob(a).sum(-1)
    got = mixture_log_prob(th.zeros(4, 1), mean, log_std, a)
    assert th.allclose(got, expected, atol=1e-6)


def test_evaluate_actions_returns_the_mixture_nll_and_no_entropy():
    policy = MDNPolicy(OBS, ACT, net_arch=(8,), n_components=3)
    obs, acts = th.rand(5, 3), th.rand(5, 2)
    values, log_prob, entropy = policy.evaluate_actions(obs, acts)
    assert values is None and entropy is None
    assert th.allclose(log_prob, mixture_log_prob(*policy.mixture(obs), acts))


def test_modes_sampling_and_deterministic_choice():
    policy = MDNPolicy(OBS, ACT, net_arch=(8,), n_components=2)
    with th.no_grad():  # input-independent mixture: weights 0.8 / 0.2, means -0.5 / +0.5
        for layer in (policy.logits, policy.means, policy.log_stds):
            layer.weight.zero_()
        policy.logits.bias.copy_(th.log(th.tensor([0.2, 0.8])))
        policy.means.bias.copy_(th.tensor([0.5, 0.5, -0.5, -0.5]))
        policy.log_stds.bias.fill_(-3.0)  # sigma 0.05, the floor
    obs = np.zeros((2000, 3), np.float32)
    det, _ = policy.predict(obs, deterministic=True)
    assert np.allclose(det, -0.5)  # the heavier component's mean, not the mixture mean (-0.3)
    th.manual_seed(0)
    sampled, _ = policy.predict(obs, deterministic=False)
    near_minus = np.mean(np.abs(sampled[:, 0] + 0.5) < 0.25)
    near_plus = np.mean(np.abs(sampled[:, 0] - 0.5) < 0.25)
    assert 0.75 < near_minus < 0.85 and 0.15 < near_plus < 0.25 and near_minus + near_plus == 1


def test_artifact_round_trip(tmp_path):
    policy = MDNPolicy(OBS, ACT, net_arch=(16, 16), activation="relu",
                       activation_fn=th.nn.ReLU, n_components=4)  # fmt: skip
    path = save_policy(tmp_path / "mdn", env_id="ilkit/Detour-v0", manifest={}, module=policy)
    loaded = load_policy(path, device="cpu")
    assert loaded.manifest["kind"] == "mdn"
    assert loaded.manifest["architecture"] == {
        "net_arch": [16, 16], "activation": "relu", "n_components": 4,
    }  # fmt: skip
    obs = np.random.default_rng(0).uniform(-1, 1, (7, 3)).astype(np.float32)
    expected, _ = policy.predict(obs, deterministic=True)
    np.testing.assert_array_equal(loaded.predict(obs)[0], expected)


def test_discrete_actions_are_refused():
    with pytest.raises(ValueError, match="continuous"):
        MDNPolicy(OBS, spaces.Discrete(3))


@pytest.mark.parametrize("bad", [0, -3, "5", True, 10**6])
def test_manifest_with_a_bad_component_count_is_one_line(tmp_path, bad):
    import json

    policy = MDNPolicy(OBS, ACT, net_arch=(4,), n_components=2)
    path = save_policy(tmp_path / "mdn", env_id="ilkit/Detour-v0", manifest={}, module=policy)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["architecture"]["n_components"] = bad
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="n_components must be an integer"):
        load_policy(path, device="cpu")
