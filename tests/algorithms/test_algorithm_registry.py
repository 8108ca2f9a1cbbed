"""The algorithm registry: configs unchanged by it, one file adds an algorithm, strict parsing."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from ilkit.algorithms import ConfigError, make_config, registry
from ilkit.algorithms.adversarial import GENERATOR_CONFIGS
from ilkit.algorithms.configs import parse_value
from ilkit.cli import cli

BASELINE = Path(__file__).parent / "data" / "show_config_before_registry.json"


def _show_config(args: list[str]) -> dict:
    result = CliRunner().invoke(cli, ["train", *args, "--show-config", "--json"])
    assert result.exit_code == 0, result.output
    return {k: v["value"] for k, v in json.loads(result.output).items()}


def _generator_only_keys(generator: str) -> set[str]:
    """Keys of the other generator's config that the chosen one does not have."""
    mine = set(GENERATOR_CONFIGS[generator].__dataclass_fields__)
    others = set().union(*(set(c.__dataclass_fields__) for c in GENERATOR_CONFIGS.values()))
    return others - mine


PLAIN_AIRL = {"bc_weight": (0.4, 0.0), "bc_decay_steps": (0, 100_000),
              "total_timesteps": (150_000, 300_000)}  # fmt: skip
INTENDED = {
    "ilkit/Walker2d-v0 airl": PLAIN_AIRL,
    "ilkit/Walker2d-v0 airl generator=sac": PLAIN_AIRL,
}
"""Changes made on purpose since the capture (issue 29: the AIRL default holds no BC term; the
old Walker2d default lives on as ``airl_bc``)."""


def test_every_task_and_algorithm_resolves_to_the_values_before_the_registry():
    """--show-config of every task x algorithm (x generator) as captured before the registry:
    every key still there has the same value (or the INTENDED change); a key that is gone
    belongs to the other generator only; no key is new."""
    baseline = json.loads(BASELINE.read_text())
    assert len(baseline) == 96
    for label, before in baseline.items():
        env_id, algo, *rest = label.split(" ")
        args = [algo, "--env", env_id] + [a for r in rest for a in ("--set", r)]
        after = _show_config(args)
        assert not set(after) - set(before), (label, set(after) - set(before))
        changed = {k: (before[k], after[k]) for k in after if after[k] != before[k]}
        assert changed == INTENDED.get(label, {}), (label, changed)
        gone = set(before) - set(after)
        if gone:
            assert gone <= _generator_only_keys(after["generator"]), (label, gone)


def test_airl_bc_on_walker2d_is_the_old_airl_default_and_airl_holds_no_bc_term():
    """The stored Walker2d rows with the BC term moved to airl_bc: its config is exactly what
    airl resolved to before; airl itself has the term off on every task."""
    before = json.loads(BASELINE.read_text())["ilkit/Walker2d-v0 airl generator=sac"]
    after = _show_config(["airl_bc", "--env", "ilkit/Walker2d-v0"])
    assert after == {k: before[k] for k in after}
    assert set(before) - set(after) <= _generator_only_keys("sac")
    for env_id in ("ilkit/Pendulum-v0", "ilkit/Hopper-v0", "ilkit/Walker2d-v0", "ilkit/Ant-v0"):
        assert _show_config(["airl", "--env", env_id, "--set", "generator=sac"])["bc_weight"] == 0
        assert _show_config(["airl_bc", "--env", env_id])["bc_weight"] == 0.4


def test_airl_bc_on_discrete_actions_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(
        cli, ["train", "airl_bc", "--env", "ilkit/CartPole-v0", "--seed", "0", "--demos", "1",
              "--out", str(tmp_path / "run")],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "airl_bc trains SAC: it needs continuous actions" in result.output


DUMMY = '''
"""A do-nothing algorithm: an untrained policy (the registry test's one new file)."""

import dataclasses

from ilkit.algorithms.configs import option
from ilkit.algorithms.registry import AlgorithmSpec


@dataclasses.dataclass(frozen=True)
class DummyConfig:
    width: int = option(8, "Hidden units of the untrained policy.")
    eval_every: int = option(0, "Unused.")
    eval_episodes: int = option(1, "Unused.")


def run(ctx):
    from ilkit.algorithms.common import mlp_policy
    from ilkit.algorithms.run import RunOutput

    module = mlp_policy(
        ctx.observation_space, ctx.action_space, (ctx.config.width,), "tanh", ctx.device
    )
    return RunOutput(
        module=module, obs_norm=None, curve=ctx.curve, env_steps=0, expert_queries=0,
        offline=True, extra={"dummy": True},
    )


SPEC = AlgorithmSpec(
    name="dummy",
    summary="an untrained policy (registry test)",
    config=DummyConfig,
    runner=run,
    task_defaults={"CartPole": {"width": 4}},
)
'''


@pytest.fixture
def dummy_algorithm(tmp_path, monkeypatch):
    """The recipe of the README: one new module, one line in registry.BUILTIN."""
    (tmp_path / "ilkit_dummy_algo.py").write_text(textwrap.dedent(DUMMY))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "BUILTIN", (*registry.BUILTIN, "ilkit_dummy_algo"))
    monkeypatch.setattr(registry, "_SPECS", {})
    yield
    sys.modules.pop("ilkit_dummy_algo", None)


