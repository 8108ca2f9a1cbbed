"""The board from the stored cells, in three steps: statistics (per entry and task, from the
cells), ranking (scores, ranks, P(> next)), serialisation (:class:`~ilkit.leaderboard.records.
Board`). It reads only cells and submissions, so re-rendering a finished board gives the same
board: every bootstrap is seeded (:mod:`ilkit.leaderboard.stats`). The reward track
(:func:`reward_track`) is a second table over the submissions that hold rewards: exact scores,
one cell per task, ranked by EPIC."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from ilkit.envs.tabular import is_tabular
from ilkit.envs.tasks import spec
from ilkit.leaderboard.config import BoardConfig
from ilkit.leaderboard.records import (
    Board,
    Entry,
    Estimate,
    Failure,
    RewardEntry,
    RewardTrack,
    TaskInfo,
    TaskStats,
)
from ilkit.leaderboard.stats import (
    bootstrap_mean_ci,
    iqm_with_ci,
    mean_with_ci,
    probability_of_improvement,
)
from ilkit.leaderboard.store import CellStore
from ilkit.leaderboard.submissions import Submission
from ilkit.policies.submission import TRAINING_FIELDS

STATISTICS = {
    "score": "Score: the entry's mean normalized score, (return - random) / (expert - random), "
    "over all its (task, seed, episode) cells; a failed cell counts as the random policy's 0.",
    "ci": "95% CI: a seeded stratified bootstrap of that mean (cells resampled within each "
    "task, percentile interval): the same cells always give the same interval.",
    "p_improvement": "P(> next): rliable's probability of improvement, the chance that a cell "
    "of this entry beats a cell of the next-ranked entry on the same task, averaged over tasks.",
    "iqm_runs": "IQM over runs: for an entry that submits several training runs (runs/), "
    "rliable's interquartile mean of the per-run scores, with its stratified bootstrap CI.",
    "track": "Track: what the entry says it consumed (offline; demos, env steps, expert queries, "
    "interventions, preference queries), each a different resource, labelled by the costliest "
    "kind it used (preferences, interventions, queries, online); 'declared' means ilkit did not "
    "produce the run and nobody checked it.",
    "failures": "Failed entries rank like any other: a submission that cannot be loaded, or is "
    "refused, scores 0 on every cell; references are shown, never ranked.",
}


REWARD_STATISTICS = {
    "rank": "Rewards are ranked by their mean EPIC distance to the hidden reward over the "
    "track's tasks, lower first (0: equal up to potential shaping and positive scale; 0.707: "
    "uncorrelated; 1: negated); a task without a scored reward counts as 1, the maximum. Ties "
    "are broken by the mean normalized retrained return, higher first; entries equal on both "
    "share a rank.",
    "epic": "EPIC (Gleave et al., ICLR 2021): exact, both rewards canonicalised under uniform "
    "states and actions, then the Pearson distance sqrt((1 - rho) / 2).",
    "return": "Retrained return: the true normalized return (0 random, 1 expert) of the policy "
    "re-optimised from scratch on the submitted reward by exact value iteration in the task's "
    "true dynamics (the expert's own procedure); a task without a scored reward counts as 0.",
    "feature_gap": "Feature gap: the L1 distance between that policy's discounted feature "
    "expectations and the expert's.",
    "sandbox": "Each reward is loaded (weights only) and scored in its own sandboxed worker; "
    "only these scores leave it, never the hidden reward. The track covers the board's "
    "tabular tasks; a reward for another task is a failed cell.",
}


@dataclasses.dataclass
class _Scored:
    """An entry with the matrices its statistics come from."""

    entry: Entry
    cells: np.ndarray
    """``(runs x seeds, tasks)`` normalized cell scores, failures at 0."""
    per_run: np.ndarray
    """``(runs, tasks)`` mean normalized score per run."""
    evaluated: int
    """Cells that were evaluated successfully."""


def build_board(store: CellStore, subs: list[Submission], config: BoardConfig) -> Board:
    """Statistics and ranks from the stored cells of the current entries."""
    tasks = [
        TaskInfo(env_id, spec(env_id).horizon, spec(env_id).ref_random_return,
                 spec(env_id).ref_expert_return)
        for env_id in config.envs
    ]  # fmt: skip
    normalized = all(t.has_refs for t in tasks)
    scored = [
        statistics(store, sub, tasks, config, normalized) for sub in subs if sub.in_policy_track
    ]
    if normalized:
        rank(scored)
    entries = sorted(
        (s.entry for s in scored),
        key=lambda e: (
            e.reference,
            e.rank is None,
            e.rank or 0,
            -(e.score.point if e.score else -np.inf),
            e.name,
        ),
    )
    basis = (
        "mean normalized score over all (task, seed, episode) cells, failures counted as 0"
        if normalized
        else "none: "
        + ", ".join(t.env_id for t in tasks if not t.has_refs)
        + " has no reference returns (run `ilkit expert references`)"
    )
    return Board(
        generated_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        ilkit_version=_version(),
        split={**config.split.to_dict(), "description": config.split.description},
        config=config.to_json(),
        rank_basis=basis,
        statistics=STATISTICS,
        tasks=tasks,
        entries=entries,
        rewards=reward_track(store, subs, config),
    )


# --- the reward track ------------------------------------------------------------------------


def reward_tasks(config: BoardConfig) -> list[str]:
    """The reward track's tasks (its columns, what it ranks on): the board's tabular ones."""
    return [e for e in config.envs if is_tabular(e)]


def reward_cells(sub: Submission, config: BoardConfig) -> list[str]:
    """The tasks ``sub`` gets a reward cell on: the track's, and any other of the board's that
    it submitted a reward for (a failed cell that says why; not a column)."""
    tasks = reward_tasks(config)
    return tasks + [e for e in config.envs if e in sub.rewards and e not in tasks]


def reward_track(store: CellStore, subs: list[Submission], config: BoardConfig):
    """The reward track's rows, ranked (see :data:`REWARD_STATISTICS`); None when no
    submission holds a reward."""
    if not any(sub.rewards for sub in subs):
        return None
    tasks = reward_tasks(config)
    entries = []
    for sub in (s for s in subs if s.in_reward_track):
        scores, kinds, failures = {}, {}, []
        for env_id in reward_cells(sub, config):
            c = store.get_reward(sub.name, env_id)
            if sub.error is None and c is not None and c.digest == sub.digest and c.ok:
                scores[env_id], kinds[env_id] = c.scores, c.kind or ""
                continue
            if sub.error is not None:
                kind, reason = "rejected", sub.error
            else:
                kind = (c.failure_kind if c else None) or "not evaluated"
                reason = (c.reason if c else None) or "not evaluated"
            failures.append(Failure(env_id, "", 0, kind, reason))
        epic = float(np.mean([scores[t].epic if t in scores else 1.0 for t in tasks] or [1.0]))
        returns = [scores[t].normalized_return if t in scores else 0.0 for t in tasks]
        ret = None if not returns or None in returns else float(np.mean(returns))
        entries.append(
            RewardEntry(sub.name, sub.digest, scores, kinds, failures, epic, ret, sub.error)
        )
    entries.sort(key=_reward_key)
    for position, e in enumerate(entries, start=1):
        prev = entries[position - 2] if position > 1 else None
        same = prev is not None and _reward_key(prev)[:2] == _reward_key(e)[:2]
        e.rank = prev.rank if same else position
    basis = (
        "mean EPIC over the track's tasks (lower is better; a task without a scored reward "
        "counts as 1), ties broken by mean normalized retrained return (higher is better)"
    )
    return RewardTrack(tasks, basis, REWARD_STATISTICS, entries)


def _reward_key(e: RewardEntry) -> tuple[float, float, str]:
    return (e.epic, -(e.normalized_return if e.normalized_return is not None else -np.inf), e.name)


# --- statistics ------------------------------------------------------------------------------


def statistics(
    store: CellStore, sub: Submission, tasks: list[TaskInfo], config: BoardConfig, normalized: bool
) -> _Scored:
    """Per-task returns and normalized scores of one entry; a failed cell scores 0 (random)."""
    runs = list(sub.runs) or [""]
    n = config.seeds
    cells = np.zeros((len(runs) * n, len(tasks)))
    per_run = np.zeros((len(runs), len(tasks)))
    failures: list[Failure] = []
    stats: dict[str, TaskStats] = {}
    trainings: list[dict[str, Any]] = []
    evaluated = 0
    for t, task in enumerate(tasks):
        returns: list[float] = []
        failed = 0
        for r, run in enumerate(runs):
            for k in range(n):
                c = store.get(sub.name, task.env_id, k, run)
                if config.matches(c, sub.digest) and c.ok:
                    returns += c.returns
                    evaluated += 1
                    if normalized:
                        cells[r * n + k, t] = task.normalize(c.mean)
                    continue
                failed += 1
                kind = (c.failure_kind if c else None) or "not evaluated"
                reason = (c.reason if c else None) or "not evaluated"
                failures.append(Failure(task.env_id, run, k, kind, reason))
            first = store.get(sub.name, task.env_id, 0, run)
            if first is not None and first.training is not None:
                trainings.append(first.training)  # tasks without a policy say nothing
            per_run[r, t] = cells[r * n : (r + 1) * n, t].mean()
        if returns:
            mean, lo, hi = bootstrap_mean_ci(returns)
            stats[task.env_id] = TaskStats(
                failed, len(returns), mean, (lo, hi), float(np.std(returns)),
                float(cells[:, t].mean()) if normalized else None,
            )  # fmt: skip
        else:
            normalized_score = float(cells[:, t].mean()) if normalized else None
            stats[task.env_id] = TaskStats(failed, 0, normalized=normalized_score)
    source = (
        "reference" if sub.reference else ("ilkit" if sub.name in config.verified else "declared")
    )
    entry = Entry(
        name=sub.name,
        digest=sub.digest,
        reference=sub.reference,
        runs=[r for r in runs if r],
        tasks=stats,
        failures=failures,
        complete=not failures,
        track={**track(trainings), "source": source},
        error=sub.error,
    )
    return _Scored(entry, cells, per_run, evaluated)


def track(trainings: list[dict[str, Any]]) -> dict[str, Any]:
    """What an entry used, over its policies; None where any policy does not say."""
    out: dict[str, Any] = {}
    for key in TRAINING_FIELDS:
        values = [t.get(key) for t in trainings]
        if not values or any(v is None for v in values):
            out[key] = None
        elif key == "offline":
            out[key] = (
                all(v is True for v in values) if all(isinstance(v, bool) for v in values) else None
            )
        else:
            ok = all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values)
            out[key] = sum(values) if ok else None
    return out


# --- ranking ---------------------------------------------------------------------------------


def rank(scored: list[_Scored]) -> None:
    """Scores with CIs for every entry; ranks for the submissions (references are shown, never
    ranked), ties sharing a rank; P(> next) between adjacent ranks. A submission that failed
    to load or was refused is ranked like any other, on its cells' 0 scores."""
    by_name = {s.entry.name: s for s in scored}
    estimates = mean_with_ci({s.entry.name: s.cells for s in scored})
    iqms = iqm_with_ci({s.entry.name: s.per_run for s in scored if len(s.per_run) > 1})
    for s in scored:
        point, lo, hi = estimates[s.entry.name]
        s.entry.score = Estimate(point, (lo, hi))
        if s.entry.name in iqms:
            point, lo, hi = iqms[s.entry.name]
            s.entry.iqm_runs = Estimate(point, (lo, hi), runs=len(s.per_run))
    ranked = sorted(
        (s.entry for s in scored if not s.entry.reference),
        key=lambda e: (-e.score.point, e.name),
    )
    previous: Entry | None = None
    for position, e in enumerate(ranked, start=1):
        same = previous is not None and e.score.point == previous.score.point
        e.rank = previous.rank if same else position
        previous = e
    for better, worse in zip(ranked, ranked[1:], strict=False):
        a, b = by_name[better.name], by_name[worse.name]
        if a.evaluated or b.evaluated:  # two entries with no evaluated cell compare nothing
            better.p_improvement_next = probability_of_improvement(a.cells, b.cells)


def _version() -> str:
    import ilkit

    return ilkit.__version__
