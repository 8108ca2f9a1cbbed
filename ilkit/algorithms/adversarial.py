"""GAIL and AIRL: what the two share whichever generator trains against the discriminator.

* Configs: :class:`AdversarialConfig` holds the keys both generators read; ``generator=ppo``
  (:class:`PPOGeneratorConfig`, imitation's on-policy trainer, :mod:`ppo_generator`) and
  ``generator=sac`` (:class:`SACGeneratorConfig`, off-policy and DAC-style,
  :mod:`offpolicy`) add their own. Choosing a generator switches to its defaults for the
  task; a key of the other generator is an error, not silently ignored.
* The set-up both generators start from is in :mod:`adversarial_setup`.

Light at import; the runners import torch, SB3 and imitation.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from ilkit.algorithms.configs import check_activation, option
from ilkit.algorithms.registry import AlgorithmSpec

if TYPE_CHECKING:
    from ilkit.algorithms.run import RunContext, RunOutput
    from ilkit.envs.tasks import TaskSpec


@dataclasses.dataclass(frozen=True)
class AdversarialConfig:
    """GAIL and AIRL: a discriminator/reward net against an SB3 generator (ppo or sac)."""

    generator: str = option(
        "ppo",
        "Generator: ppo (imitation's on-policy trainer) or sac (off-policy, DAC-style: rewards "
        "relabelled by the current discriminator at sample time). Choosing it switches to that "
        "generator's defaults for the task.",
    )
    total_timesteps: int = option(300_000, "Environment steps of the generator.")
    n_envs: int = option(8, "Parallel environments of the generator.")
    demo_batch_size: int = option(
        1024, "Expert samples per discriminator batch (plus as many generator samples)."
    )
    n_disc_updates_per_round: int = option(
        16, "Discriminator steps after each generator rollout (sac: after each round)."
    )
    disc_lr: float = option(
        3e-3,
        "Adam learning rate of the discriminator (slower rates leave it near chance on "
        "CartPole, so the generator gets no signal).",
    )
    reward_net_arch: tuple[int, ...] = option((32, 32), "Hidden layers of the reward net.")
    batch_size: int = option(64, "Generator minibatch size (PPO, SAC).")
    learning_rate: float = option(
        5e-4, "Generator learning rate (PPO's, or SAC's actor, critics and entropy)."
    )
    net_arch: tuple[int, ...] = option(
        (64, 64),
        "Hidden layers of the generator's MLPs (PPO's policy and value, SAC's actor and critics).",
    )
    activation: str = option(
        "tanh", "Activation of the generator MLPs: tanh, relu, elu, leaky_relu, gelu."
    )
    normalize_obs: bool = option(
        True,
        "Standardise observations with the demonstrations' mean/std (stored in the artifact).",
    )
    eval_every: int = option(
        10, "Rounds between learning-curve evaluations (0: final evaluation only)."
    )
    eval_episodes: int = option(5, "Validation episodes per learning-curve point.")

    def problems(self) -> list[str]:
        return check_activation(self)


@dataclasses.dataclass(frozen=True)
class PPOGeneratorConfig(AdversarialConfig):
    """GAIL/AIRL with imitation's on-policy trainer: an SB3 PPO generator."""

    generator: str = "ppo"
    gen_replay_buffer_capacity: int = option(
        0,
        "Generator samples kept for the discriminator (0: one rollout, imitation's default).",
        zero_ok=True,
    )
    n_steps: int = option(256, "PPO rollout length per environment.")
    n_epochs: int = option(10, "PPO epochs per rollout.")
    anneal_lr: bool = option(
        False,
        "Decay the PPO learning rate linearly to 0 over the rounds (as CleanRL's PPO): the "
        "generator settles instead of drifting once it matches the demonstrations.",
    )
    ent_coef: float = option(0.0, "PPO entropy coefficient.")
    clip_range: float = option(0.2, "PPO clip range.")
    gae_lambda: float = option(0.95, "PPO GAE lambda.")
    vf_coef: float = option(0.5, "PPO value-loss coefficient.")
    max_grad_norm: float = option(0.5, "PPO gradient clipping.")

    def problems(self) -> list[str]:
        return super().problems() + ([] if self.generator == "ppo" else ["generator must be ppo"])