def test_a_dummy_algorithm_added_by_one_file_and_one_line_trains(dummy_algorithm, tmp_path):
    import ilkit.algorithms

    assert "dummy" in ilkit.algorithms.ALGORITHMS
    help_text = CliRunner().invoke(cli, ["train", "--help"]).output
    assert "dummy" in help_text and "an untrained policy (registry test)" in help_text
    assert _show_config(["dummy", "--env", "ilkit/CartPole-v0"])["width"] == 4  # task default
    assert _show_config(["dummy", "--env", "ilkit/Pendulum-v0", "--set", "width=3"]) == {
        "width": 3, "eval_every": 0, "eval_episodes": 1,
    }  # fmt: skip
    out = tmp_path / "run"
    result = CliRunner().invoke(
        cli,
        ["train", "dummy", "--env", "ilkit/CartPole-v0", "--demos", "2", "--seed", "0",
         "--out", str(out), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["algorithm"] == "dummy" and metrics["dummy"] is True
    assert metrics["config"] == {"width": 4, "eval_every": 0, "eval_episodes": 1}
    assert (out / "policy" / "manifest.json").is_file()
    reported = json.loads(result.stdout)
    assert reported["wall_time_s"] == metrics["wall_time_s"]  # one clock


def test_an_unregistered_algorithm_is_a_one_line_error():
    result = CliRunner().invoke(cli, ["train", "ppo", "--env", "ilkit/CartPole-v0"])
    assert result.exit_code == 2
    assert "unknown algorithm 'ppo'; choose one of bc, dagger, gail, airl" in result.output
    with pytest.raises(ConfigError, match="unknown algorithm 'ppo'"):
        make_config("ppo", "ilkit/CartPole-v0")


def test_a_key_of_the_other_generator_is_an_error_naming_the_generator():
    with pytest.raises(ConfigError, match=r"n_steps needs generator=ppo .*uses generator=sac"):
        make_config("gail", "ilkit/Hopper-v0", {"n_steps": "128"})  # Hopper: SAC by default
    with pytest.raises(ConfigError, match=r"grad_penalty needs generator=sac"):
        make_config("airl", "ilkit/CartPole-v0", {"grad_penalty": "5"})
    sac = make_config("gail", "ilkit/Pendulum-v0", {"generator": "SAC", "grad_penalty": "5"})
    assert sac.grad_penalty == 5.0 and sac.total_timesteps == 20_000  # SAC's Pendulum row
    with pytest.raises(ConfigError, match="generator must be one of ppo, sac, not 'td3'"):
        make_config("gail", "ilkit/Pendulum-v0", {"generator": "td3"})


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [("100000", int, 100_000), ("100_000", int, 100_000), ("1e5", int, 100_000),
     ("-3", int, -3), ("2.5e-4", float, 2.5e-4), ("1e5", float, 1e5), ("64, 64", tuple[int, ...],
     (64, 64)), ("YES", bool, True), ("off", bool, False)],
)  # fmt: skip
def test_values_parse_by_the_field_type(text, hint, expected):
    assert parse_value("k", text, hint) == expected


@pytest.mark.parametrize(
    ("text", "hint"),
    [("1.5e0", int), ("2.5", int), ("1e400", int), ("1e400", float), ("inf", float),
     ("nan", float), ("abc", int), ("true", int), ("maybe", bool), ("64,6.5", tuple[int, ...]),
     ("9223372036854775808", int)],
)  # fmt: skip
def test_values_that_do_not_fit_the_type_are_one_line_errors(text, hint):
    with pytest.raises(ConfigError, match=f"bad value '{text}' for config key 'k'"):
        parse_value("k", text, hint)


@given(st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1))
def test_any_int64_written_out_parses_back(n):
    assert parse_value("k", str(n), int) == n
    assert parse_value("k", f"{n:_}", int) == n


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_finite_float_written_out_parses_back(x):
    assert parse_value("k", repr(x), float) == x


def test_an_unknown_key_lists_the_valid_ones_for_every_kind_of_spec():
    with pytest.raises(ConfigError, match=r"unknown bc config key\(s\) lrr; valid keys: .*lr"):
        make_config("bc", "ilkit/CartPole-v0", {"lrr": "0.1"})
    with pytest.raises(ConfigError, match=r"unknown gail config key\(s\) nope; valid keys: "):
        make_config("gail", "ilkit/CartPole-v0", {"nope": "1"})
