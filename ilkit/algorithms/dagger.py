"""DAgger: imitation's ``DAggerTrainer`` with the bundled expert as the oracle.

Round 0 trains BC on the dataset's demonstrations. Each later round rolls out a mixture of
learner and expert (the expert acts with probability ``beta_decay**round``), asks the expert to
label every visited state, aggregates, and retrains BC on everything so far. Every label is one
expert query; the run reports how many it used, and how many environment steps.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ilkit.algorithms.bc import MUJOCO_BC, BCConfig, device_batches, lr_annealer, make_bc_trainer
from ilkit.algorithms.common import ObsNorm, fit_obs_norm
from ilkit.algorithms.configs import mujoco_tasks, option
from ilkit.algorithms.registry import AlgorithmSpec
from ilkit.algorithms.run import RunContext, RunOutput
from ilkit.progress import progress_bar


@dataclasses.dataclass(frozen=True)
class DAggerConfig(BCConfig):
    """DAgger: BC on the expert's labels of states the learner visits."""

    n_epochs: int = option(4, "BC epochs over the aggregated data after each round.")
    total_timesteps: int = option(
        20_000, "Environment steps of the learner/expert mixture, over all rounds."
    )
    round_min_episodes: int = option(2, "Episodes collected per round (at least).")
    round_min_timesteps: int = option(1_000, "Environment steps collected per round (at least).")
    beta_decay: float = option(
        0.5,
        "Probability of the expert acting decays as beta_decay**round (imitation's "
        "exponential schedule; round 0 is the dataset).",
    )
    n_envs: int = option(4, "Parallel environments for the rollouts.")
    eval_every: int = option(
        1, "Rounds between learning-curve evaluations (0: final evaluation only)."
    )

    def problems(self) -> list[str]:
        beta = [] if 0.0 <= self.beta_decay < 1.0 else ["beta_decay must be in [0, 1)"]
        return super().problems() + beta


_LUNAR = {"net_arch": (64, 64), "total_timesteps": 40_000, "round_min_timesteps": 4_000}
TASK_DEFAULTS: dict[str, dict[str, Any]] = {
    "CartPole": {"total_timesteps": 10_000, "round_min_timesteps": 2_000},
    "Pendulum": {"net_arch": (64, 64), "total_timesteps": 10_000},
    "LunarLander": _LUNAR,
    "LunarLanderContinuous": _LUNAR,
    # BC's MuJoCo net, retrained (rate annealed) 10 epochs a round on the aggregate
    **{name: {**MUJOCO_BC, "n_epochs": 10, "eval_every": 1} for name in mujoco_tasks()},
}


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
            # instead of a DataLoader that collates every sample in Python: 2.5-3.9x BC
            # throughput (benchmarks/results/bc_throughput.md). Pinned to imitation's source
            # by tests/test_pinned_copies.py.
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


def run(ctx: RunContext) -> RunOutput:
    import datasets as hf_datasets  # imitation stores DAgger rounds as HuggingFace datasets
    from imitation.data import rollout, types

    from ilkit.algorithms.venvs import make_training_venv
    from ilkit.experts import load as load_expert

    hf_datasets.disable_progress_bars()
    cfg = ctx.config
    expert = load_expert(ctx.env_id)
    trajs = list(ctx.demos.trajectories)
    demo_obs = np.concatenate([t.obs[:-1] for t in trajs])
    norm = fit_obs_norm(cfg, demo_obs)
    if norm is not None:
        trajs = [
            types.Trajectory(obs=norm(t.obs), acts=t.acts, infos=None, terminal=t.terminal)
            for t in trajs
        ]
    counter, venv = make_training_venv(ctx.env_id, cfg.n_envs, ctx.seed, norm)
    bc_trainer = make_bc_trainer(ctx, venv.observation_space, venv.action_space)
    trainer = _make_dagger_trainer(ctx, venv, bc_trainer, trajs)
    oracle = CountingExpert(expert, norm)

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
            ctx.record_point(
                trainer.policy, norm, step=r,
                round=r, env_steps=counter.steps, expert_queries=oracle.queries,
            )  # fmt: skip

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
        curve=ctx.curve,
        env_steps=counter.steps,
        expert_queries=oracle.queries,
        offline=False,
        extra={"rounds": trainer.round_num},
    )


SPEC = AlgorithmSpec(
    name="dagger",
    summary="BC plus the bundled expert labelling the learner's states (counts queries)",
    config=DAggerConfig,
    runner=run,
    task_defaults=TASK_DEFAULTS,
    consumes=("demos", "expert_queries", "env_steps"),
    demos_as="trajectories",
)