@dataclasses.dataclass(frozen=True)
class SACGeneratorConfig(AdversarialConfig):
    """GAIL/AIRL with an off-policy SAC generator (DAC-style): SB3/rl-zoo SAC settings, a
    discriminator as in DAC (gradient penalty 10, a slower rate than the PPO path's) updated
    250 steps per 1000 generator steps."""

    generator: str = "sac"
    n_envs: int = 1
    learning_rate: float = 3e-4
    batch_size: int = 256
    net_arch: tuple[int, ...] = (256, 256)
    activation: str = "relu"
    demo_batch_size: int = 256
    reward_net_arch: tuple[int, ...] = (64, 64)
    disc_lr: float = 3e-4
    n_disc_updates_per_round: int = 250
    disc_every: int = option(1000, "Generator steps per round (then n_disc_updates_per_round).")
    grad_penalty: float = option(10.0, "Weight of the discriminator's gradient penalty (DAC: 10).")
    airl_log_pi: bool = option(
        False,
        "AIRL: the discriminator's logit is f - log pi(a|s) of the SAC actor (AIRL's form); "
        "off (default): f alone, a classifier on the shaped reward net (Pendulum, 8k steps: "
        "0.99 normalized off, 0.71 on).",
    )
    sac_buffer_size: int = option(1_000_000, "Replay buffer capacity (transitions).")
    sac_learning_starts: int = option(1000, "Random-action steps before SAC updates.")
    sac_tau: float = option(0.005, "Polyak coefficient of the target critics.")
    sac_train_freq: int = option(1, "Environment steps (per env) between SAC updates.")
    sac_gradient_steps: int = option(1, "Gradient steps per SAC update.")
    bc_weight: float = option(
        0.0,
        "Weight w of a behavioural-cloning term added to the actor's loss, w * mean|Q| * "
        "(actor's mean action - expert action)^2 (TD3+BC's form; 0.4 is its 1/2.5), fading "
        "linearly over bc_decay_steps (0: held for the whole run; Walker2d AIRL's default). "
        "0: off.",
    )
    bc_decay_steps: int = option(
        100_000,
        "Environment steps over which bc_weight decays to 0 (0: it never decays, the actor "
        "stays regularised towards the demonstrations).",
        zero_ok=True,
    )

    def problems(self) -> list[str]:
        own = [] if self.generator == "sac" else ["generator must be sac"]
        own += [] if self.sac_tau <= 1 else ["sac_tau must be in [0, 1]"]
        return super().problems() + own


GENERATOR_CONFIGS = {"ppo": PPOGeneratorConfig, "sac": SACGeneratorConfig}


def default_generator(task: TaskSpec) -> str:
    """SAC on MuJoCo (50k-300k steps instead of millions), PPO elsewhere (the classic-control
    rows were measured with it and stay >= 0.9)."""
    return "sac" if task.mujoco else "ppo"


def run(ctx: RunContext) -> RunOutput:
    """GAIL or AIRL (``ctx.algorithm``) with the config's generator."""
    if ctx.config.generator == "sac":
        from ilkit.algorithms.offpolicy import run_sac

        return run_sac(ctx)
    from ilkit.algorithms.ppo_generator import run_ppo

    return run_ppo(ctx)


# Defaults GAIL and AIRL share (each algorithm's file lists its tasks).
PENDULUM_PPO = {
    "total_timesteps": 150_000,
    "anneal_lr": True,
    "n_envs": 4,
    "n_steps": 1024,
    "learning_rate": 3e-4,
    "n_epochs": 10,
    "batch_size": 64,
    "gae_lambda": 0.95,
}
"""rl-zoo's PPO settings for Pendulum (without gSDE, which the artifact format cannot store).
The generator matches the expert by ~60k steps and, at a constant learning rate, can drift away
again late in training (one seed of three fell from 0.99 to 0.19 normalized): anneal."""
SAC_PENDULUM = {"total_timesteps": 20_000, "net_arch": (64, 64), "eval_every": 2}
"""64x64 nets: GAIL 0.96 normalized at 6k steps (35 CPU-s), AIRL 0.71 at 8k (seed 0)."""
MUJOCO_PPO = {"disc_lr": 1e-3}
"""imitation's tuned MuJoCo runs use Adam's default rate for the discriminator."""
SAC_MUJOCO = {"total_timesteps": 300_000, "batch_size": 128, "sac_learning_starts": 10_000}
"""SAC's updates are most of a run's CPU (LeanSAC, 256x256 nets: ~10 ms per step at batch 128,
~14 ms at 256, one core): 300k steps at batch 128 fit issue 12's 90 CPU-minute budget (PPO
generator: 0.02-0.34 normalized at 300k). benchmarks/results/baselines.md has the rows."""
UNTUNED_MUJOCO = {
    name: {"ppo": MUJOCO_PPO, "sac": SAC_MUJOCO} for name in ("Ant", "Swimmer", "Humanoid")
}
"""The MuJoCo tasks imitation has no tuned PPO values for."""


def adversarial_spec(name: str, summary: str, task_defaults) -> AlgorithmSpec:
    """The spec of GAIL or AIRL: the same configs, runner and consumption; own defaults."""
    return AlgorithmSpec(
        name=name,
        summary=summary,
        config=GENERATOR_CONFIGS,
        runner="ilkit.algorithms.adversarial:run",
        task_defaults=task_defaults,
        default_generator=default_generator,
        consumes=("demos", "env_steps"),
        demos_as="trajectories",
        writes=("policy", "reward"),
    )
