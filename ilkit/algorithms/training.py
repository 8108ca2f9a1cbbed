"""``train(algo, env_id, ...)``: one entry point and one result type for BC, DAgger, GAIL, AIRL.

A run writes into ``out_dir``:

* ``policy/``: the weights-only policy artifact (``ilkit.policies.load_policy`` reads it);
* ``metrics.json``: config, budgets used, learning curve, final held-out score;
* ``learning_curve.png``: true return over training, with the task's reference returns;
* ``tb/``: TensorBoard event files (and ``progress.csv``) from imitation/SB3's logger.
"""

from __future__ import annotations

import contextlib
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
from ilkit.algorithms.checkpoint import DEFAULT_INTERVAL_S, Checkpointer
from ilkit.algorithms.configs import Config, check_algorithm, make_config, to_dict
from ilkit.algorithms.run import Demos, RunContext, RunOutput
from ilkit.envs.tasks import spec
from ilkit.errors import IlkitError
from ilkit.progress import log

POLICY_DIR = "policy"
METRICS = "metrics.json"
CURVE_PNG = "learning_curve.png"
TENSORBOARD_DIR = "tb"
MUJOCO_DEFAULT_DEMOS = 25


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
    """States the expert labelled during training (DAgger only)."""
    n_demos: int
    """Expert episodes of the dataset used."""
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
    """Train ``algo`` (bc, dagger, gail, airl) on a task and save a weights-only policy.

    Args:
        algo: ``"bc"``, ``"dagger"``, ``"gail"`` or ``"airl"``.
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
            checkpoint is deleted when the run finishes. See :mod:`ilkit.algorithms.checkpoint`.
        checkpoint_interval_s: seconds between checkpoints.

    Raises:
        IlkitError: unknown task/algorithm/dataset, bad config, no CUDA, existing output.
    """
    import torch as th
    from stable_baselines3.common.utils import set_random_seed

    from ilkit.policies.artifact import resolve_device

    algo = check_algorithm(algo)
    task = spec(env_id)
    cfg = make_config(algo, task.id, config)
    if not 0 <= seed < 2**31:
        raise IlkitError(f"seed must be in [0, 2**31), got {seed}")
    if n_demos is not None and n_demos <= 0:
        raise IlkitError(f"n_demos must be positive, got {n_demos}")
    dev = resolve_device(device)
    if dev.type == "cuda" and not th.cuda.is_available():
        raise IlkitError("device 'cuda' requested but CUDA is not available (use auto or cpu)")
    out = Path(out_dir)
    artifact = out / POLICY_DIR
    if artifact.exists() and not overwrite:
        raise IlkitError(f"{artifact} exists (pass overwrite=True / --force to replace it)")

    checkpointer = None
    if checkpoint_dir is not None:
        checkpointer = Checkpointer(
            checkpoint_dir,
            {"algorithm": algo, "task": task.id, "config": to_dict(cfg), "seed": seed,
             "dataset_id": dataset_id or task.dataset_id, "n_demos": n_demos, "device": dev.type},
            checkpoint_interval_s,
            config_defaults=to_dict(type(cfg)()),
        )  # fmt: skip

    start = time.perf_counter()
    cpu_start = time.process_time()
    set_random_seed(seed, using_cuda=dev.type == "cuda")
    demos = load_demos(
        dataset_id or task.dataset_id,
        n_demos if n_demos is not None else _default_demos(task.name),
        trajectories=algo != "bc",
        env_id=task.id,
    )
    out.mkdir(parents=True, exist_ok=True)
    logger = _make_logger(out / TENSORBOARD_DIR)
    env = _spaces_env(task.id)
    log(
        f"{algo} on {task.id}: {demos.n_episodes} demos ({len(demos.obs)} transitions) "
        f"from {demos.dataset_id}, device {dev}"
    )
    with tempfile.TemporaryDirectory(prefix="ilkit-train-") as scratch:
        ctx = RunContext(
            env_id=task.id,
            task=task,
            config=cfg,
            seed=seed,
            device=dev,
            rng=np.random.default_rng(seed),
            demos=demos,
            logger=logger,
            observation_space=env.observation_space,
            action_space=env.action_space,
            scratch_dir=Path(scratch),
            checkpoint=checkpointer,
        )
        with warnings.catch_warnings():
            # Harmless and noisy: imitation's BC logger calls float() on loss tensors, and
            # read-only demo arrays become tensors without a copy.
            warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad")
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            with _torch_threads(1 if dev.type == "cpu" else th.get_num_threads()):
                output = _runner(algo)(ctx)
    # a resumed run adds the wall and CPU time before its checkpoint
    train_time = time.perf_counter() - start + output.prior_wall_s
    cpu_time = time.process_time() - cpu_start + output.prior_cpu_s  # < wall on shared cores
    logger.close()
    output.module.set_training_mode(False)

    import imitation

    from ilkit.algorithms.common import NormalizedPolicy, evaluate_live
    from ilkit.policies.artifact import versions

    final = evaluate_live(output.module, output.obs_norm, task.id, 10, dev)
    metrics = _metrics(algo, task.id, cfg, seed, str(dev), demos, output, train_time, final)
    metrics["cpu_time_s"] = round(cpu_time, 3)
    manifest = {
        "algorithm": algo,
        "task": task.id,
        "config": to_dict(cfg),
        "training": {
            "algorithm": algo,
            "dataset_id": demos.dataset_id,
            "demos": demos.n_episodes,
            "env_steps": output.env_steps,
            "expert_queries": output.expert_queries,
            "offline": output.offline,
            "seed": seed,
            "device": str(dev),
            "wall_time_s": round(train_time, 2),
        },
        "versions": {**versions(), "imitation": imitation.__version__},
    }
    from ilkit.policies import save_policy

    save_policy(
        artifact,
        env_id=task.id,
        manifest=manifest,
        module=output.module,
        obs_norm=output.obs_norm.to_artifact() if output.obs_norm is not None else None,
        observation_space=env.observation_space,
        action_space=env.action_space,
        overwrite=overwrite,
    )
    atomic.write_text(out / METRICS, json.dumps(metrics, indent=2, default=_json_default) + "\n")
    plot_curve(metrics, out / CURVE_PNG)
    if checkpointer is not None:
        checkpointer.clear()  # only once the policy and metrics are safely written
    log(
        f"saved {artifact}; held-out mean return {final['mean_return']:.1f}"
        + (
            f" (normalized {final['normalized_score']:.3f})"
            if final["normalized_score"] is not None
            else ""
        )
    )
    return TrainResult(
        algorithm=algo,
        env_id=task.id,
        artifact_path=artifact,
        metrics=metrics,
        wall_time_s=time.perf_counter() - start + output.prior_wall_s,
        env_steps=output.env_steps,
        expert_queries=output.expert_queries,
        n_demos=demos.n_episodes,
        policy=NormalizedPolicy(output.module, output.obs_norm),
    )


