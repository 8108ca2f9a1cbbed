"""Config machinery shared by every algorithm: defaults per task, ``key=value`` overrides parsed by
the field's type, range checks, and the help text of each key.

An algorithm's config is a frozen dataclass in its own module (``ilkit.algorithms.bc`` ...),
its fields declared with :func:`option`; its per-task defaults are in its
:class:`~ilkit.algorithms.registry.AlgorithmSpec`. The discount of GAIL/AIRL's generator is not
a config field: it is the task's γ (``ilkit.envs.spec(env_id).gamma``).
"""

from __future__ import annotations

import dataclasses
import decimal
import math
import typing
from collections.abc import Mapping
from typing import Any

from ilkit.algorithms import registry
from ilkit.algorithms.errors import ConfigError
from ilkit.envs.tasks import TASKS, spec

Config = Any
"""An algorithm's config dataclass instance (each algorithm defines its own class)."""

_INT_LIMIT = 2**63  # what numpy / torch can hold: larger integers fail deep inside them


def option(default: Any, help: str, *, zero_ok: bool = False) -> Any:
    """A config field with its ``--show-config`` help. Numbers must be > 0 (ints) or >= 0
    (floats) unless ``zero_ok`` (0 has a meaning, which ``help`` says); ``eval_*`` keys may be 0.
    """
    return dataclasses.field(default=default, metadata={"help": help, "zero_ok": zero_ok})


def mujoco_tasks() -> tuple[str, ...]:
    """Names of the shipped MuJoCo tasks (``TaskSpec.mujoco``), which share defaults."""
    return tuple(t.name for t in TASKS.values() if t.mujoco)


def default_config(algo: str, env_id: str, generator: str | None = None) -> Config:
    """The config ``algo`` uses on ``env_id`` when nothing is overridden.

    ``generator`` (GAIL/AIRL): the defaults of that generator on the task instead of the
    task's default generator's.
    """
    algo_spec = registry.get(algo)
    task = spec(env_id)
    if generator is not None and generator not in algo_spec.generators:
        raise ConfigError(_bad_generator(algo_spec, generator))
    cls = algo_spec.config_class(task, generator)
    return cls(**algo_spec.defaults_for(task, generator))


def make_config(algo: str, env_id: str, config: Config | Mapping[str, Any] | None = None) -> Config:
    """Resolve ``config`` (None, a config object, or ``{key: value}`` overrides) for a run.

    Override values may be typed or strings as given on the command line (``"64,64"`` for a
    tuple, ``"true"`` for a bool, ``"1e5"`` for an integer).

    Raises:
        ConfigError: unknown algorithm or key (the message lists the valid keys), a key that
            does not apply to the chosen generator, or a bad value.
    """
    algo_spec = registry.get(algo)
    task = spec(env_id)
    classes = (
        tuple(algo_spec.config.values())
        if algo_spec.generators
        else (algo_spec.config,)  # type: ignore[union-attr]
    )
    if isinstance(config, classes):
        return validate(config)
    if config is not None and not isinstance(config, Mapping):
        names = " or ".join(c.__name__ for c in classes)
        raise ConfigError(
            f"{algo_spec.name} needs a {names} or a mapping of overrides, not "
            f"{type(config).__name__}"
        )
    overrides = dict(config or {})
    generator = None
    if algo_spec.generators and "generator" in overrides:
        generator = str(overrides["generator"]).strip().lower()
        if generator not in algo_spec.generators:
            raise ConfigError(_bad_generator(algo_spec, overrides["generator"]))
        overrides["generator"] = generator
    base = default_config(algo_spec.name, task.id, generator)
    cls = type(base)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        _raise_unknown(algo_spec, base, unknown, names)
    hints = typing.get_type_hints(cls)
    values = {key: parse_value(key, value, hints[key]) for key, value in overrides.items()}
    return validate(dataclasses.replace(base, **values))


def _raise_unknown(algo_spec, base, unknown: list[str], names: list[str]) -> typing.NoReturn:
    # a key of another generator: say which (it exists, just not for this run's generator)
    elsewhere = {
        key: generator
        for generator, other in (algo_spec.config.items() if algo_spec.generators else ())
        for key in (f.name for f in dataclasses.fields(other))
        if key in unknown and key not in names
    }
    if elsewhere and set(elsewhere) == set(unknown):
        key = unknown[0]
        raise ConfigError(
            f"{key} needs generator={elsewhere[key]} (this {algo_spec.name} run uses "
            f"generator={base.generator}; add --set generator={elsewhere[key]})"
        )
    raise ConfigError(
        f"unknown {algo_spec.name} config key(s) {', '.join(unknown)}; valid keys: "
        f"{', '.join(names)}"
    )


