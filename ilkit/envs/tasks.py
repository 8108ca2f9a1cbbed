"""The HR-MDP task table: base dynamics, fixed horizon, discount and dataset id of each task.

A task is (S, A, Tr) = the base dynamics below, γ = ``gamma`` and X = the Minari dataset
``dataset_id``. The reference returns (random and expert policy, true reward, held-out seeds)
are measured once and stored in ``references.json`` beside this file; they are ``None`` until
measured.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from functools import cache
from importlib import resources
from typing import Any, Literal

from ilkit.errors import UnknownEnvError

NAMESPACE = "ilkit"
VERSION = 0
TIERS = ("expert", "noisy", "medium", "mixed")
"""Dataset tiers of every task (``ilkit/<Name>/<tier>-v0``): the expert's own demonstrations,
the expert with random actions mixed in, a degraded expert at 30-60% of its normalized return,
and half expert, half medium episodes (see :mod:`ilkit.datasets.tiers`)."""


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """Everything that defines one HR-MDP task, except the reward (which the env hides)."""

    name: str
    """Short name, e.g. ``"CartPole"``; the env id is ``ilkit/<name>-v0``."""
    base_entry_point: str
    """Gymnasium-style ``module:Class`` of the base dynamics (with the true reward)."""
    horizon: int
    """Every episode is truncated at exactly this many steps and never terminates."""
    gamma: float
    """Discount of the HR-MDP (rl-zoo's tuned PPO value for the base task)."""
    action_type: Literal["discrete", "continuous"]
    may_end_early: bool
    """Whether the base game can end before the horizon (the task then continues in an absorbing
    state that repeats the last observation with reward 0)."""
    description: str
    base_kwargs: tuple[tuple[str, Any], ...] = ()
    ref_random_return: float | None = None
    """Mean true return of uniform random actions on the held-out seeds (None until measured)."""
    ref_expert_return: float | None = None
    """Mean true return of the bundled expert on the held-out seeds (None until measured)."""

    @property
    def mujoco(self) -> bool:
        """Whether the base dynamics are a MuJoCo simulation (25 demos by default, not 50)."""
        return self.base_entry_point.startswith(("seals.mujoco:", "ilkit.envs.swimmer:"))

    @property
    def id(self) -> str:
        return f"{NAMESPACE}/{self.name}-v{VERSION}"

    @property
    def dataset_id(self) -> str:
        """Minari id of the task's expert dataset X."""
        return f"{NAMESPACE}/{self.name}/expert-v0"

    @property
    def dataset_ids(self) -> tuple[str, ...]:
        """Minari ids of the task's datasets, one per tier (the expert's X first)."""
        return tuple(f"{NAMESPACE}/{self.name}/{tier}-v{VERSION}" for tier in TIERS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "horizon": self.horizon,
            "gamma": self.gamma,
            "action_type": self.action_type,
            "dataset_id": self.dataset_id,
            "dataset_ids": list(self.dataset_ids),
            "ref_random_return": self.ref_random_return,
            "ref_expert_return": self.ref_expert_return,
            "description": self.description,
        }


_CC = "gymnasium.envs.classic_control"
_LUNAR = "ilkit.envs.lunar:LunarLander"

_TASKS: tuple[TaskSpec, ...] = (
    TaskSpec(
        name="CartPole",
        base_entry_point=f"{_CC}.cartpole:CartPoleEnv",
        horizon=500,
        gamma=0.98,
        action_type="discrete",
        may_end_early=True,
        description="Balance a pole on a cart; absorbing once the pole falls or the cart leaves.",
    ),
    TaskSpec(
        name="MountainCar",
        base_entry_point=f"{_CC}.mountain_car:MountainCarEnv",
        horizon=200,
        gamma=0.99,
        action_type="discrete",
        may_end_early=True,
        description="Drive an underpowered car up a hill; absorbing at the goal.",
    ),
    TaskSpec(
        name="Pendulum",
        base_entry_point=f"{_CC}.pendulum:PendulumEnv",
        horizon=200,
        gamma=0.9,
        action_type="continuous",
        may_end_early=False,
        description="Swing a pendulum up and hold it upright.",
    ),
    TaskSpec(
        name="LunarLander",
        base_entry_point=_LUNAR,
        horizon=1000,
        gamma=0.999,
        action_type="discrete",
        may_end_early=True,
        description="Land on the pad with four discrete engine commands; absorbing after "
        "landing/crash.",
    ),
    TaskSpec(
        name="LunarLanderContinuous",
        base_entry_point=_LUNAR,
        horizon=1000,
        gamma=0.999,
        action_type="continuous",
        may_end_early=True,
        description="Land on the pad with two continuous throttles; absorbing after landing or "
        "crash.",
        base_kwargs=(("continuous", True),),
    ),
    *(
        TaskSpec(
            name=name,
            base_entry_point=f"seals.mujoco:{name}Env",
            horizon=1000,
            gamma=0.99,
            action_type="continuous",
            may_end_early=False,
            description=f"MuJoCo {name}: no early termination, position in the observation "
            "(seals).",
        )
        for name in ("HalfCheetah", "Hopper", "Walker2d", "Ant")
    ),
    TaskSpec(
        name="Swimmer",
        base_entry_point="ilkit.envs.swimmer:SwimmerEnv",
        horizon=1000,
        gamma=0.99,
        action_type="continuous",
        may_end_early=False,
        description="MuJoCo Swimmer: position in the observation (seals); gymnasium's model "
        "migrated to MuJoCo 3 (no collision option; nothing collides, as before).",
    ),
    TaskSpec(
        name="Humanoid",
        base_entry_point="seals.mujoco:HumanoidEnv",
        horizon=1000,
        gamma=0.99,
        action_type="continuous",
        may_end_early=False,
        description="MuJoCo Humanoid: no early termination, position in the observation "
        "(seals).",
    ),
    # The expert needs ~50 steps: 100 leaves an imitator room to be slower; γ = 0.99 makes the
    # effective horizon (1 / (1 - γ)) the episode's length.
    TaskSpec(
        name="Detour",
        base_entry_point="ilkit.envs.detour:Detour",
        horizon=100,
        gamma=0.99,
        action_type="continuous",
        may_end_early=True,
        description="Steer a point mass around a round obstacle (either side) to a goal; "
        "absorbing at the goal. The expert's side is random per episode: multimodal "
        "demonstrations.",
    ),
)

TASKS: dict[str, TaskSpec] = {t.id: t for t in _TASKS}


@cache
def _references() -> dict[str, dict[str, Any]]:
    path = resources.files("ilkit.envs").joinpath("references.json")
    return json.loads(path.read_text()) if path.is_file() else {}


def spec(env_id: str) -> TaskSpec:
    """The typed spec of a registered task, with its measured reference returns.

    Raises:
        UnknownEnvError: ``env_id`` is not an ilkit task; the message lists close matches.
    """
    module, _, env_id = env_id.rpartition(":")  # accept gym.make's "module:id" form too
    if module and env_id not in TASKS:  # as gym.make does: the module's import registers the id
        _import_registering_module(module)
    try:
        task = TASKS[env_id]
    except KeyError:
        raise UnknownEnvError(unknown_env_message(env_id)) from None
    refs = _references().get(env_id, {})
    return dataclasses.replace(
        task,
        ref_random_return=refs.get("random", {}).get("mean", task.ref_random_return),
        ref_expert_return=refs.get("expert", {}).get("mean", task.ref_expert_return),
    )


def add_task(task: TaskSpec) -> None:
    """Runtime registration (``ilkit.envs.tabular.register``): ``task`` joins :data:`TASKS`.

    Its reference returns, when given, stand unless ``references.json`` has the id. The
    caller registers the Gymnasium id and refuses an id that is already taken.
    """
    TASKS[task.id] = task


def _import_registering_module(module: str) -> None:
    import importlib

    try:
        importlib.import_module(module)
    except ImportError as err:
        raise UnknownEnvError(f"cannot import {module!r} (for its env ids): {err}") from None


def unknown_env_message(env_id: str) -> str:
    # Compare bare names ("CartPol" vs "CartPole"): the shared "ilkit/" and "-v0" would make
    # every id look close.
    names = {t.name.lower(): t.id for t in TASKS.values()}
    asked = env_id.split("/")[-1].rsplit("-v", 1)[0].lower()
    close = difflib.get_close_matches(asked, list(names), n=3, cutoff=0.6)
    close += [n for n in names if asked and asked in n and n not in close]
    matches = [names[n] for n in close[:3]]
    hint = f"; did you mean {', '.join(matches)}?" if matches else f"; known: {', '.join(TASKS)}"
    return f"unknown environment {env_id!r}{hint}"
