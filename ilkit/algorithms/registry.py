"""The algorithm registry: one :class:`AlgorithmSpec` per algorithm, one line per module below.

An algorithm is a module that defines a config dataclass, ``SPEC = AlgorithmSpec(...)`` and a
runner ``run(ctx: RunContext) -> RunOutput``. Its module path in :data:`BUILTIN` (or a call
to :func:`register`) is all the rest of ilkit needs: ``ilkit train``'s choices and help,
``ALGORITHMS``, the config lookup, the demonstrations' format and the runner dispatch are all
read from the specs. Keep an algorithm module's top level light (dataclasses, no torch): the
registry imports it for ``ilkit train --help``, and the runner imports the heavy parts.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from ilkit.algorithms.errors import UnknownAlgorithmError
from ilkit.errors import IlkitError

if TYPE_CHECKING:
    from ilkit.algorithms.run import RunContext, RunOutput
    from ilkit.envs.tasks import TaskSpec

BUILTIN: tuple[str, ...] = (
    "ilkit.algorithms.bc",
    "ilkit.algorithms.dagger",
    "ilkit.algorithms.gail",
    "ilkit.algorithms.airl",
    "ilkit.algorithms.airl_bc",
    "ilkit.algorithms.mce_irl",
    "ilkit.algorithms.feature_matching",
    "ilkit.algorithms.hg_dagger",
    "ilkit.algorithms.preferences",
)
"""Modules of the algorithms that ship with ilkit, in the order ``ilkit train`` lists them."""

CONSUMES = ("demos", "expert_queries", "env_steps", "interventions", "preferences")
"""What an algorithm may consume; a run reports how much of each it used."""
WRITES = ("policy", "reward")
"""What a run may write under its output directory (``policy/``, ``reward/``)."""

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclasses.dataclass(frozen=True)
class AlgorithmSpec:
    """Everything ilkit needs to know about one algorithm."""

    name: str
    """What users type: ``ilkit train <name>``, ``train("<name>", ...)``."""
    summary: str
    """One line for ``ilkit train --help``."""
    config: type | Mapping[str, type]
    """The config dataclass; or ``{generator: dataclass}`` for an algorithm whose inner learner
    is chosen with the ``generator`` key (GAIL/AIRL: ppo, sac), the first being the default."""
    runner: str | Callable[[RunContext], RunOutput]
    """``"module:function"`` (imported on first use) or the function itself."""
    task_defaults: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    """Task name -> ``{key: value}`` overrides of the config's defaults; with generators, task
    name -> generator -> overrides. Tasks not listed use the dataclass defaults."""
    default_generator: Callable[[TaskSpec], str] | None = None
    """The generator a task uses when none is chosen (None: the first of ``config``)."""
    consumes: tuple[str, ...] = ("demos",)
    demos_as: Literal["transitions", "trajectories"] = "transitions"
    """How the runner receives the demonstrations: flat (obs, act) arrays, or also imitation
    ``Trajectory`` objects (``RunContext.demos.trajectories``)."""
    writes: tuple[str, ...] = ("policy",)

    def __post_init__(self) -> None:
        problems = [f"consumes {c!r}" for c in self.consumes if c not in CONSUMES]
        problems += [f"writes {w!r}" for w in self.writes if w not in WRITES]
        if "policy" not in self.writes:
            problems.append("writes no policy")
        if self.demos_as not in ("transitions", "trajectories"):
            problems.append(f"demos_as {self.demos_as!r}")
        if not self.name.isidentifier() or self.name != self.name.lower():
            problems.append("a name that is not a lower-case identifier")
        if problems:
            raise IlkitError(f"algorithm spec {self.name!r}: {', '.join(problems)}")

    @property
    def generators(self) -> tuple[str, ...]:
        """The generator choices (empty for an algorithm with a single config class)."""
        return tuple(self.config) if isinstance(self.config, Mapping) else ()

    def config_class(self, task: TaskSpec, generator: str | None = None) -> type:
        if not self.generators:
            return self.config  # type: ignore[return-value]
        return self.config[generator or self.generator_for(task)]  # type: ignore[index]

    def generator_for(self, task: TaskSpec) -> str:
        if self.default_generator is not None:
            return self.default_generator(task)
        return self.generators[0]

    def defaults_for(self, task: TaskSpec, generator: str | None = None) -> Mapping[str, Any]:
        values = self.task_defaults.get(task.name, _EMPTY)
        if self.generators:
            values = values.get(generator or self.generator_for(task), _EMPTY)
        return values

    def load_runner(self) -> Callable[[RunContext], RunOutput]:
        if callable(self.runner):
            return self.runner
        module, _, function = self.runner.partition(":")
        return getattr(importlib.import_module(module), function)


_SPECS: dict[str, AlgorithmSpec] = {}


def register(spec_or_module: AlgorithmSpec | str) -> AlgorithmSpec:
    """Add an algorithm: its spec, or the path of a module that defines ``SPEC``.

    Raises:
        IlkitError: the module has no ``SPEC``, or another algorithm has that name.
    """
    spec = spec_or_module
    if isinstance(spec_or_module, str):
        spec = getattr(importlib.import_module(spec_or_module), "SPEC", None)
        if not isinstance(spec, AlgorithmSpec):
            raise IlkitError(f"{spec_or_module} defines no SPEC = AlgorithmSpec(...)")
    assert isinstance(spec, AlgorithmSpec)
    known = _specs()
    if spec.name in known and known[spec.name] is not spec:
        raise IlkitError(f"an algorithm named {spec.name!r} is already registered")
    known[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove a registered algorithm (tests; a course replacing a built-in)."""
    _specs().pop(name, None)


def _specs() -> dict[str, AlgorithmSpec]:
    if not _SPECS:
        for module in BUILTIN:
            spec = importlib.import_module(module).SPEC
            _SPECS[spec.name] = spec
    return _SPECS


def names() -> tuple[str, ...]:
    """Registered algorithm names, built-ins first."""
    return tuple(_specs())


def get(name: str) -> AlgorithmSpec:
    """The spec of ``name`` (case-insensitive).

    Raises:
        UnknownAlgorithmError: no such algorithm (the message lists the registered ones).
    """
    spec = _specs().get(str(name).lower())
    if spec is None:
        raise UnknownAlgorithmError(
            f"unknown algorithm {name!r}; choose one of {', '.join(names())}"
        )
    return spec
