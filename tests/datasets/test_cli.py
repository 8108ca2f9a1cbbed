import json

import pytest
from click.testing import CliRunner

from ilkit.cli import cli

CARTPOLE = "ilkit/CartPole-v0"


@pytest.fixture(autouse=True)
def _few_reference_episodes(monkeypatch):
    import ilkit.datasets.generation as generation

    monkeypatch.setattr(generation, "REF_EPISODES", 2)


def _run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input)


def _generate(policies, *extra):
    return _run("generate", CARTPOLE, "--episodes", "2", "--seed", "0",
                "--policy", str(policies[CARTPOLE]), *extra)  # fmt: skip


def test_generate_list_show_verify_delete(policies):
    result = _generate(policies, "--workers", "2", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["dataset_id"] == "ilkit/CartPole/expert-v0" and summary["steps"] == 1000

    rows = json.loads(_run("datasets", "list", "--json").stdout)
    assert [r["dataset_id"] for r in rows] == ["ilkit/CartPole/expert-v0"]
    assert rows[0]["with_rewards"] is False and rows[0]["episodes"] == 2
    assert "ilkit/CartPole/expert-v0" in _run("datasets", "list").output

    shown = json.loads(_run("datasets", "show", CARTPOLE, "--json").stdout)
    assert shown["metadata"]["ilkit"]["seed"] == 0 and shown["ref_min_score"] is not None
    assert "ref_max_score" in _run("datasets", "show", "ilkit/CartPole/expert-v0").output

    result = _run("datasets", "verify", "ilkit/CartPole/expert-v0", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["ok"] is True

    assert _run("datasets", "delete", CARTPOLE, input="n\n").exit_code == 1  # declined
    result = _run("datasets", "delete", CARTPOLE, "--yes")
    assert result.exit_code == 0, result.output
    assert json.loads(_run("datasets", "list", "--json").stdout) == []


def test_existing_dataset_needs_force(policies):
    assert _generate(policies).exit_code == 0
    result = _generate(policies)
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("error: ") and "--force" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert _generate(policies, "--force", "--format", "arrow").exit_code == 0


def test_verify_failure_is_exit_3_naming_the_file(policies):
    result = _generate(policies, "--json")
    path = json.loads(result.stdout)["path"]
    data_file = f"{path}/data/main_data.hdf5"
    with open(data_file, "r+b") as f:
        f.seek(4096)
        byte = f.read(1)
        f.seek(4096)
        f.write(bytes([byte[0] ^ 0xFF]))
    result = _run("datasets", "verify", CARTPOLE)
    assert result.exit_code == 3
    assert "main_data.hdf5 fails its sha256" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_input_is_one_line_exit_1(policies):
    for args in (
        ("generate", "ilkit/CartPol-v0", "-n", "1", "-s", "0"),
        ("datasets", "show", "ilkit/Nope/expert-v0"),
        ("datasets", "verify", "ilkit/Nope/expert-v0"),
        ("datasets", "delete", "ilkit/Nope/expert-v0", "--yes"),
    ):
        result = _run(*args)
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    usage = _run("generate", CARTPOLE, "-n", "0", "-s", "0")
    assert usage.exit_code == 2  # click's usage error


def test_help_teaches():
    result = _run("generate", "--help")
    assert result.exit_code == 0
    assert "byte-identical" in result.output and "--with-rewards" in result.output
    assert "verify" in _run("datasets", "--help").output