def _bad_generator(algo_spec, value: Any) -> str:
    if not algo_spec.generators:
        return f"{algo_spec.name} has no generator to choose"
    return f"generator must be one of {', '.join(algo_spec.generators)}, not {value!r}"


def parse_overrides(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["lr=0.001", "net_arch=64,64"]`` -> ``{"lr": "0.001", "net_arch": "64,64"}``."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects key=value, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def parse_value(key: str, value: Any, hint: Any) -> Any:
    """``value`` (a CLI string or a typed value) as the field's declared type, exactly.

    Integers accept ``100000``, ``100_000`` and ``1e5``, but not ``1.5e0`` or ``2.5``; floats
    must be finite (``1e400`` is not); bools accept true/false, yes/no, on/off, 1/0.
    """
    try:
        parsed = _parse(value, hint)
    except (TypeError, ValueError, ArithmeticError):
        raise ConfigError(
            f"bad value {value!r} for config key {key!r}: expected {_type_name(hint)}"
        ) from None
    if parsed is _UNSUPPORTED:
        raise ConfigError(f"config key {key!r} has an unsupported type {hint}")
    return parsed


_UNSUPPORTED = object()


def _parse(value: Any, hint: Any) -> Any:
    if hint is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ValueError(value)
    if hint is int:
        return _parse_int(value)
    if hint is float:
        if isinstance(value, bool):
            raise ValueError(value)
        number = float(str(value).replace("_", "")) if isinstance(value, str) else float(value)
        if not math.isfinite(number):
            raise ValueError(value)
        return number
    if hint is str:
        return str(value)
    if typing.get_origin(hint) is tuple:
        items = value.replace(" ", "").split(",") if isinstance(value, str) else list(value)
        return tuple(_parse_int(i) for i in items if i != "")
    return _UNSUPPORTED


def _parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError(value)
        number = int(value)
    else:
        # Decimal, not float: "1e5" is exactly 100000, "1.5e0" is not an integer, and huge
        # exponents fail here with a message rather than overflowing later
        exact = decimal.Decimal(str(value).strip().replace("_", ""))
        if not exact.is_finite() or exact != exact.to_integral_value():
            raise ValueError(value)
        if abs(exact) >= _INT_LIMIT:
            raise ValueError(value)
        number = int(exact)
    if abs(number) >= _INT_LIMIT:
        raise ValueError(value)
    return number


def _type_name(hint: Any) -> str:
    if typing.get_origin(hint) is tuple:
        return "comma-separated integers, e.g. 64,64"
    if hint is int:
        return "an integer of magnitude below 2**63, e.g. 100000 or 1e5"
    if hint is float:
        return "a finite number"
    if hint is bool:
        return "true or false"
    return getattr(hint, "__name__", str(hint))


def validate(config: Config) -> Config:
    """Range checks that would otherwise fail deep inside imitation or SB3, then the config's
    own ``problems()`` (cross-field rules of one algorithm)."""
    problems = []
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        zero_ok = field.metadata.get("zero_ok", False) or field.name.startswith("eval_")
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            if value < 0 or (value == 0 and not zero_ok):
                problems.append(f"{field.name} must be {'>=' if zero_ok else '>'} 0")
        elif isinstance(value, float) and value < 0:
            problems.append(f"{field.name} must be >= 0")
        elif isinstance(value, tuple) and (not value or min(value) <= 0):
            problems.append(f"{field.name} must be positive layer sizes, e.g. 64,64")
    if hasattr(config, "problems"):
        problems += config.problems()
    if problems:
        raise ConfigError(f"invalid {type(config).__name__}: {'; '.join(problems)}")
    return config


def check_activation(config: Config) -> list[str]:
    """The ``activation`` key names one the artifact format can store."""
    from ilkit.policies.artifact import ACTIVATIONS  # imports torch: only when validating

    if config.activation in ACTIVATIONS:
        return []
    return [f"activation must be one of {', '.join(ACTIVATIONS)}"]


def to_dict(config: Config) -> dict[str, Any]:
    """JSON-ready fields (tuples become lists)."""
    return {
        k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(config).items()
    }


def field_help(cls: type) -> dict[str, str]:
    """Each field's help, for ``--show-config`` (a subclass may override a default and keep its
    base class's help)."""
    helps: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        for field in getattr(klass, "__dataclass_fields__", {}).values():
            if "help" in field.metadata:
                helps[field.name] = field.metadata["help"]
    return helps
