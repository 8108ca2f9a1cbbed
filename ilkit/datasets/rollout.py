"""Expert rollouts: N envs in lock-step, one batched ``predict`` per step, W worker processes.

Determinism. Each episode is a pure function of (task, policy, its seed): the envs are seeded
per episode, and the policy always sees batches of exactly :data:`PREDICT_ROWS` observations
(padded, or split, to that size). Matrix-multiply kernels pick different blockings for
different batch sizes, so the same observation can give a last-bit different action in a batch
of 7 than in a batch of 64; a fixed batch shape removes that, and with it any dependence on the
number of envs or workers. (A policy that samples from a shared random generator, such as
``RandomPolicy``, is not a function of the observation and is not covered.)
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
import queue
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ilkit.datasets.errors import DatasetError
from ilkit.envs.tasks import TaskSpec, spec
from ilkit.errors import IlkitError

PREDICT_ROWS = 64
"""Rows of every batch the policy sees (see the module docstring)."""
PROGRESS_EVERY = 50
"""A worker reports progress every this many time steps of a lock-step group."""

ProgressFn = Callable[[int], None]


@dataclasses.dataclass
class EpisodeArrays:
    """One episode: ``horizon + 1`` observations, ``horizon`` actions and rewards."""

    seed: int
    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray


def make_env(task: TaskSpec, with_rewards: bool):
    """The public task (reward hidden), or its scorer twin when true rewards are recorded.

    Built directly rather than through ``gym.make``: the same dynamics without the checker and
    order-enforcing wrappers, which cost a few microseconds per step and add nothing here.
    """
    if with_rewards:
        from ilkit.evaluation.scoring import make_scoring_env

        return make_scoring_env(task.id)
    from ilkit.envs.hidden import HiddenRewardEnv

    return HiddenRewardEnv(task.id)


Predictor = Callable[[np.ndarray], np.ndarray]


def batch_predictor(policy: Any) -> Predictor:
    """``obs -> deterministic actions`` with exactly the numbers of ``policy.predict``.

    For an SB3 policy module (bare, inside an SB3 model, or inside an ilkit ``ArtifactPolicy``)
    it runs the steps of SB3's ``BasePolicy.predict`` (tensor, ``_predict`` under no_grad,
    unscale or clip to the action space) without the per-call ``set_training_mode``, a walk
    over every submodule that costs more than the MLP itself on a batch of 64. Anything else
    is called through its own ``predict``.
    """
    import torch as th
    from gymnasium import spaces
    from stable_baselines3.common.policies import BasePolicy

    from ilkit.policies import ArtifactPolicy

    module, normalize = None, None
    if isinstance(policy, ArtifactPolicy) and isinstance(policy.module, BasePolicy):
        module, normalize = policy.module, policy.normalize_obs
    elif isinstance(policy, BasePolicy):
        module = policy
    elif isinstance(getattr(policy, "policy", None), BasePolicy):  # an SB3 model (PPO, SAC ...)
        module = policy.policy
    if module is None or not isinstance(module.observation_space, spaces.Box):
        return lambda obs: np.asarray(policy.predict(obs, deterministic=True)[0])
    module.set_training_mode(False)
    act_space = module.action_space

    def predict(obs: np.ndarray) -> np.ndarray:
        if normalize is not None:
            obs = normalize(obs)
        with th.no_grad():
            actions = module._predict(th.as_tensor(obs, device=module.device), deterministic=True)
        actions = actions.cpu().numpy().reshape((-1, *act_space.shape))
        if isinstance(act_space, spaces.Box):
            if module.squash_output:
                return module.unscale_action(actions)
            return np.clip(actions, act_space.low, act_space.high)
        return actions

    return predict


def predict_fixed(predict: Predictor, obs: np.ndarray) -> np.ndarray:
    """Actions for ``obs``, calling ``predict`` on batches of exactly PREDICT_ROWS rows."""
    n = len(obs)
    pad = (-n) % PREDICT_ROWS
    if pad:
        obs = np.concatenate([obs, np.repeat(obs[-1:], pad, axis=0)])
    parts = [predict(obs[i : i + PREDICT_ROWS]) for i in range(0, len(obs), PREDICT_ROWS)]
    return np.concatenate(parts)[:n]


def collect(
    env_id: str,
    seeds: Sequence[int],
    policy: Any,
    *,
    n_envs: int,
    with_rewards: bool = False,
    progress: ProgressFn | None = None,
) -> list[EpisodeArrays]:
    """Roll ``policy`` out for one episode per seed, ``n_envs`` episodes in lock-step."""
    task = spec(env_id)
    horizon = task.horizon
    envs = [make_env(task, with_rewards) for _ in range(max(1, min(n_envs, len(seeds))))]
    obs_space, act_space = envs[0].observation_space, envs[0].action_space
    predict = batch_predictor(policy)
    episodes: list[EpisodeArrays] = []
    try:
        for start in range(0, len(seeds), len(envs)):
            group = [int(s) for s in seeds[start : start + len(envs)]]
            active = envs[: len(group)]
            k = len(group)
            obs = np.empty((k, horizon + 1, *obs_space.shape), dtype=obs_space.dtype)
            acts = np.empty((k, horizon, *act_space.shape), dtype=act_space.dtype)
            rews = np.zeros((k, horizon), dtype=np.float64)
            for i, (env, s) in enumerate(zip(active, group, strict=True)):
                obs[i, 0] = env.reset(seed=s)[0]
            for t in range(horizon):
                actions = predict_fixed(predict, obs[:, t])
                if actions.shape[1:] != act_space.shape:
                    raise DatasetError(
                        f"the policy returned actions of shape {actions.shape[1:]}; "
                        f"{task.id} expects {act_space.shape}"
                    )
                for i, env in enumerate(active):  # the env validates each action as given
                    o, r, _, _, _ = env.step(actions[i])
                    obs[i, t + 1] = o
                    rews[i, t] = r
                acts[:, t] = actions  # stored in the action space's dtype
                if (t + 1) % PROGRESS_EVERY == 0 or t + 1 == horizon:
                    _check_parent_alive()
                    if progress is not None:
                        progress(k * ((t % PROGRESS_EVERY) + 1))
            episodes.extend(EpisodeArrays(s, obs[i], acts[i], rews[i]) for i, s in enumerate(group))
    finally:
        for env in envs:
            env.close()
    return episodes


# --- worker processes ---------------------------------------------------------------------

_PARENT_PID: int | None = None


def _check_parent_alive() -> None:
    """A worker whose parent was killed (kill -9) stops instead of running on as an orphan."""
    if _PARENT_PID is not None and os.getppid() != _PARENT_PID:
        os._exit(1)


def _worker(
    rank: int,
    out: mp.Queue,
    parent_pid: int,
    env_id: str,
    seeds: list[int],
    policy: Any,
    n_envs: int,
    with_rewards: bool,
) -> None:
    global _PARENT_PID
    _PARENT_PID = parent_pid
    try:
        import torch

        torch.set_num_threads(1)  # one core per worker; W workers share W cores
        episodes = collect(
            env_id,
            seeds,
            policy,
            n_envs=n_envs,
            with_rewards=with_rewards,
            progress=lambda n: out.put(("progress", rank, n)),
        )
        out.put(("done", rank, episodes))
    except IlkitError as err:
        out.put(("error", rank, str(err)))
    except BaseException as err:  # noqa: BLE001  (report, then let the parent raise)
        out.put(("error", rank, f"worker {rank} failed: {type(err).__name__}: {err}"))


def _start_method() -> str:
    """fork: workers start at once and inherit the policy; spawn once CUDA is initialised."""
    import torch

    if "fork" in mp.get_all_start_methods() and not torch.cuda.is_initialized():
        return "fork"
    return "spawn"


def collect_parallel(
    env_id: str,
    seeds: Sequence[int],
    policy: Any,
    *,
    workers: int,
    n_envs: int,
    with_rewards: bool = False,
    progress: ProgressFn | None = None,
) -> list[EpisodeArrays]:
    """:func:`collect` with the episodes split into ``workers`` contiguous chunks."""
    seeds = [int(s) for s in seeds]
    workers = max(1, min(workers, len(seeds)))
    if workers == 1:
        return collect(
            env_id, seeds, policy, n_envs=n_envs, with_rewards=with_rewards, progress=progress
        )
    chunks = [list(c) for c in np.array_split(np.asarray(seeds, dtype=np.int64), workers)]
    ctx = mp.get_context(_start_method())
    out: mp.Queue = ctx.Queue()
    procs = [
        ctx.Process(
            target=_worker,
            args=(r, out, os.getpid(), env_id, chunk, policy, n_envs, with_rewards),
            daemon=True,
        )
        for r, chunk in enumerate(chunks)
    ]
    results: dict[int, list[EpisodeArrays]] = {}
    try:
        for p in procs:
            p.start()
        while len(results) < workers:
            try:
                kind, rank, payload = out.get(timeout=1.0)
            except queue.Empty:
                dead = [p for r, p in enumerate(procs) if r not in results and not p.is_alive()]
                if dead and out.empty():
                    raise DatasetError(
                        f"a generation worker died (exit code {dead[0].exitcode})"
                    ) from None
                continue
            if kind == "progress" and progress is not None:
                progress(payload)
            elif kind == "done":
                results[rank] = payload
            elif kind == "error":
                raise DatasetError(payload)
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)
        out.close()
    return [ep for r in range(workers) for ep in results[r]]
