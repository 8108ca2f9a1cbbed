"""Expert rollouts: N envs in lock-step, one batched ``predict`` per step, W worker processes.

Determinism. Each episode is a pure function of (task, policy, its seed): the envs are seeded
per episode, and the policy always sees batches of exactly :data:`PREDICT_ROWS` observations
(padded, or split, to that size). Matrix-multiply kernels pick different blockings for
different batch sizes, so the same observation can give a last-bit different action in a batch
of 7 than in a batch of 64; a fixed batch shape removes that, and with it any dependence on the
number of envs or workers. (A policy that samples from a shared random generator, such as
``RandomPolicy``, is not a function of the observation and is not covered.)

Noise. A dataset tier below the expert's (:mod:`ilkit.datasets.tiers`) replaces the policy's
action, with probability ``eps`` per step, by a uniform random action. Each episode draws from
its own generator, seeded by the episode's seed alone, two numbers every step whatever ``eps``
(whether to replace, and the random action), so a noisy episode is a pure function of (task,
policy, seed, eps) too; an episode with ``eps = 0`` is exactly the expert's.

Streaming. :func:`rollouts` yields the episodes in seed order while they are produced, so the
caller writes them as they come. The seeds are cut into batches of at most
:data:`BATCH_EPISODES`; this process and W - 1 worker processes take the next batches from a
shared counter whenever they are free (fewer at a time near the end, so all finish together),
and, every :data:`PROGRESS_EVERY` steps of its own rollouts, passes on to the writer what is
complete, in order. Two workers are two processes on two cores: the write is shared out
rather than added on.
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
from ilkit.processes import die_with_parent

PREDICT_ROWS = 64
"""Rows of every batch the policy sees (see the module docstring)."""
PROGRESS_EVERY = 50
"""A worker reports progress every this many time steps of a lock-step group."""
BATCH_EPISODES = 16
"""Most episodes in one batch, the unit dealt out (a process steps as many batches together
as ``n_envs`` allows)."""

NOISE_STREAM = 0x7135
"""Mixed with an episode's seed to seed its noise generator (apart from the env's own)."""

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
    distribution objects (argument checks and all) on every call; None for anything else.

    1.25-1.36x per batch of 64 over ``_predict`` (benchmarks/results/private_copies.md);
    the SB3 methods it follows are pinned by tests/test_pinned_copies.py."""
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


class ActionNoise:
    """Per-episode uniform random action replacement (see the module docstring)."""

    def __init__(self, space: Any, seeds: Sequence[int], eps: Sequence[float]):
        from gymnasium import spaces

        self.space = space
        self.eps = np.asarray(eps, dtype=np.float64)
        self.rngs = [np.random.default_rng([int(s), NOISE_STREAM]) for s in seeds]
        self.discrete = isinstance(space, spaces.Discrete)

    def __call__(self, actions: np.ndarray) -> np.ndarray:
        """``actions`` (one row per episode) with this step's replacements."""
        out = np.array(actions, copy=True)
        for i, rng in enumerate(self.rngs):
            if self.eps[i] <= 0.0:
                continue
            replace = rng.random() < self.eps[i]
            if self.discrete:
                random_action = self.space.start + rng.integers(self.space.n)
            else:
                random_action = rng.uniform(self.space.low, self.space.high)
            if replace:
                out[i] = random_action
        return out


def predict_fixed(predict: Predictor, obs: np.ndarray) -> np.ndarray:
    """Actions for ``obs``, calling ``predict`` on batches of exactly PREDICT_ROWS rows."""
    n = len(obs)
    pad = (-n) % PREDICT_ROWS
    if pad:
        obs = np.concatenate([obs, np.repeat(obs[-1:], pad, axis=0)])
    parts = [predict(obs[i : i + PREDICT_ROWS]) for i in range(0, len(obs), PREDICT_ROWS)]
    return np.concatenate(parts)[:n]


