"""A synthetic preference oracle: compares two trajectory fragments by their hidden return.

Preference learning (Christiano et al., 2017) asks a person which of two short fragments of the
agent's behaviour is better. The synthetic stand-in for that person reads the true reward, so it
lives here, in the room that scores rewards, and it answers only "which fragment won": a
learner never receives a return, a reward or a probability from it.

How it sees the true reward: the learner trains in the oracle's environments
(:meth:`PreferenceOracle.env_fn`), the scorer's env of the task (the same observations as
``gym.make(env_id)`` for the same seeds and actions) with its reward replaced by ``0.0`` before
it leaves, as in every public ilkit env. The oracle keeps the true reward of every step it saw,
per environment, in order: a fragment is ``(env index, first step, length)`` in that env's
step count, which the learner knows without seeing any reward.

Answers follow imitation's ``SyntheticGatherer``: with ``temperature == 0`` the higher return
wins (a tie is 0.5); with ``temperature > 0`` the answer is drawn from Bradley–Terry,
P(first wins) = 1 / (1 + exp((R2 - R1) / temperature)), a noisy person.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from ilkit.errors import IlkitError

Fragment = tuple[int, int, int]
"""(env index, first step in that env's step count, length)."""


class QueryBudgetError(IlkitError):
    """A learner asked for more comparisons than its budget allows."""


class _Witness(gym.Wrapper):
    """The scorer's env whose true reward goes to the oracle's ledger, 0.0 to the learner."""

    def __init__(self, env: gym.Env, ledger: list[float]):
        super().__init__(env)
        self._ledger = ledger

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._ledger.append(float(reward))
        return obs, 0.0, terminated, truncated, info


class PreferenceOracle:
    """Answers fragment comparisons from the hidden reward and counts them.

    Args:
        env_id: the task.
        budget: the most comparisons it answers (None: no limit).
        temperature: Bradley–Terry temperature of the answers (0: always the better one).
        seed: seeds the noisy answers.
    """

    def __init__(
        self, env_id: str, *, budget: int | None = None, temperature: float = 0.0, seed: int = 0
    ):
        self.env_id = env_id
        self.budget = budget
        self.temperature = float(temperature)
        self.queries = 0
        self._rng = np.random.default_rng(seed)
        self._ledgers: list[list[float]] = []

    def env_fn(self, **kwargs: Any) -> Callable[[], gym.Env]:
        """A factory of one training env the oracle watches (its index: the call order)."""
        ledger: list[float] = []
        self._ledgers.append(ledger)

        def make() -> gym.Env:
            from ilkit.envs.scoring import make_scoring_env

            return _Witness(make_scoring_env(self.env_id, **kwargs), ledger)

        return make

    @property
    def remaining(self) -> int | None:
        return None if self.budget is None else self.budget - self.queries

    def _return(self, fragment: Fragment) -> float:
        env, start, length = (int(x) for x in fragment)
        ledger = self._ledgers[env]
        if start < 0 or length <= 0 or start + length > len(ledger):
            raise IlkitError(f"fragment {fragment} is not a stretch of steps env {env} took")
        return float(np.sum(ledger[start : start + length]))

    def compare(self, pairs: Sequence[tuple[Fragment, Fragment]]) -> np.ndarray:
        """For each pair, 1.0 if the first fragment won, 0.0 if the second (0.5: a tie, only
        with ``temperature == 0``); float32, as imitation's ``PreferenceDataset`` wants.

        Raises:
            QueryBudgetError: the pairs would exceed the budget (none is answered).
        """
        if self.budget is not None and self.queries + len(pairs) > self.budget:
            raise QueryBudgetError(
                f"{len(pairs)} comparisons asked, {self.remaining} left of {self.budget}"
            )
        diff = np.array([self._return(a) - self._return(b) for a, b in pairs], dtype=np.float64)
        self.queries += len(pairs)
        if self.temperature == 0:
            return ((np.sign(diff) + 1) / 2).astype(np.float32)
        p_first = 1.0 / (1.0 + np.exp(np.clip(-diff / self.temperature, -50, 50)))
        return self._rng.binomial(1, p_first).astype(np.float32)
