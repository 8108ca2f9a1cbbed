"""Gates of gated DAgger: who acts at each step, the learner or the expert.

In HG-DAgger (Kelly et al., 2019) the learner drives and a supervisor watches, taking over
when the learner goes wrong; only the takeover steps are labelled and aggregated. A gate is
that supervisor's decision, one per environment and step. It sees the observation, the
learner's action and the expert's action, and returns who is in control; once it has handed
control to the expert it keeps it for at least ``min_takeover`` steps and hands it back only
when the learner would do (nearly) what the expert does. A gate that reads the expert's action
at every step is a *simulated* supervisor: it is the bundled expert's judgement, not a cost
the run reports as labels (labels are the steps the expert controlled).

Gates declare themselves with :func:`gate` and are chosen by name (``--set gate=...``):

* ``deviation``: the learner's action is farther than ``tau`` from the expert's (discrete
  actions: differs). Deterministic: the same run reproduces.
* ``ensemble``: robot-gated (EnsembleDAgger, ThriftyDAgger): an ensemble of BC heads fit to the
  aggregate disagrees more than the ``1 - target_rate`` quantile of its disagreement on the
  states the learner has driven through so far. The expert is not consulted to take over.
* ``keyboard``: a real person: a pygame window shows the task, a held key takes over.

Light at import (numpy only); the ensemble imports torch when it is built.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from ilkit.algorithms.errors import ConfigError

GATES: dict[str, type[Gate]] = {}
"""Gate name -> class, in declaration order."""


def gate(name: str) -> Callable[[type[Gate]], type[Gate]]:
    """Class decorator: declare a gate under ``name``."""

    def declare(cls: type[Gate]) -> type[Gate]:
        if name in GATES:
            raise ConfigError(f"a gate named {name!r} is already declared")
        cls.name = name
        GATES[name] = cls
        return cls

    return declare


def make_gate(name: str, **kwargs: Any) -> Gate:
    """The gate ``name`` built with the run's settings (see :class:`Gate`)."""
    if name not in GATES:
        raise ConfigError(f"unknown gate {name!r}; choose one of {', '.join(GATES)}")
    return GATES[name](**kwargs)


def deviation(learner: np.ndarray, expert: np.ndarray, discrete: bool) -> np.ndarray:
    """Per-env distance between two batches of actions (discrete: 1.0 where they differ)."""
    if discrete:
        return (np.asarray(learner).reshape(len(learner)) != np.asarray(expert).reshape(
            len(expert))).astype(np.float64)  # fmt: skip
    diff = np.asarray(learner, dtype=np.float64) - np.asarray(expert, dtype=np.float64)
    return np.linalg.norm(diff.reshape(len(diff), -1), axis=1)


