"""``train(algo, env_id, ...)``: one entry point and one result type for every algorithm.

A run writes into ``out_dir``:

* ``policy/``: the weights-only policy artifact (``ilkit.policies.load_policy`` reads it);
* ``reward/``: the learned reward, for algorithms that learn one (``ilkit.rewards``);
* ``metrics.json``: config, budgets used, learning curve, final held-out score;
* ``learning_curve.png``: true return over training, with the task's reference returns;
* ``tb/``: TensorBoard event files (and ``progress.csv``) from imitation/SB3's logger.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ilkit import atomic
from ilkit.algorithms import registry
from ilkit.algorithms.configs import Config, make_config, to_dict
from ilkit.algorithms.registry import AlgorithmSpec
from ilkit.algorithms.run import Demos, RunContext, RunOutput
from ilkit.algorithms.run_checkpoint import DEFAULT_INTERVAL_S, RunCheckpointer
from ilkit.envs.tasks import TaskSpec, spec
from ilkit.errors import IlkitError
from ilkit.processes import torch_threads
from ilkit.progress import log

POLICY_DIR = "policy"
REWARD_DIR = "reward"
METRICS = "metrics.json"
CURVE_PNG = "learning_curve.png"
TENSORBOARD_DIR = "tb"
FINAL_EVAL_EPISODES = 10
"""Validation episodes of the score a run ends with (metrics.json ``final``)."""


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """What a training run produced and what it cost."""

    algorithm: str
    env_id: str
    artifact_path: Path
    """The policy artifact directory (``load_policy`` / ``evaluate`` accept it)."""
    metrics: dict[str, Any]
    """The content of ``metrics.json``."""
    wall_time_s: float
    env_steps: int
    """Environment steps the learner took (0 for BC; evaluation episodes not counted)."""
    expert_queries: int
    """States the expert labelled during training (DAgger, HG-DAgger: its expert labels)."""
    n_demos: int
    """Expert episodes of the dataset used."""
    interventions: int = 0
    """Times a gate handed control to the expert (human-/robot-gated DAgger)."""
    preference_queries: int = 0
    """Fragment pairs a preference oracle compared."""
    policy: Any = dataclasses.field(default=None, repr=False, compare=False)
    """The trained policy in memory (SB3 ``predict`` with the run's obs normalisation); the
    artifact reloads to the same actions."""

    @property
    def out_dir(self) -> Path:
        return self.artifact_path.parent

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "env_id": self.env_id,
            "artifact_path": str(self.artifact_path),
            "wall_time_s": self.wall_time_s,
            "env_steps": self.env_steps,
            "expert_queries": self.expert_queries,
            "n_demos": self.n_demos,
            "final": self.metrics.get("final"),
            "reward_path": self.metrics.get("reward_path"),
            **self.consumption,
        }

    @property
    def consumption(self) -> dict[str, int]:
        """Everything the run consumed, each a different resource: what a board counts."""
        return consumption(self.metrics)


def consumption(metrics: dict[str, Any]) -> dict[str, int]:
    """The resources a run used, from its metrics: demos, env steps, expert labels,
    interventions, preference queries (``expert_labels`` is ``expert_queries``: every query
    is one labelled state)."""
    return {
        "demos": metrics["n_demos"],
        "env_steps": metrics["env_steps"],
        "expert_labels": metrics["expert_queries"],
        "interventions": metrics.get("interventions", 0),
        "preference_queries": metrics.get("preference_queries", 0),
    }


def train(
    algo: str,
    env_id: str,
    *,
    dataset_id: str | None = None,
    n_demos: int | None = None,
    config: Config | dict[str, Any] | None = None,
    seed: int = 0,
    device: str = "auto",
    out_dir: str | os.PathLike,
    overwrite: bool = False,
    checkpoint_dir: str | os.PathLike | None = None,
    checkpoint_interval_s: float = DEFAULT_INTERVAL_S,
) -> TrainResult:
    """Train ``algo`` on a task and save a weights-only policy (and the reward it learned).

    Args:
        algo: a registered algorithm (``ilkit.algorithms.ALGORITHMS``: bc, dagger, gail,
            airl, ...).
        env_id: an ilkit task, e.g. ``"ilkit/CartPole-v0"``.
        dataset_id: Minari id of the demonstrations; the task's expert dataset by default
            (generated from the bundled expert if missing).
        n_demos: expert episodes to use (the first ones of the dataset); all by default
            (25 on MuJoCo tasks).
        config: the algorithm's config object, or ``{key: value}`` overrides of the task's
            defaults (see :mod:`ilkit.algorithms.configs`).
        seed: seeds torch, numpy, the training envs and the batch order (below 2**31, so
            never a held-out evaluation seed).
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
        out_dir: run directory (policy artifact, metrics, curve, TensorBoard logs).
        overwrite: replace the policy and metrics of an earlier run in ``out_dir``.
        checkpoint_dir: save mid-run state here every ``checkpoint_interval_s`` seconds and
            resume from a checkpoint of the same run found there (GAIL/AIRL with the SAC
            generator, the runs that take hours; the others are short and start over). The
            checkpoint is deleted when the run finishes. See
            :mod:`ilkit.algorithms.run_checkpoint`.
        checkpoint_interval_s: seconds between checkpoints.

    Raises:
        IlkitError: unknown task/algorithm/dataset, bad config, no CUDA, existing output.
    """
    run = _prepare(
        algo, env_id, dataset_id, n_demos, config, seed, device, out_dir, overwrite,
        checkpoint_dir, checkpoint_interval_s,
    )  # fmt: skip
    clock = _Clock()  # one clock for the whole run: metrics, manifest and result agree
    if "demos" in run.spec.consumes:
        demos = load_demos(
            run.dataset_id,
            run.n_demos,
            trajectories=run.spec.demos_as == "trajectories",
            env_id=run.task.id,
        )
    else:  # e.g. preferences: nothing read, nothing counted
        demos = Demos(None, 0, np.zeros((0,)), np.zeros((0,)), None)
    output = _learn(run, demos)
    final = _final_evaluation(run, output)
    wall_s, cpu_s = clock.read(output)
    metrics = _metrics(run, demos, output, final, wall_s, cpu_s)
    _save(run, demos, output, metrics)
    log(
        f"saved {run.artifact}; validation mean return {final['mean_return']:.1f}"
        + (
            f" (normalized {final['normalized_score']:.3f})"
            if final["normalized_score"] is not None
            else ""
        )
    )
    from ilkit.algorithms.common import NormalizedPolicy

    return TrainResult(
        algorithm=run.spec.name,
        env_id=run.task.id,
        artifact_path=run.artifact,
        metrics=metrics,
        wall_time_s=metrics["wall_time_s"],
        env_steps=output.env_steps,
        expert_queries=output.expert_queries,
        n_demos=demos.n_episodes,
        interventions=output.interventions,
        preference_queries=output.preference_queries,
        policy=NormalizedPolicy(output.module, output.obs_norm),
    )


@dataclasses.dataclass
class _Run:
    """A run's resolved inputs, checked before any work starts."""

    spec: AlgorithmSpec
    task: TaskSpec
    config: Config
    seed: int
    device: Any
    dataset_id: str
    n_demos: int | None
    out: Path
    overwrite: bool
    checkpointer: RunCheckpointer | None

    @property
    def artifact(self) -> Path:
        return self.out / POLICY_DIR


def _prepare(
    algo, env_id, dataset_id, n_demos, config, seed, device, out_dir, overwrite,
    checkpoint_dir, checkpoint_interval_s,
) -> _Run:  # fmt: skip
    import torch as th
    from stable_baselines3.common.utils import set_random_seed

    from ilkit.datasets.naming import DEFAULT_EPISODES_MUJOCO
    from ilkit.policies.artifact import resolve_device

    algo_spec = registry.get(algo)
    task = spec(env_id)
    cfg = make_config(algo_spec.name, task.id, config)
    if not 0 <= seed < 2**31:
        raise IlkitError(f"seed must be in [0, 2**31), got {seed}")
    if n_demos is not None and n_demos <= 0:
        raise IlkitError(f"n_demos must be positive, got {n_demos}")
    if (n_demos is not None or dataset_id is not None) and "demos" not in algo_spec.consumes:
        raise IlkitError(f"{algo_spec.name} reads no demonstrations (drop --demos / --dataset)")
    dev = resolve_device(device)
    if dev.type == "cuda" and not th.cuda.is_available():
        raise IlkitError("device 'cuda' requested but CUDA is not available (use auto or cpu)")
    out = Path(out_dir)
    for existing in (out / POLICY_DIR, out / REWARD_DIR):
        if existing.exists() and not overwrite:
            raise IlkitError(f"{existing} exists (pass overwrite=True / --force to replace it)")
    dataset_id = dataset_id or task.dataset_id
    checkpointer = None
    if checkpoint_dir is not None:
        checkpointer = RunCheckpointer(
            checkpoint_dir,
            {"algorithm": algo_spec.name, "task": task.id, "config": to_dict(cfg),
             "seed": seed, "dataset_id": dataset_id, "n_demos": n_demos, "device": dev.type},
            checkpoint_interval_s,
            config_defaults=to_dict(type(cfg)()),
        )  # fmt: skip
    if n_demos is None and task.mujoco:
        n_demos = DEFAULT_EPISODES_MUJOCO  # the size of a generated MuJoCo dataset
    set_random_seed(seed, using_cuda=dev.type == "cuda")
    return _Run(
        algo_spec, task, cfg, seed, dev, dataset_id, n_demos, out, overwrite, checkpointer
    )


class _Clock:
    """Wall and CPU seconds since the run started, plus those before a resume."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def read(self, output: RunOutput) -> tuple[float, float]:
        wall = time.perf_counter() - self.wall + output.prior_wall_s
        cpu = time.process_time() - self.cpu + output.prior_cpu_s  # < wall on shared cores
        return round(wall, 3), round(cpu, 3)


def _learn(run: _Run, demos: Demos) -> RunOutput:
    """The algorithm's runner, with one torch thread on CPU and imitation's noise muted."""
    import torch as th

    run.out.mkdir(parents=True, exist_ok=True)
    logger = _make_logger(run.out / TENSORBOARD_DIR)
    env = _spaces_env(run.task.id)
    source = f" from {demos.dataset_id}" if demos.dataset_id else ""
    log(
        f"{run.spec.name} on {run.task.id}: {demos.n_episodes} demos ({len(demos.obs)} "
        f"transitions){source}, device {run.device}"
    )
    with tempfile.TemporaryDirectory(prefix="ilkit-train-") as scratch:
        ctx = RunContext(
            algorithm=run.spec.name,
            env_id=run.task.id,
            task=run.task,
            config=run.config,
            seed=run.seed,
            device=run.device,
            rng=np.random.default_rng(run.seed),
            demos=demos,
            logger=logger,
            observation_space=env.observation_space,
            action_space=env.action_space,
            scratch_dir=Path(scratch),
            checkpoint=run.checkpointer,
        )
        with warnings.catch_warnings():
            # Harmless and noisy: imitation's BC logger calls float() on loss tensors, and
            # read-only demo arrays become tensors without a copy.
            warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad")
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            # ilkit's nets are small MLPs: on a CPU one torch thread is faster than several
            # (start-up and contention cost more than they save) and leaves cores to others
            threads = 1 if run.device.type == "cpu" else th.get_num_threads()
            with torch_threads(threads):
                output = run.spec.load_runner()(ctx)
    logger.close()
    output.module.set_training_mode(False)
    if "reward" in run.spec.writes and output.reward is None:
        raise IlkitError(f"{run.spec.name}'s runner returned no reward, but its spec writes one")
    return output


def _final_evaluation(run: _Run, output: RunOutput) -> dict[str, Any]:
    from ilkit.algorithms.common import evaluate_live

    result = evaluate_live(
        output.module, output.obs_norm, run.task.id, FINAL_EVAL_EPISODES, run.device
    )
    return {"n_episodes": FINAL_EVAL_EPISODES, "seeds": "validation", **result}


def _save(run: _Run, demos: Demos, output: RunOutput, metrics: dict[str, Any]) -> None:
    """Policy (and reward) artifacts, metrics.json and the curve; the checkpoint goes last."""
    import imitation

    from ilkit.policies import save_policy
    from ilkit.policies.artifact import versions

    env = _spaces_env(run.task.id)
    training = {
        "algorithm": run.spec.name,
        "dataset_id": demos.dataset_id,
        "demos": demos.n_episodes,
        "env_steps": output.env_steps,
        "expert_queries": output.expert_queries,
        "interventions": output.interventions,
        "preference_queries": output.preference_queries,
        "offline": output.offline,
        "seed": run.seed,
        "device": str(run.device),
        "wall_time_s": metrics["wall_time_s"],
    }
    manifest = {
        "algorithm": run.spec.name,
        "task": run.task.id,
        "config": to_dict(run.config),
        "training": training,
        "versions": {**versions(), "imitation": imitation.__version__},
    }
    save_policy(
        run.artifact,
        env_id=run.task.id,
        manifest=manifest,
        module=output.module,
        obs_norm=output.obs_norm.to_artifact() if output.obs_norm is not None else None,
        observation_space=env.observation_space,
        action_space=env.action_space,
        overwrite=run.overwrite,
    )
    if output.reward is not None:
        output.reward.save(
            run.out / REWARD_DIR, env_id=run.task.id, training=training, overwrite=run.overwrite
        )
    atomic.write_text(
        run.out / METRICS, json.dumps(metrics, indent=2, default=_json_default) + "\n"
    )
    plot_curve(metrics, run.out / CURVE_PNG)
    if run.checkpointer is not None:
        run.checkpointer.clear()  # only once the policy and metrics are safely written


def load_demos(
    dataset_id: str, n_episodes: int | None, *, trajectories: bool, env_id: str
) -> Demos:
    """The first ``n_episodes`` of a Minari dataset (generated from the expert if missing)."""
    from ilkit import datasets

    ds = datasets.load(dataset_id, generate_if_missing=True)
    ds_env = ds.spec.env_spec.id if getattr(ds.spec, "env_spec", None) else None
    if ds_env is not None and ds_env.split(":")[-1] != env_id:
        raise IlkitError(f"{dataset_id} was recorded on {ds_env}, not {env_id}")
    total = ds.total_episodes
    if n_episodes is not None and n_episodes > total:
        raise IlkitError(f"{dataset_id} has {total} episodes; cannot use {n_episodes} demos")
    n = total if n_episodes is None else n_episodes
    obs, acts = datasets.load_arrays(ds, n_episodes=n)
    trajs = datasets.to_trajectories(ds, n) if trajectories else None
    return Demos(
        dataset_id=dataset_id,
        n_episodes=n,
        obs=np.asarray(obs),
        acts=np.asarray(acts),
        trajectories=trajs,
    )


def _spaces_env(env_id: str):
    import gymnasium as gym

    env = gym.make(env_id)
    env.close()
    return env


def _make_logger(folder: Path):
    from imitation.util import logger as imit_logger

    return imit_logger.configure(str(folder), ["tensorboard", "csv"])


def _metrics(run: _Run, demos: Demos, output: RunOutput, final, wall_s, cpu_s) -> dict[str, Any]:
    return {
        "algorithm": run.spec.name,
        "env_id": run.task.id,
        "seed": run.seed,
        "device": str(run.device),
        "config": to_dict(run.config),
        "dataset_id": demos.dataset_id,
        "n_demos": demos.n_episodes,
        "n_transitions": int(len(demos.obs)),
        "env_steps": output.env_steps,
        "expert_queries": output.expert_queries,
        "interventions": output.interventions,
        "preference_queries": output.preference_queries,
        "offline": output.offline,
        "wall_time_s": wall_s,
        "cpu_time_s": cpu_s,
        "curve": output.curve,
        "final": final,
        "reward_path": str(run.out / REWARD_DIR) if output.reward is not None else None,
        **output.extra,
    }


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def plot_curve(metrics: dict[str, Any], path: Path) -> None:
    """True return over training, with the random and expert references of the task."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = metrics["curve"]
    task = spec(metrics["env_id"])
    offline = metrics["offline"]
    x_key = "epoch" if offline else "env_steps"
    fig, ax = plt.subplots(figsize=(6, 4))
    if curve:
        xs = [p[x_key] for p in curve]
        ys = np.array([p["mean_return"] for p in curve])
        sd = np.array([p["std_return"] for p in curve])
        ax.plot(xs, ys, marker="o", label=metrics["algorithm"].upper())
        ax.fill_between(xs, ys - sd, ys + sd, alpha=0.2)
    for name, value, style in (
        ("expert", task.ref_expert_return, "--"),
        ("random", task.ref_random_return, ":"),
    ):
        if value is not None:
            ax.axhline(value, linestyle=style, color="gray", label=name)
    ax.set_xlabel("BC epoch" if offline else "environment steps")
    ax.set_ylabel("true return (held-out seeds)")
    ax.set_title(f"{metrics['algorithm'].upper()} on {task.id}, seed {metrics['seed']}")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best")
    fig.tight_layout()
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=100)
    plt.close(fig)
    atomic.write_bytes(path, png.getvalue())