def _runner(algo: str):
    if algo == "bc":
        from ilkit.algorithms.bc import run_bc

        return run_bc
    if algo == "dagger":
        from ilkit.algorithms.dagger import run_dagger

        return run_dagger
    from ilkit.algorithms.adversarial import run_adversarial
    from ilkit.algorithms.offpolicy import run_offpolicy

    def run(ctx: RunContext) -> RunOutput:
        if ctx.config.generator == "sac":
            return run_offpolicy(ctx, algo)
        return run_adversarial(ctx, algo)

    return run


@contextlib.contextmanager
def _torch_threads(n: int):
    """ilkit's nets are small MLPs: on a CPU one torch thread is faster than several (thread
    start-up and contention cost more than they save), and leaves cores to parallel runs."""
    import torch as th

    before = th.get_num_threads()
    th.set_num_threads(n)
    try:
        yield
    finally:
        th.set_num_threads(before)


def _default_demos(task_name: str) -> int | None:
    from ilkit.algorithms.configs import _MUJOCO

    return MUJOCO_DEFAULT_DEMOS if task_name in _MUJOCO else None


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


def _metrics(algo, env_id, cfg, seed, device, demos, output: RunOutput, train_time, final):
    return {
        "algorithm": algo,
        "env_id": env_id,
        "seed": seed,
        "device": device,
        "config": to_dict(cfg),
        "dataset_id": demos.dataset_id,
        "n_demos": demos.n_episodes,
        "n_transitions": int(len(demos.obs)),
        "env_steps": output.env_steps,
        "expert_queries": output.expert_queries,
        "offline": output.offline,
        "wall_time_s": round(train_time, 3),
        "curve": output.curve,
        "final": {"n_episodes": 10, "seeds": "validation", **final},
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