class Gate:
    """Who controls each of ``n_envs`` environments, step by step.

    Subclasses define :meth:`trigger` (per env: should the expert take over now?). The base
    class keeps the takeover state: a takeover lasts at least ``min_takeover`` steps and ends
    when the learner's action is within ``tau`` of the expert's (discrete: equal), as in
    HG-DAgger and ThriftyDAgger; every episode starts under the learner.
    """

    name = ""
    needs_render = False
    """Whether the gate shows env 0 (the run then uses one env with ``rgb_array`` render)."""

    def __init__(
        self,
        *,
        n_envs: int,
        discrete: bool,
        tau: float,
        min_takeover: int,
        **_: Any,
    ):
        self.n_envs = n_envs
        self.discrete = discrete
        self.tau = float(tau)
        self.min_takeover = int(min_takeover)
        self.in_control = np.zeros(n_envs, dtype=bool)
        self.held = np.zeros(n_envs, dtype=np.int64)
        self.interventions = 0
        """Switches from the learner to the expert."""

    def trigger(self, obs: np.ndarray, learner: np.ndarray, expert: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def decide(
        self, obs: np.ndarray, learner: np.ndarray, expert: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Who acts now (True: the expert) and the action that acts/labels where it does.

        ``obs`` is what the learner sees; ``learner``/``expert`` are both parties' actions.
        """
        close = deviation(learner, expert, self.discrete) <= self.tau
        release = self.in_control & (self.held >= self.min_takeover) & close
        self.in_control &= ~release
        free = ~self.in_control
        start = free & self.trigger(obs, learner, expert)
        self.interventions += int(start.sum())
        self.in_control |= start
        self.held = np.where(self.in_control, self.held + 1, 0)
        return self.in_control.copy(), np.asarray(expert)

    def episode_end(self, done: np.ndarray) -> None:
        """Episodes that ended start their next one under the learner."""
        self.in_control &= ~done
        self.held[done] = 0

    def fit(self, obs: np.ndarray, acts: np.ndarray) -> None:
        """Called with the aggregate (normalised obs, labels) after each retraining."""

    def close(self) -> None:
        """Release what the gate holds (a window)."""

    def stats(self) -> dict[str, Any]:
        return {}


@gate("deviation")
class DeviationGate(Gate):
    """Take over when the learner's action is farther than ``tau`` from the expert's."""

    def trigger(self, obs, learner, expert) -> np.ndarray:
        return deviation(learner, expert, self.discrete) > self.tau


@gate("ensemble")
class EnsembleGate(Gate):
    """Robot-gated: take over when an ensemble of BC heads disagrees unusually much.

    The heads are BC policies (the run's BC settings, different seeds, each on a bootstrap
    resample of the aggregate) refit after every round. Disagreement is the variance of their
    deterministic actions summed over action dimensions (discrete: of their action
    probabilities). The threshold is the ``1 - target_rate`` quantile of the disagreement seen
    on the last ``window`` learner-driven steps (ThriftyDAgger's running estimate): about a
    ``target_rate`` share of the learner's steps asks for help. The expert's action is read
    only to hand control back.
    """

    def __init__(
        self,
        *,
        build_head: Callable[[int], Any],
        n_heads: int,
        target_rate: float,
        window: int = 2000,
        warmup: int = 100,
        seed: int = 0,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.build_head = build_head
        self.n_heads = n_heads
        self.target_rate = float(target_rate)
        self.history: deque[float] = deque(maxlen=window)
        self.warmup = warmup
        self.rng = np.random.default_rng(seed)
        self.heads: list[Any] = []

    def fit(self, obs: np.ndarray, acts: np.ndarray) -> None:
        self.heads = []
        for k in range(self.n_heads):
            idx = self.rng.integers(0, len(obs), size=len(obs))
            self.heads.append(self.build_head(k)(obs[idx], acts[idx]))

    def disagreement(self, obs: np.ndarray) -> np.ndarray:
        import torch as th

        outs = []
        with th.no_grad():
            for policy in self.heads:
                t = th.as_tensor(np.asarray(obs, dtype=np.float32), device=policy.device)
                dist = policy.get_distribution(t)
                if self.discrete:
                    outs.append(dist.distribution.probs.cpu().numpy())
                else:
                    outs.append(dist.mode().cpu().numpy().reshape(len(obs), -1))
        return np.stack(outs).var(axis=0).sum(axis=1)

    def threshold(self) -> float:
        if len(self.history) < self.warmup:
            return np.inf
        return float(np.quantile(np.asarray(self.history), 1.0 - self.target_rate))

    def trigger(self, obs, learner, expert) -> np.ndarray:
        if not self.heads:
            return np.zeros(len(obs), dtype=bool)
        d = self.disagreement(obs)
        over = d > self.threshold()
        free = ~self.in_control
        self.history.extend(d[free].tolist())
        return over

    def stats(self) -> dict[str, Any]:
        t = self.threshold()
        return {"ensemble_threshold": None if not np.isfinite(t) else t}


KEYMAPS: dict[str, dict[str, int]] = {
    "CartPole": {"LEFT": 0, "RIGHT": 1},
    "MountainCar": {"LEFT": 0, "DOWN": 1, "RIGHT": 2},
    "LunarLander": {"DOWN": 0, "LEFT": 1, "UP": 2, "RIGHT": 3},
}
"""Arrow keys -> actions of the discrete tasks; other discrete tasks (the gridworlds: up,
down, left, right) use :data:`DEFAULT_KEYMAP` where it fits their actions."""
DEFAULT_KEYMAP = {"UP": 0, "DOWN": 1, "LEFT": 2, "RIGHT": 3}


@gate("keyboard")
class KeyboardGate(Gate):
    """A person at the keyboard, watching env 0 in a pygame window (one env).

    Discrete tasks: holding an arrow key hands control to the person, whose key is the action
    and the label (:data:`KEYMAPS`; the last key pressed of those held wins). Continuous
    tasks: holding any key (e.g. space) hands control to the bundled expert, whose action is
    the label: the person gates, the expert labels. Releasing every key hands control back.
    The window shows the task's ``rgb_array`` frame at ``fps`` steps per second at most.
    """

    needs_render = True

    def __init__(self, *, venv: Any, task_name: str = "", fps: int = 30, **kwargs: Any):
        super().__init__(**kwargs)
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # stdout carries --json
        import pygame

        self.pygame = pygame
        self.venv = venv
        self.fps = fps
        names = KEYMAPS.get(task_name, DEFAULT_KEYMAP)
        self.keymap = {getattr(pygame, f"K_{k}"): a for k, a in names.items()}
        self.keys_down: list[int] = []
        """Keys held now, in the order pressed."""
        self.window = None
        self.clock = None
        self.title = f"ilkit {task_name}: " + (
            "hold an arrow key to drive" if self.discrete else "hold a key: the expert drives"
        )

    def _show(self) -> None:
        pg = self.pygame
        frame = np.asarray(self.venv.get_images()[0])
        if self.window is None:
            pg.display.init()
            self.window = pg.display.set_mode((frame.shape[1], frame.shape[0]))
            pg.display.set_caption(self.title)
            self.clock = pg.time.Clock()
        pg.surfarray.blit_array(self.window, frame.swapaxes(0, 1))
        pg.display.flip()
        for event in pg.event.get():
            if event.type == pg.KEYDOWN and event.key not in self.keys_down:
                self.keys_down.append(event.key)
            elif event.type == pg.KEYUP and event.key in self.keys_down:
                self.keys_down.remove(event.key)
            elif event.type == pg.QUIT:
                raise ConfigError("the keyboard gate's window was closed: run stopped")
        self.clock.tick(self.fps)

    def decide(self, obs, learner, expert) -> tuple[np.ndarray, np.ndarray]:
        self._show()
        if self.discrete:
            keys = [k for k in self.keys_down if k in self.keymap]
            control = bool(keys)
            label = np.array([self.keymap[keys[-1]] if keys else 0], dtype=np.int64)
        else:
            control = bool(self.keys_down)
            label = np.asarray(expert)
        self.interventions += int(control and not self.in_control[0])
        self.in_control[:] = control
        return self.in_control.copy(), label

    def episode_end(self, done: np.ndarray) -> None:
        """Control stays with whoever holds a key, across episodes."""

    def close(self) -> None:
        if self.window is not None:
            self.pygame.display.quit()
            self.window = None
