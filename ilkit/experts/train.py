"""Expert training with rl-zoo hyperparameters, resumable checkpoints and artifact export.

Expert training is the one place besides evaluation where the true reward is used: the learner
trains on the scorer env (or the terminating base game with the same observations, see
:mod:`ilkit.experts.hyperparams`). A run directory holds ``config.json``, the latest
checkpoint (``checkpoint/``), the best policy by validation return (``best/``) and TensorBoard
logs (``tb/``); the exported expert is ``best/`` re-measured on the 50 held-out seeds.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from ilkit.envs.seeds import training_seeds
from ilkit.envs.tasks import TaskSpec, spec
from ilkit.errors import IlkitError
from ilkit.experts.expert_checkpoint import load_checkpoint, save_checkpoint
from ilkit.experts.export import expert_training_block, true_return
from ilkit.experts.hyperparams import ALGOS, TERMINATING_ENTRY_POINTS, hyperparams
from ilkit.progress import log, progress_bar

CONFIG, CHECKPOINT, BEST = "config.json", "checkpoint", "best"
_ILKIT_FIELDS = ("n_envs", "normalize", "train_env")


class ExpertTrainingError(IlkitError):
    """A training run that cannot start or resume as asked."""


@dataclasses.dataclass
class ExpertTrainConfig:
    """One expert-training run (stored as the run directory's ``config.json``)."""

    env_id: str
    algo: str
    timesteps: int
    """Total environment steps of the run (a resumed run continues up to this number)."""
    seed: int = 0
    run_dir: str = "ilkit-runs/expert"
    n_envs: int | None = None
    """Parallel training envs; None: the rl-zoo value."""
    eval_every: int | None = None
    """Steps between validation evaluations (and best-policy snapshots); None: timesteps / 20."""
    checkpoint_every: int | None = None
    """Steps between resumable checkpoints; None: the same as ``eval_every``."""
    eval_episodes: int = 5
    device: str = "auto"
    init_from: str | None = None
    """An artifact of the same algorithm and architecture whose weights (and observation
    statistics) start the run: fine-tuning, e.g. a bundled expert after a simulator change."""

    def intervals(self) -> tuple[int, int]:
        every = self.eval_every or max(self.timesteps // 20, 1000)
        return every, self.checkpoint_every or every


def train_expert(
    config: ExpertTrainConfig, *, resume: bool = False, out: str | Path | None = None
) -> Path:
    """Train (or resume) a run, then export its best policy as an expert artifact.

    Args:
        config: the run; with ``resume`` the run directory's stored config wins, except
            ``timesteps`` (the new total).
        out: the artifact directory to write (default ``<run_dir>/expert``).

    Returns:
        The exported artifact's path.
    """
    from stable_baselines3.common.callbacks import BaseCallback

    run_dir = Path(config.run_dir)
    config, state = _prepare(config, run_dir, resume)
    task = spec(config.env_id)
    params = hyperparams(task.id, config.algo)
    if config.n_envs:
        params["n_envs"] = config.n_envs
    model, venv = _build(task, config, params)
    # SB3 otherwise makes an empty /tmp/SB3-<date> folder per learn(); event files are new
    # files on each resume, so the curves of every session stay.
    from stable_baselines3.common.logger import configure

    model.set_logger(configure(str(run_dir / "tb"), ["tensorboard"]))
    resumed = state is not None
    if resumed:
        state = load_checkpoint(run_dir / CHECKPOINT, model, venv)
        log(f"resumed {run_dir} at {model.num_timesteps} steps")
    state = state or {"best_mean": None, "best_timesteps": None}
    if not resumed and config.init_from:
        state["init_timesteps"] = _start_from(config.init_from, model, venv, config.algo)
        log(f"{task.name} {config.algo}: starting from the weights of {config.init_from}")
    eval_every, checkpoint_every = config.intervals()
    val_seeds = training_seeds(config.seed + 1, config.eval_episodes)
    clock = {"time": time.monotonic(), "steps": model.num_timesteps}

    def validate() -> None:
        if state.get("validated_at") == model.num_timesteps:
            return  # the last periodic evaluation already saw these weights
        state["validated_at"] = int(model.num_timesteps)
        speed = (model.num_timesteps - clock["steps"]) / (time.monotonic() - clock["time"])
        mean = _evaluate(_Snapshot(model, venv), task.id, val_seeds)
        log(
            f"{task.name} {config.algo} step {model.num_timesteps}: validation return {mean:.1f} "
            f"({speed:.0f} steps/s)"
        )
        clock.update(time=time.monotonic(), steps=model.num_timesteps)
        if state["best_mean"] is None or mean >= state["best_mean"]:
            state.update(best_mean=mean, best_timesteps=int(model.num_timesteps))
            _save_artifact(run_dir / BEST, model, venv, task, config, params, state)

    class Periodic(BaseCallback):
        def __init__(self, advance):
            super().__init__()
            self.advance = advance
            self.last_eval = self.last_ckpt = model.num_timesteps

        def _on_step(self) -> bool:
            self.advance(self.training_env.num_envs)
            if self.num_timesteps - self.last_eval >= eval_every:
                self.last_eval = self.num_timesteps
                validate()
            if self.num_timesteps - self.last_ckpt >= checkpoint_every:
                self.last_ckpt = self.num_timesteps
                save_checkpoint(run_dir / CHECKPOINT, model, venv, state)
            return True

    remaining = config.timesteps - model.num_timesteps
    if remaining > 0:
        with progress_bar(config.timesteps, f"{task.name} {config.algo}") as advance:
            advance(model.num_timesteps)
            model.learn(remaining, callback=Periodic(advance), reset_num_timesteps=not resumed)
    validate()
    save_checkpoint(run_dir / CHECKPOINT, model, venv, state)
    venv.close()
    return export(run_dir / BEST, out or run_dir / "expert")


def export(best: Path, out: str | Path, *, n_episodes: int = 50) -> Path:
    """Re-measure a run's best policy on the held-out seeds and write it as an expert artifact."""
    from ilkit.policies import load_policy, save_policy

    policy = load_policy(best, device="cpu")
    manifest = dict(policy.manifest)
    manifest["true_return"] = true_return(policy, manifest["env_id"], n_episodes)
    obs_norm = None
    if policy._obs_norm is not None:
        mean, var = policy._obs_norm
        obs_norm = {"mean": mean, "var": var, **manifest.pop("obs_norm")}
    for field in ("format", "format_version", "kind", "architecture"):
        manifest.pop(field, None)
    path = save_policy(
        out, env_id=manifest.pop("env_id"), manifest=manifest, module=policy.module,
        obs_norm=obs_norm, overwrite=True,
    )  # fmt: skip
    ret = manifest["true_return"]
    log(
        f"exported {path}: true return {ret['mean']:.1f} ± {ret['std']:.1f} ({n_episodes} held-out)"
    )
    return path


def _prepare(
    config: ExpertTrainConfig, run_dir: Path, resume: bool
) -> tuple[ExpertTrainConfig, dict[str, Any] | None]:
    if config.algo not in ALGOS:
        raise ExpertTrainingError(
            f"unknown algorithm {config.algo!r}; choose one of {', '.join(ALGOS)}"
        )
    config.env_id = spec(config.env_id).id
    hyperparams(config.env_id, config.algo)  # fail early on an unsupported pair
    if config.timesteps <= 0:
        raise ExpertTrainingError(f"timesteps must be positive, got {config.timesteps}")
    stored = run_dir / CONFIG
    if resume:
        if not (run_dir / CHECKPOINT / "state.json").is_file():
            raise ExpertTrainingError(f"nothing to resume: {run_dir} has no checkpoint")
        saved = ExpertTrainConfig(**json.loads(stored.read_text()))
        if (saved.env_id, saved.algo) != (config.env_id, config.algo):
            raise ExpertTrainingError(
                f"{run_dir} is a {saved.algo} run on {saved.env_id}, not {config.algo} "
                f"on {config.env_id}"
            )
        saved.timesteps = config.timesteps
        stored.write_text(json.dumps(dataclasses.asdict(saved), indent=2) + "\n")
        return saved, {}
    if (run_dir / CHECKPOINT).exists():
        raise ExpertTrainingError(
            f"{run_dir} already holds a run: pass --resume, or another --run-dir"
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    stored.write_text(json.dumps(dataclasses.asdict(config), indent=2) + "\n")
    return config, None


def _env_factory(task: TaskSpec, train_env: str):
    from gymnasium.envs.registration import load_env_creator
    from gymnasium.wrappers import TimeLimit

    from ilkit.envs.scoring import make_scoring_env

    if train_env == "scoring":
        return lambda: make_scoring_env(task.id)
    entry, kwargs = TERMINATING_ENTRY_POINTS.get(
        task.name, (task.base_entry_point, dict(task.base_kwargs))
    )
    return lambda: TimeLimit(load_env_creator(entry)(**kwargs), task.horizon)


def _schedule(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("lin_"):
        start = float(value[4:])
        return lambda progress_remaining: progress_remaining * start
    return value


def _build(task: TaskSpec, config: ExpertTrainConfig, params: dict[str, Any]):
    import torch as th
    from stable_baselines3 import PPO, SAC
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import VecNormalize

    from ilkit.policies.artifact import ACTIVATIONS, resolve_device

    kwargs = {k: _schedule(v) for k, v in params.items() if k not in _ILKIT_FIELDS}
    policy = kwargs.pop("policy", "MlpPolicy")
    policy_kwargs = dict(kwargs.pop("policy_kwargs", {}))
    if "activation_fn" in policy_kwargs:
        policy_kwargs["activation_fn"] = ACTIVATIONS[policy_kwargs["activation_fn"]]
    venv = make_vec_env(
        _env_factory(task, params["train_env"]), n_envs=params["n_envs"], seed=config.seed
    )
    if params["normalize"]:
        venv = VecNormalize(venv, gamma=kwargs.get("gamma", 0.99))
    device = resolve_device(config.device)
    if config.algo in ("ppo", "ars") and config.device == "auto":
        device = th.device("cpu")  # SB3: MLP PPO (and ARS's rollouts) run faster on a CPU
    if config.algo == "tqc":
        from sb3_contrib import TQC as cls
    elif config.algo == "ars":
        from sb3_contrib import ARS as cls
    else:
        cls = {"ppo": PPO, "sac": SAC}[config.algo]
    model = cls(
        policy, venv, seed=config.seed, device=device, verbose=0,
        policy_kwargs=policy_kwargs or None, **kwargs,
    )  # fmt: skip
    return model, venv


class _Snapshot:
    """The model in training as a ``predict`` policy on raw observations (normalises them)."""

    def __init__(self, model: Any, venv: Any):
        self.model, self.venv = model, venv
        self.observation_space = model.observation_space
        self.action_space = model.action_space

    def predict(self, observation, state=None, episode_start=None, deterministic=True):
        obs = np.asarray(observation, dtype=np.float32)
        if hasattr(self.venv, "normalize_obs"):
            obs = self.venv.normalize_obs(obs)
        return self.model.predict(obs, deterministic=deterministic)


def _evaluate(policy: Any, env_id: str, seeds: list[int]) -> float:
    from ilkit.evaluation import evaluate

    return evaluate(policy, env_id, n_episodes=len(seeds), seeds=seeds, device="cpu").mean


def _start_from(path: str, model: Any, venv: Any, algo: str) -> int:
    """Load an artifact's weights into the model to train (and its observation statistics
    into ``VecNormalize``, counted as many samples so that they move slowly).

    Returns the environment steps that trained the artifact (the run's steps add to them).
    """
    from ilkit.policies import load_policy

    policy = load_policy(path, device="cpu")
    if policy.manifest.get("algorithm") != algo or policy.module is None:
        raise ExpertTrainingError(f"{path} is not a {algo} policy artifact")
    try:
        _actor_module(model, algo).load_state_dict(policy.module.state_dict())
    except RuntimeError as err:
        first = str(err).strip().splitlines()[0]
        raise ExpertTrainingError(f"{path} does not fit this run's architecture: {first}") from None
    if hasattr(venv, "obs_rms") and policy._obs_norm is not None:
        venv.obs_rms.mean, venv.obs_rms.var = (np.array(a, copy=True) for a in policy._obs_norm)
        venv.obs_rms.count = 1e6
    return int(policy.manifest.get("timesteps") or 0)


def _actor_module(model: Any, algo: str) -> Any:
    """The module the artifact stores: PPO's and ARS's policy, SAC's actor, TQC's actor as a
    SAC actor."""
    if algo in ("ppo", "ars"):
        return model.policy
    if algo == "sac":
        return model.actor
    from stable_baselines3.sac.policies import Actor

    actor = Actor(**model.actor._get_constructor_parameters())
    actor.load_state_dict(model.actor.state_dict())
    return actor


def _save_artifact(path, model, venv, task, config, params, state) -> None:
    from ilkit.policies import save_policy
    from ilkit.policies.artifact import versions

    obs_norm = None
    if hasattr(venv, "obs_rms"):
        obs_norm = {
            "mean": venv.obs_rms.mean,
            "var": venv.obs_rms.var,
            "clip": venv.clip_obs,
            "epsilon": venv.epsilon,
        }
    library_versions = versions()
    if config.algo in ("tqc", "ars"):
        import sb3_contrib

        library_versions["sb3_contrib"] = sb3_contrib.__version__
    # a fine-tuned run counts the steps that trained its starting point too
    steps = int(model.num_timesteps) + int(state.get("init_timesteps", 0))
    command = (
        f"ilkit expert train {task.id} --algo {config.algo} "
        f"--timesteps {config.timesteps} --seed {config.seed}"
    )
    manifest = {
        "algorithm": config.algo,
        "hyperparameters": params,
        "timesteps": steps,
        "seed": config.seed,
        "train_env": params["train_env"],
        "validation_return": {"mean": state["best_mean"], "n_episodes": config.eval_episodes},
        "training": expert_training_block(steps),
        "training_command": command,
        "versions": library_versions,
    }
    if config.init_from:
        manifest["fine_tuned"] = {
            "from": config.init_from,
            "from_timesteps": int(state.get("init_timesteps", 0)),
            "timesteps": int(model.num_timesteps),
        }
        manifest["training_command"] = f"{command} --init-from {config.init_from}"
    module = _actor_module(model, config.algo)
    save_policy(path, env_id=task.id, manifest=manifest, module=module, obs_norm=obs_norm,
                overwrite=True)  # fmt: skip