class _Roller:
    """Lock-step rollouts of one task and policy in this process; envs are kept between calls.

    The envs are the task's :class:`TaskDynamics`, which the public env and the scorer both
    drive, stepped on the lean path: each step's actions are validated as one batch, with the
    env's rules and errors, and observations are copied once, into the episode arrays.
    """

    def __init__(
        self,
        env_id: str,
        policy: Any,
        *,
        n_envs: int,
        with_rewards: bool = False,
        progress: ProgressFn | None = None,
    ):
        self.task = spec(env_id)
        self.n_envs = max(1, n_envs)
        self.with_rewards = with_rewards
        self.progress = progress
        self.envs: list[TaskDynamics] = []
        self.predict = batch_predictor(policy)
        self.validator: ActionValidator | None = None

    def run(
        self, seeds: Sequence[int], *, eps: Sequence[float] | None = None, ticks: bool = False
    ) -> Iterator[Any]:
        """One episode per seed, ``n_envs`` in lock-step; yields them in order.

        ``eps``: per episode, the probability of a uniform random action at each step.

        With ``ticks`` it also yields None every :data:`PROGRESS_EVERY` steps, so that the
        caller can do other work (write what the workers sent) in the middle of a group.
        """
        task, horizon = self.task, self.task.horizon
        seeds = [int(s) for s in seeds]
        while len(self.envs) < min(self.n_envs, len(seeds)):
            self.envs.append(TaskDynamics(task))
        if not seeds:
            return
        obs_space, act_space = self.envs[0].observation_space, self.envs[0].action_space
        if self.validator is None:
            self.validator = ActionValidator(act_space)
        width = min(self.n_envs, len(seeds))
        for start in range(0, len(seeds), width):
            group = seeds[start : start + width]
            active = self.envs[: len(group)]
            k = len(group)
            group_eps = eps[start : start + width] if eps is not None else None
            noise = (
                ActionNoise(act_space, group, group_eps)
                if group_eps is not None and max(group_eps) > 0
                else None
            )
            obs = np.empty((k, horizon + 1, *obs_space.shape), dtype=obs_space.dtype)
            acts = np.empty((k, horizon, *act_space.shape), dtype=act_space.dtype)
            rews = np.zeros((k, horizon), dtype=np.float64)
            for i, (env, s) in enumerate(zip(active, group, strict=True)):
                obs[i, 0] = env.reset(seed=s)
            for t in range(horizon):
                actions = predict_fixed(self.predict, obs[:, t])
                if actions.shape[1:] != act_space.shape:
                    raise DatasetError(
                        f"the policy returned actions of shape {actions.shape[1:]}; "
                        f"{task.id} expects {act_space.shape}"
                    )
                if noise is not None:
                    actions = noise(actions)
                valid = self.validator.batch(actions)  # the raw actions, as the env checks them
                nxt = obs[:, t + 1]
                if self.with_rewards:
                    rew = rews[:, t]
                    for i, env in enumerate(active):
                        nxt[i], rew[i] = env.step_unchecked(valid[i])
                else:
                    for i, env in enumerate(active):
                        nxt[i] = env.step_unchecked(valid[i], reward=False)[0]
                acts[:, t] = actions  # stored in the action space's dtype
                if (t + 1) % PROGRESS_EVERY == 0 or t + 1 == horizon:
                    if self.progress is not None:
                        self.progress(k * ((t % PROGRESS_EVERY) + 1))
                    if ticks:
                        yield None
            for i, s in enumerate(group):
                yield EpisodeArrays(s, obs[i], acts[i], rews[i])

    def close(self) -> None:
        for env in self.envs:
            env.close()
        self.envs = []


class _Dealer:
    """Hands out batch indices in increasing order to whichever process asks (a shared counter).

    A process takes as many batches as fill its lock-step group, but never more than its share
    of what is left, so that near the end the groups shrink and the processes finish together.
    """

    def __init__(self, n_batches: int, processes: int, per_group: int, counter: Any = None):
        self.n_batches, self.processes, self.per_group = n_batches, processes, per_group
        self._counter = counter  # a multiprocessing Value shared with the workers, or None
        self._local = 0  # the counter when there are no workers

    def take(self) -> range:
        lock = self._counter.get_lock() if self._counter is not None else contextlib.nullcontext()
        with lock:
            start = self._counter.value if self._counter is not None else self._local
            left = self.n_batches - start
            k = max(0, min(self.per_group, math.ceil(left / self.processes), left))
            if self._counter is not None:
                self._counter.value = start + k
            else:
                self._local = start + k
        return range(start, start + k)


# --- worker processes ---------------------------------------------------------------------

def _worker(
    rank: int,
    out: mp.Queue,
    parent_pid: int,
    env_id: str,
    batches: list[list[int]],
    eps_batches: list[list[float]] | None,
    dealer: _Dealer,
    policy: Any,
    n_envs: int,
    with_rewards: bool,
) -> None:
    """Take batches from ``dealer`` until none are left; send each one when it is done."""
    die_with_parent()  # a worker of a killed generate (kill -9) never runs on as an orphan
    if os.getppid() != parent_pid:  # the parent died before the kernel was asked
        os._exit(1)
    roller = None
    try:
        import torch

        torch.set_num_threads(1)  # one core per process; W processes share W cores
        roller = _Roller(
            env_id,
            policy,
            n_envs=n_envs,
            with_rewards=with_rewards,
            progress=lambda n: out.put(("progress", rank, n)),
        )
        while taken := dealer.take():
            episodes = list(
                roller.run(
                    [s for b in taken for s in batches[b]], eps=_taken_eps(eps_batches, taken)
                )
            )
            out.put(("batches", taken.start, episodes))  # one message: fewer GIL hand-offs
        out.put(("done", rank, None))
    except IlkitError as err:
        out.put(("error", rank, str(err)))
    except BaseException as err:  # noqa: BLE001  (report, then let the parent raise)
        out.put(("error", rank, f"worker {rank} failed: {type(err).__name__}: {err}"))
    finally:
        if roller is not None:
            roller.close()


