"""Expert rollouts: N envs in lock-step, one batched ``predict`` per step, W worker processes.

Determinism. Each episode is a pure function of (task, policy, its seed): the envs are seeded
per episode, and the policy always sees batches of exactly :data:`PREDICT_ROWS` observations
(padded, or split, to that size). Matrix-multiply kernels pick different blockings for
different batch sizes, so the same observation can give a last-bit different action in a batch
of 7 than in a batch of 64; a fixed batch shape removes that, and with it any dependence on the
number of envs or workers. (A policy that samples from a shared random generator, such as
``RandomPolicy``, is not a function of the observation and is not covered.)

Streaming. :func:`rollouts` yields the episodes in seed order while they are produced, so the
caller writes them as they come: with W workers the episodes are dealt in batches of at most
:data:`BATCH_EPISODES`, round-robin, so the workers finish them roughly in order and the
parent's write overlaps the rollouts instead of following them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import multiprocessing as mp
import os
import queue
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ilkit.datasets.errors import DatasetError
from ilkit.envs.dynamics import ActionValidator, TaskDynamics
from ilkit.envs.tasks import spec
from ilkit.errors import IlkitError

PREDICT_ROWS = 64
"""Rows of every batch the policy sees (see the module docstring)."""
PROGRESS_EVERY = 50
"""A worker reports progress every this many time steps of a lock-step group."""
BATCH_EPISODES = 16
"""Most episodes dealt to a worker at a time (a worker steps several of its batches in
lock-step, up to ``n_envs`` episodes)."""

ProgressFn = Callable[[int], None]


@dataclasses.dataclass
class EpisodeArrays:
    """One episode: ``horizon + 1`` observations, ``horizon`` actions and rewards."""

    seed: int
    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray


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
    device = module.device  # a walk over the parameters: once, not per call
    mode = _actor_critic_mode(module) or (lambda x: module._predict(x, deterministic=True))

    def predict(obs: np.ndarray) -> np.ndarray:
        if normalize is not None:
            obs = normalize(obs)
        with th.no_grad():
            actions = mode(th.as_tensor(obs, device=device))
        actions = actions.cpu().numpy().reshape((-1, *act_space.shape))
        if isinstance(act_space, spaces.Box):
            if module.squash_output:
                return module.unscale_action(actions)
            return np.clip(actions, act_space.low, act_space.high)
        return actions

    return predict


def _actor_critic_mode(module: Any) -> Callable | None:
    """The deterministic action of a stock SB3 ``ActorCriticPolicy`` with a categorical or
    diagonal-Gaussian head, computed as its distribution's ``mode`` does, without building the
    distribution objects (argument checks and all) on every call; None for anything else."""
    import torch as th
    from stable_baselines3.common.distributions import (
        CategoricalDistribution,
        DiagGaussianDistribution,
    )
    from stable_baselines3.common.policies import ActorCriticPolicy, BaseModel

    cls = type(module)
    stock = isinstance(module, ActorCriticPolicy) and all(
        getattr(cls, name) is getattr(ActorCriticPolicy, name)
        for name in ("_predict", "get_distribution", "_get_action_dist_from_latent")
    )
    head = type(getattr(module, "action_dist", None))
    if not stock or head not in (CategoricalDistribution, DiagGaussianDistribution):
        return None

    def mode(obs: Any) -> Any:
        # ActorCriticPolicy.get_distribution, then the distribution's mode
        features = BaseModel.extract_features(module, obs, module.pi_features_extractor)
        out = module.action_net(module.mlp_extractor.forward_actor(features))
        if head is DiagGaussianDistribution:
            return out  # Normal(mean, std).mean
        logits = out - out.logsumexp(dim=-1, keepdim=True)  # torch Categorical(logits=out)
        return th.argmax(th.softmax(logits, dim=-1), dim=1)  # mode: argmax of its probs

    return mode


def predict_fixed(predict: Predictor, obs: np.ndarray) -> np.ndarray:
    """Actions for ``obs``, calling ``predict`` on batches of exactly PREDICT_ROWS rows."""
    n = len(obs)
    pad = (-n) % PREDICT_ROWS
    if pad:
        obs = np.concatenate([obs, np.repeat(obs[-1:], pad, axis=0)])
    parts = [predict(obs[i : i + PREDICT_ROWS]) for i in range(0, len(obs), PREDICT_ROWS)]
    return np.concatenate(parts)[:n]


def iter_episodes(
    env_id: str,
    seeds: Sequence[int],
    policy: Any,
    *,
    n_envs: int,
    with_rewards: bool = False,
    progress: ProgressFn | None = None,
) -> Iterator[EpisodeArrays]:
    """Roll ``policy`` out for one episode per seed, ``n_envs`` in lock-step; yields in order.

    The envs are the task's :class:`TaskDynamics`, which the public env and the scorer both
    drive, stepped on the lean path: each step's actions are validated as one batch, with the
    env's rules and errors, and observations are copied once, into the episode arrays.
    """
    task = spec(env_id)
    horizon = task.horizon
    seeds = [int(s) for s in seeds]
    envs = [TaskDynamics(task) for _ in range(max(1, min(n_envs, len(seeds))))]
    obs_space, act_space = envs[0].observation_space, envs[0].action_space
    validator = ActionValidator(act_space)
    predict = batch_predictor(policy)
    try:
        for start in range(0, len(seeds), len(envs)):
            group = seeds[start : start + len(envs)]
            active = envs[: len(group)]
            k = len(group)
            obs = np.empty((k, horizon + 1, *obs_space.shape), dtype=obs_space.dtype)
            acts = np.empty((k, horizon, *act_space.shape), dtype=act_space.dtype)
            rews = np.zeros((k, horizon), dtype=np.float64)
            for i, (env, s) in enumerate(zip(active, group, strict=True)):
                obs[i, 0] = env.reset(seed=s)
            for t in range(horizon):
                actions = predict_fixed(predict, obs[:, t])
                if actions.shape[1:] != act_space.shape:
                    raise DatasetError(
                        f"the policy returned actions of shape {actions.shape[1:]}; "
                        f"{task.id} expects {act_space.shape}"
                    )
                valid = validator.batch(actions)  # the raw actions, as the env would check them
                nxt = obs[:, t + 1]
                if with_rewards:
                    rew = rews[:, t]
                    for i, env in enumerate(active):
                        nxt[i], rew[i] = env.step_unchecked(valid[i])
                else:
                    for i, env in enumerate(active):
                        nxt[i] = env.step_unchecked(valid[i], reward=False)[0]
                acts[:, t] = actions  # stored in the action space's dtype
                if (t + 1) % PROGRESS_EVERY == 0 or t + 1 == horizon:
                    _check_parent_alive()
                    if progress is not None:
                        progress(k * ((t % PROGRESS_EVERY) + 1))
            for i, s in enumerate(group):
                yield EpisodeArrays(s, obs[i], acts[i], rews[i])
    finally:
        for env in envs:
            env.close()


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
    jobs: list[tuple[int, list[int]]],
    policy: Any,
    n_envs: int,
    with_rewards: bool,
) -> None:
    """Roll out the batches ``jobs`` (index, seeds) in order; send each one when it is done."""
    global _PARENT_PID
    _PARENT_PID = parent_pid
    try:
        import torch

        torch.set_num_threads(1)  # one core per worker; W workers share W cores
        episodes = iter_episodes(
            env_id,
            [s for _, batch in jobs for s in batch],
            policy,
            n_envs=n_envs,
            with_rewards=with_rewards,
            progress=lambda n: out.put(("progress", rank, n)),
        )
        for index, batch in jobs:
            out.put(("batch", index, [next(episodes) for _ in batch]))
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


@contextlib.contextmanager
def rollouts(
    env_id: str,
    seeds: Sequence[int],
    policy: Any,
    *,
    workers: int,
    n_envs: int,
    with_rewards: bool = False,
    progress: ProgressFn | None = None,
) -> Iterator[Iterator[EpisodeArrays]]:
    """The episodes of ``seeds`` in order, as they are produced by ``workers`` processes.

    One worker runs in this process. More are started on entry (before the caller opens any
    file) and get batches of consecutive seeds round-robin; they are stopped on exit.
    """
    seeds = [int(s) for s in seeds]
    size = max(1, min(BATCH_EPISODES, math.ceil(len(seeds) / max(1, workers))))
    batches = [seeds[i : i + size] for i in range(0, len(seeds), size)]
    workers = max(1, min(workers, len(batches)))
    if workers == 1:
        episodes = iter_episodes(
            env_id, seeds, policy, n_envs=n_envs, with_rewards=with_rewards, progress=progress
        )
        try:
            yield episodes
        finally:
            episodes.close()
        return
    ctx = mp.get_context(_start_method())
    out: mp.Queue = ctx.Queue()
    jobs = [[(b, batches[b]) for b in range(r, len(batches), workers)] for r in range(workers)]
    procs = [
        ctx.Process(
            target=_worker,
            args=(r, out, os.getpid(), env_id, jobs[r], policy, n_envs, with_rewards),
            daemon=True,
        )
        for r in range(workers)
    ]
    try:
        for p in procs:
            p.start()
        yield _gather(procs, out, len(batches), progress)
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)
        out.close()


def _gather(
    procs: list, out: mp.Queue, n_batches: int, progress: ProgressFn | None
) -> Iterator[EpisodeArrays]:
    """Yield the workers' batches in index order (holding back those that come early)."""
    ready: dict[int, list[EpisodeArrays]] = {}
    for index in range(n_batches):
        while index not in ready:
            try:
                kind, key, payload = out.get(timeout=1.0)
            except queue.Empty:
                dead = [p for p in procs if not p.is_alive()]
                failed = [p for p in dead if p.exitcode != 0]
                if (failed or len(dead) == len(procs)) and out.empty():
                    code = (failed or dead)[0].exitcode
                    raise DatasetError(f"a generation worker died (exit code {code})") from None
                continue
            if kind == "progress" and progress is not None:
                progress(payload)
            elif kind == "batch":
                ready[key] = payload
            elif kind == "error":
                raise DatasetError(payload)
        yield from ready.pop(index)
