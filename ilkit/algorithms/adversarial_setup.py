"""What GAIL's and AIRL's generators (PPO, SAC) both start from: the demonstrations as
transitions, the fixed obs normalisation, the counted training env, and imitation's reward net
(``BasicRewardNet`` for GAIL; ``BasicShapedRewardNet``, reward plus potential shaping, for
AIRL)."""

from __future__ import annotations

import dataclasses
from typing import Any

from ilkit.algorithms.run import RunContext, RunOutput


@dataclasses.dataclass
class Setup:
    """What both generators start from."""

    transitions: Any
    """The demonstrations as imitation ``Transitions`` (obs normalised when ``obs_norm``)."""
    obs_norm: Any
    counter: Any
    """Counts the generator's env steps."""
    venv: Any
    """The env the generator steps (normalised observations when ``obs_norm``)."""

    def output(self, ctx: RunContext, policy, reward_net, **kwargs) -> RunOutput:
        """The run's result: the generator's policy, and the reward it saves under
        ``OUT/reward/``: GAIL's discriminator logit (for contrast: a classifier, not a reward
        meant to transfer), AIRL's g(s, a) (its shaped net without the potential)."""
        from ilkit.rewards import from_reward_net

        kind = "gail_logit" if ctx.algorithm == "gail" else "airl_g"
        return RunOutput(
            module=policy,
            obs_norm=self.obs_norm,
            reward=from_reward_net(reward_net, kind=kind, obs_norm=self.obs_norm),
            curve=ctx.curve,
            env_steps=self.counter.steps,
            expert_queries=0,
            offline=False,
            **kwargs,
        )


def setup(ctx: RunContext) -> Setup:
    from imitation.data import rollout

    from ilkit.algorithms.common import fit_obs_norm
    from ilkit.algorithms.venvs import make_training_venv

    cfg = ctx.config
    transitions = rollout.flatten_trajectories(ctx.demos.trajectories)
    ctx.require_transitions(len(transitions), cfg.demo_batch_size, "demo_batch_size")
    norm = fit_obs_norm(cfg, transitions.obs)
    counter, venv = make_training_venv(ctx.env_id, cfg.n_envs, ctx.seed, norm)
    if norm is not None:
        transitions = norm.transitions(transitions)
    return Setup(transitions=transitions, obs_norm=norm, counter=counter, venv=venv)


def build_reward_net(ctx: RunContext, venv):
    """imitation's reward net of ``ctx.algorithm``, inputs normalised by a RunningNorm: GAIL's
    ``BasicRewardNet`` on (s, a), AIRL's ``BasicShapedRewardNet`` g(s, a) + γh(s') - h(s)."""
    from imitation.rewards.reward_nets import BasicRewardNet, BasicShapedRewardNet
    from imitation.util.networks import RunningNorm

    hidden = list(ctx.config.reward_net_arch)
    if ctx.algorithm == "gail":
        net = BasicRewardNet(
            venv.observation_space,
            venv.action_space,
            hid_sizes=hidden,
            normalize_input_layer=RunningNorm,
        )
    else:
        net = BasicShapedRewardNet(
            venv.observation_space,
            venv.action_space,
            reward_hid_sizes=hidden,
            potential_hid_sizes=hidden,
            discount_factor=ctx.task.gamma,
            normalize_input_layer=RunningNorm,
        )
    return net.to(ctx.device)