def _taken_eps(eps_batches: list[list[float]] | None, taken: range) -> list[float] | None:
    return None if eps_batches is None else [e for b in taken for e in eps_batches[b]]


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
    noise: Sequence[float] | None = None,
) -> Iterator[Iterator[EpisodeArrays]]:
    """The episodes of ``seeds`` in order, as ``workers`` processes (this one included) produce
    them; iterating also rolls out in this process. Workers start on entry (before the caller
    opens any file) and are stopped on exit. ``noise``: per episode, the probability of a
    uniform random action at each step (None: the policy's actions only)."""
    seeds = [int(s) for s in seeds]
    size = max(1, min(BATCH_EPISODES, math.ceil(len(seeds) / max(1, workers))))
    batches = [seeds[i : i + size] for i in range(0, len(seeds), size)]
    eps_batches = None
    if noise is not None:
        if len(noise) != len(seeds):
            raise DatasetError(f"got {len(noise)} noise levels for {len(seeds)} episodes")
        eps = [float(e) for e in noise]
        eps_batches = [eps[i : i + size] for i in range(0, len(eps), size)]
    workers = max(1, min(workers, len(batches)))
    per_group = max(1, n_envs // size)
    roller = _Roller(env_id, policy, n_envs=n_envs, with_rewards=with_rewards, progress=progress)
    if workers == 1:
        try:
            yield _stream(roller, _Dealer(len(batches), 1, per_group), batches, eps_batches, None)
        finally:
            roller.close()
        return
    ctx = mp.get_context(_start_method())
    out: mp.Queue = ctx.Queue()
    _widen_pipe(out)
    dealer = _Dealer(len(batches), workers, per_group, ctx.Value("l", 0))
    procs = [
        ctx.Process(
            target=_worker,
            args=(
                r,
                out,
                os.getpid(),
                env_id,
                batches,
                eps_batches,
                dealer,
                policy,
                n_envs,
                with_rewards,
            ),  # fmt: skip
            daemon=True,
        )
        for r in range(1, workers)
    ]
    try:
        for p in procs:
            p.start()
        yield _stream(roller, dealer, batches, eps_batches, (procs, out, progress, batches))
    finally:
        roller.close()
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)
        out.close()


def _widen_pipe(out: mp.Queue, size: int = 1 << 20) -> None:
    """Let a worker's whole message sit in the queue's pipe (Linux; 64 KiB by default).

    A worker's feeder thread needs the GIL, which its rollouts hold, for every chunk it
    writes: through a small pipe a batch trickles in while this process waits, or stays
    behind while this process rolls out, and the write falls behind the workers.
    """
    try:
        import fcntl

        fcntl.fcntl(out._reader.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), size)  # type: ignore[attr-defined]
    except (OSError, AttributeError, ValueError):
        pass  # not Linux, or above the system's limit: the default pipe works, later


def _stream(
    roller: _Roller,
    dealer: _Dealer,
    batches: list[list[int]],
    eps_batches: list[list[float]] | None,
    workers: tuple | None,
) -> Iterator[EpisodeArrays]:
    """Yield every batch in index order: roll out the batches this process takes, and every
    few steps of them pass on (to the writer) what the workers, if any, have sent in order."""
    ready: dict[int, list[EpisodeArrays]] = {}
    done = 0
    while done < len(batches):
        if workers is not None:
            _receive(ready, *workers, block=False)
        while done in ready:
            yield from ready.pop(done)
            done += 1
        if done == len(batches):
            break
        taken = dealer.take()
        if taken:
            episodes = []
            for item in roller.run(
                [s for b in taken for s in batches[b]],
                eps=_taken_eps(eps_batches, taken),
                ticks=workers is not None,
            ):
                if item is not None:
                    episodes.append(item)
                    continue
                _receive(ready, *workers, block=False)  # a tick: write while rolling out
                while done in ready:
                    yield from ready.pop(done)
                    done += 1
            for b in taken:
                ready[b], episodes = episodes[: len(batches[b])], episodes[len(batches[b]) :]
        elif workers is not None:
            _receive(ready, *workers, block=True)  # the rest is in the workers' hands


def _receive(
    ready: dict[int, list[EpisodeArrays]],
    procs: list,
    out: mp.Queue,
    progress: ProgressFn | None,
    batches: list[list[int]],
    *,
    block: bool,
) -> None:
    """Move what the workers sent into ``ready`` (waiting for at least one batch if ``block``)."""
    while True:
        try:
            kind, key, payload = out.get(timeout=1.0) if block else out.get_nowait()
        except queue.Empty:
            if not block:
                return
            dead = [p for p in procs if not p.is_alive()]
            failed = [p for p in dead if p.exitcode != 0]
            if (failed or len(dead) == len(procs)) and out.empty():
                code = (failed or dead)[0].exitcode
                raise DatasetError(f"a generation worker died (exit code {code})") from None
            continue
        if kind == "progress" and progress is not None:
            progress(payload)
        elif kind == "batches":  # consecutive batches from index ``key`` on
            for b in range(key, len(batches)):
                if not payload:
                    break
                ready[b], payload = payload[: len(batches[b])], payload[len(batches[b]) :]
            if block:
                return
        elif kind == "error":
            raise DatasetError(payload)
