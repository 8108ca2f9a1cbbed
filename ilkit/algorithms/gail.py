"""GAIL (Ho & Ermon 2016): a discriminator on (s, a) whose logit rewards an SB3 generator.

The training loop lives in :mod:`ppo_generator` (``generator=ppo``) and :mod:`offpolicy`
(``generator=sac``); what GAIL shares with AIRL is in :mod:`adversarial`.
"""

from ilkit.algorithms.adversarial import (
    MUJOCO_PPO,
    PENDULUM_PPO,
    SAC_MUJOCO,
    SAC_PENDULUM,
    UNTUNED_MUJOCO,
    adversarial_spec,
)

# Per task and generator: overrides of PPOGeneratorConfig / SACGeneratorConfig. The MuJoCo PPO
# rows are imitation's tuned hyperparameters for the seals tasks (imitation/scripts/config/
# tuned_hps); the PPO generator reached only 0.02-0.34 normalized there in 300k steps, hence
# SAC by default on MuJoCo.
TASK_DEFAULTS = {
    "CartPole": {"ppo": {"total_timesteps": 100_000}},
    "Pendulum": {"ppo": PENDULUM_PPO, "sac": SAC_PENDULUM},
    "Hopper": {
        "ppo": {
            **MUJOCO_PPO,
            "demo_batch_size": 128,
            "gen_replay_buffer_capacity": 4096,
            "n_disc_updates_per_round": 8,
            "batch_size": 512,
            "clip_range": 0.1,
            "ent_coef": 0.001255,
            "gae_lambda": 0.98,
            "learning_rate": 4.398e-5,
            "max_grad_norm": 0.9,
            "n_epochs": 20,
            "vf_coef": 0.2032,
            "activation": "relu",
        },
        # seed 0: 0.83 at 90k steps, 0.97 / 0.98 at 120k / 130k (5 episodes a point)
        "sac": {**SAC_MUJOCO, "total_timesteps": 200_000},
    },
    "HalfCheetah": {
        "ppo": {
            **MUJOCO_PPO,
            "demo_batch_size": 8192,
            "gen_replay_buffer_capacity": 512,
            "n_disc_updates_per_round": 8,
            "clip_range": 0.1,
            "ent_coef": 3.992e-6,
            "learning_rate": 2.625e-4,
            "max_grad_norm": 0.8,
            "n_epochs": 5,
            "vf_coef": 0.1148,
        },
        # 1.18 normalized on seed 0 at 50k steps (50 validation episodes, 11 CPU-min)
        "sac": {**SAC_MUJOCO, "total_timesteps": 50_000, "batch_size": 256},
    },
    "Walker2d": {
        "ppo": {
            **MUJOCO_PPO,
            "demo_batch_size": 512,
            "gen_replay_buffer_capacity": 16384,
            "n_disc_updates_per_round": 16,
            "batch_size": 128,
            "clip_range": 0.4,
            "ent_coef": 7.566e-4,
            "gae_lambda": 0.92,
            "learning_rate": 1.944e-5,
            "max_grad_norm": 0.6,
            "n_epochs": 20,
            "vf_coef": 0.6167,
            "activation": "relu",
        },
        "sac": SAC_MUJOCO,
    },
    **UNTUNED_MUJOCO,
}

SPEC = adversarial_spec(
    "gail",
    "adversarial imitation: a discriminator's reward trains a generator policy",
    TASK_DEFAULTS,
)
