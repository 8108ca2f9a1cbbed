"""DAgger: imitation's ``DAggerTrainer`` with the bundled expert as the oracle.

Round 0 trains BC on the dataset's demonstrations. Each later round rolls out a mixture of
learner and expert (the expert acts with probability ``beta_decay**round``), asks the expert to
label every visited state, aggregates, and retrains BC on everything so far. Every label is one
expert query; the run reports how many it used, and how many environment steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ilkit.algorithms.bc import device_batches, lr_annealer, make_bc_trainer
from ilkit.algorithms.common import (
    NormalizedObsVecEnv,
    ObsNorm,
    TrainingError,
    evaluate_live,
    make_training_venv,
)
from ilkit.algorithms.run import RunContext, RunOutput
from ilkit.progress import progress_bar


class CountingExpert:
    """The expert as imitation's policy callable, counting the states it labels."""

    def __init__(self, expert, norm: ObsNorm | None):
        self.expert = expert
        self.norm = norm
        self.queries = 0

    def __call__(self, obs: np.ndarray, state=None, episode_start=None):
        self.queries += len(obs)
        raw = self.norm.unnormalize(obs) if self.norm is not None else obs
        actions, _ = self.expert.predict(raw, deterministic=True)
        return np.asarray(actions), None


def load_expert(env_id: str):
    try:
        from ilkit.experts import load
    except ImportError as err:
        raise TrainingError(f"DAgger needs ilkit.experts.load: {err}") from None
    return load(env_id)


def _make_dagger_trainer(ctx: RunContext, venv, bc_trainer, dataset_trajs: list):
    """imitation's DAggerTrainer whose BC data comes from the device-resident sampler.

    Round 0 is the dataset, held in memory; the rounds the collector records are read from the
    scratch directory as in imitation.
    """
    from imitation.algorithms import dagger
    from imitation.data import rollout

    class DeviceDAggerTrainer(dagger.DAggerTrainer):
        def _try_load_demos(self) -> None:
            # As the parent, except that the aggregated data goes to BC as device tensors
            # instead of a DataLoader that collates every sample in Python.
            if self._last_loaded_round >= self.round_num:
                return
            if self.round_num == 0:
                transitions = rollout.flatten_trajectories(self._all_demos)
            else:
                demo_dir = self._demo_dir_path_for_round()
                if not demo_dir.is_dir() or not self._get_demo_paths(demo_dir):
                    raise dagger.NeedsDemosException(f"no demos for round {self.round_num}")
                transitions, _ = self._load_all_demos()
            ctx.require_transitions(len(transitions), self.batch_size)
            self.bc_trainer.set_demonstrations(
                device_batches(ctx, transitions.obs, transitions.acts)
            )
            self._last_loaded_round = self.round_num

    trainer = DeviceDAggerTrainer(
        venv=venv,
        scratch_dir=ctx.scratch_dir,
        rng=ctx.rng,
        beta_schedule=dagger.ExponentialBetaSchedule(ctx.config.beta_decay),
        bc_trainer=bc_trainer,
        custom_logger=ctx.logger,
    )
    trainer._all_demos = list(dataset_trajs)
    return trainer


def run_dagger(ctx: RunContext) -> RunOutput:
    import datasets as hf_datasets  # imitation stores DAgger rounds as HuggingFace datasets
    from imitation.data import rollout, types

    hf_datasets.disable_progress_bars()
    cfg = ctx.config
    expert = load_expert(ctx.env_id)
    trajs = list(ctx.demos.trajectories)
    demo_obs = np.concatenate([t.obs[:-1] for t in trajs])
    norm = ObsNorm.from_observations(demo_obs) if cfg.normalize_obs else None
    if norm is not None:
        trajs = [
            types.Trajectory(obs=norm(t.obs), acts=t.acts, infos=None, terminal=t.terminal)
            for t in trajs
        ]
    counter = make_training_venv(ctx.env_id, cfg.n_envs, ctx.seed)
    venv = counter if norm is None else NormalizedObsVecEnv(counter, norm)
    bc_trainer = make_bc_trainer(ctx, venv.observation_space, venv.action_space)
    trainer = _make_dagger_trainer(ctx, venv, bc_trainer, trajs)
    oracle = CountingExpert(expert, norm)

    curve: list[dict[str, Any]] = []
    bc_kwargs = {
        "n_epochs": cfg.n_epochs,
        "on_epoch_end": lr_annealer(bc_trainer, cfg),
        "progress_bar": False,
        "log_rollouts_venv": None,
    }

    def train_round() -> None:
        trainer.extend_and_update(bc_kwargs)
        r = trainer.round_num
        if cfg.eval_every and (r % cfg.eval_every == 0 or counter.steps >= cfg.total_timesteps):
            point = evaluate_live(trainer.policy, norm, ctx.env_id, cfg.eval_episodes, ctx.device)
            curve.append(
                {"round": r, "env_steps": counter.steps, "expert_queries": oracle.queries, **point}
            )
            ctx.record_eval(point, step=r)

    try:
        with progress_bar(cfg.total_timesteps, f"DAgger {ctx.task.name}") as advance:
            train_round()  # round 0: BC on the demonstrations
            while counter.steps < cfg.total_timesteps:
                before = counter.steps
                collector = trainer.create_trajectory_collector()
                rollout.generate_trajectories(
                    policy=oracle,
                    venv=collector,
                    sample_until=rollout.make_sample_until(
                        min_timesteps=max(cfg.round_min_timesteps, cfg.batch_size),
                        min_episodes=cfg.round_min_episodes,
                    ),
                    rng=ctx.rng,
                )
                train_round()
                advance(counter.steps - before)
    finally:
        venv.close()
    return RunOutput(
        module=trainer.policy,
        obs_norm=norm,
        curve=curve,
        env_steps=counter.steps,
        expert_queries=oracle.queries,
        offline=False,
        extra={"rounds": trainer.round_num},
    )
