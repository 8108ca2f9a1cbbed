"""GAIL and AIRL: imitation's adversarial trainers with an SB3 PPO generator.

The generator trains in the public hidden-reward env (its 0.0 reward is replaced by the
discriminator's), with the task's discount γ. Every episode of an ilkit task has the same
length, so imitation's variable-horizon guard stays on: a trajectory of another length is a
bug and stops training.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from ilkit.algorithms.common import (
    NormalizedObsVecEnv,
    ObsNorm,
    make_training_venv,
    record_curve_point,
)
from ilkit.algorithms.run import RunContext, RunOutput
from ilkit.policies.artifact import ACTIVATIONS
from ilkit.progress import progress_bar


def _normalized_transitions(transitions, norm: ObsNorm | None):
    if norm is None:
        return transitions
    return dataclasses.replace(
        transitions, obs=norm(transitions.obs), next_obs=norm(transitions.next_obs)
    )


def build_trainer(ctx: RunContext, algo: str, venv, transitions):
    """imitation's GAIL or AIRL over ``venv`` with a PPO generator on ``ctx.device``."""
    from imitation.algorithms.adversarial.airl import AIRL
    from imitation.algorithms.adversarial.gail import GAIL
    from imitation.rewards.reward_nets import BasicRewardNet, BasicShapedRewardNet
    from imitation.util.networks import RunningNorm
    from stable_baselines3 import PPO

    cfg = ctx.config
    gen = PPO(
        "MlpPolicy",
        venv,
        n_steps=cfg.n_steps,
        batch_size=cfg.batch_size,
        n_epochs=cfg.n_epochs,
        learning_rate=cfg.learning_rate,
        ent_coef=cfg.ent_coef,
        clip_range=cfg.clip_range,
        gae_lambda=cfg.gae_lambda,
        vf_coef=cfg.vf_coef,
        max_grad_norm=cfg.max_grad_norm,
        gamma=ctx.task.gamma,
        policy_kwargs={
            "net_arch": {"pi": list(cfg.net_arch), "vf": list(cfg.net_arch)},
            "activation_fn": ACTIVATIONS[cfg.activation],
        },
        seed=ctx.seed,
        device=ctx.device,
        verbose=0,
    )
    common = dict(
        demonstrations=transitions,
        demo_batch_size=cfg.demo_batch_size,
        venv=venv,
        gen_algo=gen,
        n_disc_updates_per_round=cfg.n_disc_updates_per_round,
        gen_replay_buffer_capacity=cfg.gen_replay_buffer_capacity or None,
        disc_opt_kwargs={"lr": cfg.disc_lr},
        log_dir=str(ctx.scratch_dir),
        custom_logger=ctx.logger,
        allow_variable_horizon=False,  # fixed-horizon tasks: keep imitation's guard on
    )
    hidden = list(cfg.reward_net_arch)
    if algo == "gail":
        reward_net = BasicRewardNet(
            venv.observation_space,
            venv.action_space,
            hid_sizes=hidden,
            normalize_input_layer=RunningNorm,
        )
        return GAIL(reward_net=reward_net, **common)
    reward_net = BasicShapedRewardNet(
        venv.observation_space,
        venv.action_space,
        reward_hid_sizes=hidden,
        potential_hid_sizes=hidden,
        discount_factor=ctx.task.gamma,
        normalize_input_layer=RunningNorm,
    )
    return AIRL(reward_net=reward_net, **common)


def run_adversarial(ctx: RunContext, algo: str) -> RunOutput:
    from imitation.data import rollout
    from imitation.util import networks

    cfg = ctx.config
    transitions = rollout.flatten_trajectories(ctx.demos.trajectories)
    ctx.require_transitions(len(transitions), cfg.demo_batch_size, "demo_batch_size")
    norm = ObsNorm.from_observations(transitions.obs) if cfg.normalize_obs else None
    counter = make_training_venv(ctx.env_id, cfg.n_envs, ctx.seed)
    venv = counter if norm is None else NormalizedObsVecEnv(counter, norm)
    trainer = build_trainer(ctx, algo, venv, _normalized_transitions(transitions, norm))

    per_round = trainer.gen_train_timesteps
    n_rounds = max(1, cfg.total_timesteps // per_round)
    curve: list[dict[str, Any]] = []
    cpu_start = time.process_time()  # CPU time along the curve (cores may be shared)
    disc_stats: dict[str, float] = {}
    try:
        with progress_bar(n_rounds, f"{algo.upper()} {ctx.task.name}") as advance:
            # imitation's AdversarialTrainer.train() loop, with learning-curve evaluations
            for r in range(n_rounds):
                if cfg.anneal_lr:  # SB3's schedules see one round per learn(), not the run
                    lr = cfg.learning_rate * (1.0 - r / n_rounds)
                    trainer.gen_algo.lr_schedule = lambda _, lr=lr: lr
                trainer.train_gen(per_round)
                for _ in range(cfg.n_disc_updates_per_round):
                    with networks.training(trainer.reward_train):
                        disc_stats = dict(trainer.train_disc())
                last = r == n_rounds - 1
                if cfg.eval_every and ((r + 1) % cfg.eval_every == 0 or last):
                    record_curve_point(
                        curve, trainer.logger, trainer.policy, norm, ctx.env_id,
                        cfg.eval_episodes, ctx.device,
                        round_=r + 1, env_steps=counter.steps, cpu_start=cpu_start,
                    )  # fmt: skip
                trainer.logger.dump(r)
                advance(1)
    finally:
        venv.close()
    return RunOutput(
        module=trainer.policy,
        obs_norm=norm,
        curve=curve,
        env_steps=counter.steps,
        expert_queries=0,
        offline=False,
        extra={
            "rounds": n_rounds,
            "gen_timesteps_per_round": per_round,
            "final_disc": {k: float(np.asarray(v)) for k, v in disc_stats.items()},
        },
    )
