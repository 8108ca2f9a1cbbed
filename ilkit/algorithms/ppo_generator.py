"""GAIL and AIRL with ``generator=ppo``: imitation's adversarial trainers, an SB3 PPO generator.

The generator trains in the public hidden-reward env (its 0.0 reward is replaced by the
discriminator's), with the task's discount γ. Every episode of an ilkit task has the same
length, so imitation's variable-horizon guard stays on: a trajectory of another length is a
bug and stops training.
"""

from __future__ import annotations

import numpy as np

from ilkit.algorithms.adversarial_setup import build_reward_net, setup
from ilkit.algorithms.run import RunContext, RunOutput
from ilkit.policies.artifact import ACTIVATIONS
from ilkit.progress import progress_bar


def build_trainer(ctx: RunContext, venv, transitions):
    """imitation's GAIL or AIRL over ``venv`` with a PPO generator on ``ctx.device``."""
    from imitation.algorithms.adversarial.airl import AIRL
    from imitation.algorithms.adversarial.gail import GAIL
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
    # imitation moves the reward net to the generator's device (the same: ctx.device)
    trainer = GAIL if ctx.algorithm == "gail" else AIRL
    return trainer(reward_net=build_reward_net(ctx, venv), **common)


def run_ppo(ctx: RunContext) -> RunOutput:
    from imitation.util import networks

    cfg = ctx.config
    start = setup(ctx)
    counter, venv, norm = start.counter, start.venv, start.obs_norm
    trainer = build_trainer(ctx, venv, start.transitions)

    per_round = trainer.gen_train_timesteps
    n_rounds = max(1, cfg.total_timesteps // per_round)
    disc_stats: dict[str, float] = {}
    try:
        with progress_bar(n_rounds, f"{ctx.algorithm.upper()} {ctx.task.name}") as advance:
            # imitation's AdversarialTrainer.train() loop, with learning-curve evaluations
            for r in range(n_rounds):
                if cfg.anneal_lr:  # SB3's schedules see one round per learn(), not the run
                    lr = cfg.learning_rate * (1.0 - r / n_rounds)
                    trainer.gen_algo.lr_schedule = lambda _, lr=lr: lr
                trainer.train_gen(per_round)
                for _ in range(cfg.n_disc_updates_per_round):
                    with networks.training(trainer.reward_train):
                        disc_stats = dict(trainer.train_disc())
                if ctx.eval_due(r + 1, n_rounds):
                    ctx.record_point(
                        trainer.policy, norm, step=r, round=r + 1, env_steps=counter.steps
                    )
                else:
                    ctx.logger.dump(r)
                advance(1)
    finally:
        venv.close()
    return start.output(
        ctx,
        trainer.policy,
        trainer.reward_train,
        extra={
            "rounds": n_rounds,
            "gen_timesteps_per_round": per_round,
            "final_disc": {k: float(np.asarray(v)) for k, v in disc_stats.items()},
        },
    )
