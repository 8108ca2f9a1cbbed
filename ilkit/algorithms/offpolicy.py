"""GAIL and AIRL with an off-policy SAC generator (``generator=sac``), in the style of DAC.

Discriminator-Actor-Critic (Kostrikov et al., ICLR 2019) makes adversarial imitation
sample-efficient with three changes to GAIL, all kept here:

* the generator is an off-policy learner (SB3's SAC) that reuses every transition it collected;
* the reward of a replayed transition is recomputed by the *current* discriminator each time
  SAC samples it (:class:`RelabelingReplayBuffer`), never stored at collection time, so old
  transitions do not carry the rewards of an old discriminator;
* the discriminator is trained on replay-buffer samples against expert transitions with a
  gradient penalty (WGAN-GP style, on interpolates of the two), which keeps its rewards smooth.

DAC's absorbing-state trick is not needed: every ilkit task has a fixed horizon, so an episode
end is always a time-out and SAC keeps bootstrapping through it.

The reward nets and reward formulas are imitation's: :class:`BasicRewardNet` (GAIL; generator
reward ``-log(1 - D) = softplus(logit)``) and :class:`BasicShapedRewardNet` (AIRL; discriminator
logit ``f(s, a, s') - log pi(a|s)``, generator reward ``f``, SAC adding the entropy term), both
with :class:`RunningNorm` on the inputs and a RunningNorm on the generator's reward as
imitation's tuned runs use. Actions enter the reward net in SAC's [-1, 1] scale, the expert's
rescaled the same way. The saved policy is SAC's actor (the ``sac_actor`` artifact kind).

``bc_weight`` > 0 adds TD3+BC's behavioural-cloning term to the actor's loss (off by default):
the actor is held near BC's fit of the demonstrations, for the whole run or fading.
"""

from __future__ import annotations

import functools
import json
import math
import time
from typing import Any

import numpy as np
import torch as th
from stable_baselines3 import SAC
from stable_baselines3.common.buffers import ReplayBuffer
from stable_baselines3.common.utils import polyak_update
from stable_baselines3.sac.policies import LOG_STD_MAX, LOG_STD_MIN

from ilkit.algorithms import run_checkpoint as checkpoint
from ilkit.algorithms.adversarial_setup import build_reward_net, setup
from ilkit.algorithms.errors import TrainingError
from ilkit.algorithms.run import RunContext, RunOutput
from ilkit.envs.seeds import VALIDATION_BASE
from ilkit.experts.expert_checkpoint import (
    buffer_arrays,
    load_sb3_params,
    restore_buffer,
    sb3_params,
)
from ilkit.policies.artifact import ACTIVATIONS
from ilkit.progress import log, progress_bar

# Expert actions are clipped inside SAC's squashed range so that log pi(a|s) stays finite.
_ACTION_EDGE = 1.0 - 1e-3
_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))  # torch's Normal.log_prob constant


class DiscriminatorReward:
    """The generator's reward from the current discriminator (filled in once the net exists)."""

    def __init__(self) -> None:
        self.fn = None

    def __call__(self, obs, acts, next_obs, dones) -> th.Tensor:
        return self.fn(obs, acts, next_obs, dones)


class RelabelingReplayBuffer(ReplayBuffer):
    """SB3's replay buffer whose sampled rewards come from ``reward_fn`` at sample time."""

    def __init__(self, *args, reward_fn: DiscriminatorReward, **kwargs):
        super().__init__(*args, **kwargs)
        self.reward_fn = reward_fn

    def sample_stored(self, batch_size: int):
        """A uniform batch with the stored (env) rewards: the discriminator's generator data."""
        upper = self.buffer_size if self.full else self.pos
        return super()._get_samples(np.random.randint(0, upper, size=batch_size))

    def _get_samples(self, batch_inds, env=None):
        samples = super()._get_samples(batch_inds, env)
        with th.no_grad():
            rewards = self.reward_fn(
                samples.observations, samples.actions, samples.next_observations, samples.dones
            )
        return samples._replace(rewards=rewards.reshape(-1, 1).to(samples.rewards.dtype))


class Discriminator:
    """imitation's reward net as a GAIL or AIRL discriminator, trained with a gradient penalty."""

    def __init__(self, ctx: RunContext, venv, gen, expert: dict[str, th.Tensor]):
        from imitation.util.networks import RunningNorm

        cfg = ctx.config
        self.algo = ctx.algorithm
        self.net = build_reward_net(ctx, venv)
        self.reward_norm = RunningNorm(1).to(ctx.device)
        self.optimizer = th.optim.Adam(self.net.parameters(), lr=cfg.disc_lr)
        self.gen = gen
        self.expert = expert
        self.batch_size = cfg.demo_batch_size
        self.grad_penalty = cfg.grad_penalty
        self.log_pi_term = cfg.airl_log_pi
        self.device = ctx.device

    def _log_pi(self, obs: th.Tensor, acts: th.Tensor) -> th.Tensor:
        """log pi(a|s) of the current SAC actor for actions in its [-1, 1] scale (AIRL)."""
        actor = self.gen.actor
        mean, log_std, kwargs = actor.get_action_dist_params(obs)
        dist = actor.action_dist.proba_distribution(mean, log_std, **kwargs)
        return dist.log_prob(acts.clamp(-_ACTION_EDGE, _ACTION_EDGE))

    def logits(self, obs, acts, next_obs, dones) -> th.Tensor:
        """Logit of "this transition is the expert's"."""
        out = self.net(obs, acts, next_obs, dones)
        if self.algo == "airl" and self.log_pi_term:
            with th.no_grad():  # the policy's term is a fixed input to the classifier
                log_pi = self._log_pi(obs, acts)
            out = out - log_pi
        return out

    def reward(self, obs, acts, next_obs, dones) -> th.Tensor:
        """The generator's reward, normalised by a running mean/std (imitation's RunningNorm)."""
        # the buffer keeps the env's dtype (float64 on MuJoCo); the nets are float32
        obs, acts, next_obs = obs.float(), acts.float(), next_obs.float()
        dones = dones.reshape(-1).float()
        was_training = self.net.training
        self.net.eval()  # no input-statistics update from generator batches
        try:
            raw = self.net(obs, acts, next_obs, dones)
        finally:
            self.net.train(was_training)
        if self.algo == "gail":
            raw = th.nn.functional.softplus(raw)  # -log(1 - D)
        self.reward_norm.train()
        return self.reward_norm(raw.reshape(-1, 1)).reshape(-1)

    def train_step(self, buffer: RelabelingReplayBuffer) -> dict[str, float]:
        """One Adam step on a balanced batch: replay-buffer samples vs expert transitions."""
        gen = buffer.sample_stored(self.batch_size)
        gen = gen._replace(
            observations=gen.observations.float(),
            actions=gen.actions.float(),
            next_observations=gen.next_observations.float(),
            dones=gen.dones.float(),
        )
        idx = th.randint(0, len(self.expert["obs"]), (self.batch_size,), device=self.device)
        exp = {k: v[idx] for k, v in self.expert.items()}
        obs = th.cat([exp["obs"], gen.observations])
        acts = th.cat([exp["acts"], gen.actions])
        next_obs = th.cat([exp["next_obs"], gen.next_observations])
        dones = th.cat([exp["dones"], gen.dones.reshape(-1)])
        labels = th.cat([th.ones(self.batch_size), th.zeros(self.batch_size)]).to(self.device)
        self.net.train()
        logits = self.logits(obs, acts, next_obs, dones)
        loss = th.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        penalty = th.zeros((), device=self.device)
        if self.grad_penalty > 0:
            penalty = self._gradient_penalty(exp, gen)
        self.optimizer.zero_grad()
        (loss + self.grad_penalty * penalty).backward()
        self.optimizer.step()
        with th.no_grad():
            correct = ((logits > 0).float() == labels).float()
        return {
            "disc_loss": float(loss),
            "grad_penalty": float(penalty),
            "disc_acc_expert": float(correct[: self.batch_size].mean()),
            "disc_acc_gen": float(correct[self.batch_size :].mean()),
        }

    def _gradient_penalty(self, exp: dict[str, th.Tensor], gen) -> th.Tensor:
        """(||grad of the reward net at an interpolate|| - 1)^2 (Gulrajani et al.; DAC uses 10)."""
        eps = th.rand(self.batch_size, 1, device=self.device)
        parts = [
            (exp["obs"], gen.observations),
            (exp["acts"], gen.actions),
            (exp["next_obs"], gen.next_observations),
        ]
        mixed = [(eps * a + (1 - eps) * b).requires_grad_(True) for a, b in parts]
        self.net.eval()  # interpolates do not move the input statistics
        out = self.net(*mixed, exp["dones"])
        self.net.train()
        # GAIL's BasicRewardNet reads (s, a) only: s' gets no gradient
        grads = th.autograd.grad(out.sum(), mixed, create_graph=True, allow_unused=True)
        norm = th.cat([g.flatten(1) for g in grads if g is not None], dim=1).norm(dim=1)
        return ((norm - 1.0) ** 2).mean()


def _expert_tensors(transitions, gen, device) -> dict[str, th.Tensor]:
    """The (already normalised) demonstrations on ``device``, actions in SAC's [-1, 1] scale."""
    obs, next_obs = transitions.obs, transitions.next_obs
    acts = np.clip(gen.policy.scale_action(transitions.acts), -_ACTION_EDGE, _ACTION_EDGE)
    return {
        "obs": th.as_tensor(np.asarray(obs, dtype=np.float32), device=device),
        "acts": th.as_tensor(np.asarray(acts, dtype=np.float32), device=device),
        "next_obs": th.as_tensor(np.asarray(next_obs, dtype=np.float32), device=device),
        # ilkit episodes end by time-out only: no expert transition is terminal
        "dones": th.zeros(len(obs), device=device),
    }


def _mlp(layers: th.nn.Sequential, x: th.Tensor, frozen: bool = False) -> th.Tensor:
    """``layers(x)`` with the same ops minus the module calls; ``frozen``: no weight gradients."""
    for layer in layers:
        if type(layer) is th.nn.Linear:
            weight, bias = layer.weight, layer.bias
            if frozen:
                weight, bias = weight.detach(), bias.detach()
            x = th.nn.functional.linear(x, weight, bias)
        elif type(layer) is th.nn.ReLU:
            x = th.relu(x)
        else:
            x = layer(x)
    return x


class LeanSAC(SAC):
    """SB3's SAC with the same update computed with less work.

    On a CPU, SAC's update is most of a GAIL/AIRL run's time, and SB3 spends part of it on work
    whose result it throws away. ``train`` here makes the same steps with the same tensors:

    * the actor's loss backpropagates through the critics without computing gradients for the
      critics' weights (SB3 computes them, then the next critic step zeroes them);
    * the squashed Gaussian's sample and log-probability are SB3's and torch's ops without the
      ``Normal`` object, its argument checks and its multiply by ones; the nets run as their
      ``F.linear``/``relu`` ops without module calls; the observations become float once per
      batch, not once per net;
    * the target critics move with two fused ``_foreach`` ops over all their tensors (SB3: a
      Python loop of two ops per tensor, the same arithmetic);
    * Adam runs its ``foreach`` implementation (torch picks it on CUDA only; same arithmetic).

    ``tests/algorithms/test_offpolicy.py`` checks that both reach identical weights;
    ``benchmarks/sac_update.py`` measures the gain (``benchmarks/results/sac_update.md``), which
    is what pays for following SB3's private ``train`` (pinned to SB3's source by
    ``tests/test_pinned_copies.py``). Matrix products are most of what is left: the update
    makes 16 of the 256x256x256 products SB3's 18 make, and no fewer without changing SAC.

    :meth:`add_bc_term` adds a behavioural-cloning term to the actor's loss (off by default;
    with it off the update is SB3's).
    """

    bc_obs: th.Tensor | None = None
    bc_acts: th.Tensor | None = None
    bc_weight = 0.0
    bc_decay_steps = 0

    def add_bc_term(self, obs: th.Tensor, acts: th.Tensor, weight: float, decay_steps: int):
        """Pull the actor's mean action towards the expert's ``acts`` (SAC's [-1, 1] scale) at
        ``obs``, with TD3+BC's scale ``weight * mean|Q|``, decaying linearly to 0 over the first
        ``decay_steps`` environment steps (0: never). On Walker2d AIRL only the held term kept
        the expert's gait: once a fading one fell below ~0.2 the actor fell back (baselines.md)."""
        self.bc_obs, self.bc_acts = obs, acts
        self.bc_weight, self.bc_decay_steps = weight, decay_steps

    def bc_weight_now(self) -> float:
        if self.bc_obs is None:
            return 0.0
        if not self.bc_decay_steps:
            return self.bc_weight
        return self.bc_weight * max(0.0, 1.0 - self.num_timesteps / self.bc_decay_steps)

    def __init__(self, *args, policy_kwargs: dict[str, Any] | None = None, **kwargs):
        policy_kwargs = dict(policy_kwargs or {})
        optimizer_kwargs = {"foreach": True, **policy_kwargs.get("optimizer_kwargs", {})}
        policy_kwargs["optimizer_kwargs"] = optimizer_kwargs
        super().__init__(*args, policy_kwargs=policy_kwargs, **kwargs)

    def _lean_path(self) -> bool:
        """Whether the nets are SB3's plain MLPs on flat Box observations (else: module calls)."""
        from gymnasium import spaces
        from stable_baselines3.common.torch_layers import FlattenExtractor

        space = self.observation_space
        return (
            isinstance(space, spaces.Box)
            and len(space.shape) == 1
            and not self.use_sde
            and not self.critic.share_features_extractor
            and type(self.actor.features_extractor) is FlattenExtractor
            and type(self.critic.features_extractor) is FlattenExtractor
        )

    def _sample(self, features: th.Tensor) -> tuple[th.Tensor, th.Tensor]:
        """``actor.action_log_prob`` from the actor's features: SB3's squashed Gaussian, op by op
        (``Normal.rsample`` and ``log_prob``, then the tanh correction with SB3's epsilon)."""
        actor = self.actor
        latent = _mlp(actor.latent_pi, features)
        mean = _mlp([actor.mu], latent)
        std = th.clamp(_mlp([actor.log_std], latent), LOG_STD_MIN, LOG_STD_MAX).exp()
        gaussian = mean + th.empty_like(mean).normal_() * std
        action = th.tanh(gaussian)
        log_prob = -((gaussian - mean) ** 2) / (2 * std**2) - std.log() - _LOG_SQRT_2PI
        log_prob = log_prob.sum(dim=1)
        log_prob -= th.sum(th.log(1 - action**2 + actor.action_dist.epsilon), dim=1)
        return action, log_prob

    def train(self, gradient_steps: int, batch_size: int = 64) -> None:
        self.policy.set_training_mode(True)
        optimizers = [self.actor.optimizer, self.critic.optimizer]
        if self.ent_coef_optimizer is not None:
            optimizers += [self.ent_coef_optimizer]
        self._update_learning_rate(optimizers)
        lean = self._lean_path()
        critic_params = list(self.critic.parameters())
        # a features extractor shared with the actor must keep its gradients
        critic_weights = [
            p for n, p in self.critic.named_parameters() if "features_extractor" not in n
        ]
        target_params = list(self.critic_target.parameters())
        q_nets, target_nets = self.critic.q_networks, self.critic_target.q_networks
        ent_coef_losses, ent_coefs, actor_losses, critic_losses = [], [], [], []
        bc_weight, bc_losses = self.bc_weight_now(), []
        for gradient_step in range(gradient_steps):
            data = self.replay_buffer.sample(batch_size, env=self._vec_normalize_env)
            if self.use_sde:
                self.actor.reset_noise()
            if lean:  # what SB3's FlattenExtractor makes of a flat Box observation, once
                obs, next_obs = data.observations.float(), data.next_observations.float()
                actions_pi, log_prob = self._sample(obs)
            else:
                actions_pi, log_prob = self.actor.action_log_prob(data.observations)
            log_prob = log_prob.reshape(-1, 1)
            if self.ent_coef_optimizer is not None and self.log_ent_coef is not None:
                ent_coef = th.exp(self.log_ent_coef.detach())
                ent_coef_loss = -(
                    self.log_ent_coef * (log_prob + self.target_entropy).detach()
                ).mean()
                ent_coef_losses.append(ent_coef_loss.detach())
                self.ent_coef_optimizer.zero_grad()
                ent_coef_loss.backward()
                self.ent_coef_optimizer.step()
            else:
                ent_coef = self.ent_coef_tensor
            ent_coefs.append(ent_coef.detach().reshape(-1)[0])

            with th.no_grad():
                if lean:
                    next_actions, next_log_prob = self._sample(next_obs)
                    x = th.cat([next_obs, next_actions], dim=1)
                    next_q = functools.reduce(th.minimum, [_mlp(q, x) for q in target_nets])
                else:
                    next_actions, next_log_prob = self.actor.action_log_prob(data.next_observations)
                    next_q = th.cat(self.critic_target(data.next_observations, next_actions), dim=1)
                    next_q, _ = th.min(next_q, dim=1, keepdim=True)
                next_q = next_q - ent_coef * next_log_prob.reshape(-1, 1)
                target_q = data.rewards + (1 - data.dones) * self.gamma * next_q
            if lean:
                x = th.cat([obs, data.actions], dim=1)
                current_q = [_mlp(q, x) for q in q_nets]
            else:
                current_q = self.critic(data.observations, data.actions)
            # SB3's 0.5 * sum(...) adds a leading 0, which changes no bit
            losses = [th.nn.functional.mse_loss(q, target_q) for q in current_q]
            critic_loss = losses[0]
            for loss in losses[1:]:
                critic_loss = critic_loss + loss
            critic_loss = 0.5 * critic_loss
            critic_losses.append(critic_loss.detach())
            self.critic.optimizer.zero_grad()
            critic_loss.backward()
            self.critic.optimizer.step()

            if lean:  # the actor's step needs no critic gradients
                x = th.cat([obs, actions_pi], dim=1)
                q_pi = th.cat([_mlp(q, x, frozen=True) for q in q_nets], dim=1)
            else:
                for param in critic_weights:
                    param.requires_grad_(False)
                try:
                    q_pi = th.cat(self.critic(data.observations, actions_pi), dim=1)
                finally:
                    for param in critic_weights:
                        param.requires_grad_(True)
            min_q_pi, _ = th.min(q_pi, dim=1, keepdim=True)
            actor_loss = (ent_coef * log_prob - min_q_pi).mean()
            if bc_weight > 0:
                idx = th.randint(0, len(self.bc_obs), (batch_size,), device=self.device)
                mean_action = self.actor(self.bc_obs[idx], deterministic=True)
                bc_loss = th.nn.functional.mse_loss(mean_action, self.bc_acts[idx])
                bc_losses.append(bc_loss.detach())
                actor_loss = actor_loss + bc_weight * min_q_pi.abs().mean().detach() * bc_loss
            actor_losses.append(actor_loss.detach())
            self.actor.optimizer.zero_grad()
            actor_loss.backward()
            self.actor.optimizer.step()

            if gradient_step % self.target_update_interval == 0:
                with th.no_grad():  # polyak_update's arithmetic, fused
                    th._foreach_mul_(target_params, 1 - self.tau)
                    th._foreach_add_(target_params, critic_params, alpha=self.tau)
                if self.batch_norm_stats:
                    polyak_update(self.batch_norm_stats, self.batch_norm_stats_target, 1.0)
        self._n_updates += gradient_steps
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record("train/ent_coef", _mean(ent_coefs))
        self.logger.record("train/actor_loss", _mean(actor_losses))
        self.logger.record("train/critic_loss", _mean(critic_losses))
        if ent_coef_losses:
            self.logger.record("train/ent_coef_loss", _mean(ent_coef_losses))
        if bc_losses:
            self.logger.record("train/bc_weight", bc_weight)
            self.logger.record("train/bc_loss", _mean(bc_losses))


def _mean(values: list[th.Tensor]) -> float:
    """The mean of logged scalars, kept as tensors in the loop (no ``.item()`` per step)."""
    return float(np.mean(th.stack(values).cpu().numpy(), dtype=np.float64))


def build_generator(ctx: RunContext, venv, reward: DiscriminatorReward):
    """SB3 SAC over ``venv`` whose replay buffer asks ``reward`` for every sampled batch."""
    cfg = ctx.config
    return LeanSAC(
        "MlpPolicy",
        venv,
        learning_rate=cfg.learning_rate,
        buffer_size=cfg.sac_buffer_size,
        learning_starts=cfg.sac_learning_starts,
        batch_size=cfg.batch_size,
        tau=cfg.sac_tau,
        gamma=ctx.task.gamma,
        train_freq=cfg.sac_train_freq,
        gradient_steps=cfg.sac_gradient_steps,
        replay_buffer_class=RelabelingReplayBuffer,
        replay_buffer_kwargs={"reward_fn": reward},
        policy_kwargs={
            "net_arch": list(cfg.net_arch),
            "activation_fn": ACTIVATIONS[cfg.activation],
        },
        seed=ctx.seed,
        device=ctx.device,
        verbose=0,
    )


def run_sac(ctx: RunContext) -> RunOutput:
    """GAIL or AIRL with a SAC generator: rounds of ``disc_every`` generator steps, each
    followed by ``n_disc_updates_per_round`` discriminator steps."""
    from gymnasium import spaces

    cfg = ctx.config
    if not isinstance(ctx.action_space, spaces.Box):
        raise TrainingError(
            f"generator=sac needs continuous actions; {ctx.task.id} has "
            f"{type(ctx.action_space).__name__} actions (use --set generator=ppo)"
        )
    start = setup(ctx)
    counter, venv, norm = start.counter, start.venv, start.obs_norm
    reward = DiscriminatorReward()
    gen = build_generator(ctx, venv, reward)
    gen.set_logger(ctx.logger)
    disc = Discriminator(ctx, venv, gen, _expert_tensors(start.transitions, gen, ctx.device))
    reward.fn = disc.reward
    if cfg.bc_weight > 0:
        gen.add_bc_term(disc.expert["obs"], disc.expert["acts"], cfg.bc_weight, cfg.bc_decay_steps)

    n_rounds = max(1, cfg.total_timesteps // cfg.disc_every)
    disc_stats: dict[str, float] = {}
    start_round, prior_cpu_s, prior_wall_s = 0, 0.0, 0.0
    saved = ctx.checkpoint.load() if ctx.checkpoint is not None else None
    if saved is not None:
        start_round, prior_cpu_s, prior_wall_s, ctx.curve, disc_stats = _restore(
            saved, gen, disc, counter
        )
        # a fresh episode stream, still below the held-out seeds
        counter.venv.seed(int(saved["env_seed"]))
        log(f"resumed from {ctx.checkpoint.path} at round {start_round}/{n_rounds}")
    # CPU time along the curve (cores may be shared), counting the CPU before a resume
    ctx.cpu_start = cpu_start = time.process_time() - prior_cpu_s
    wall_start = time.perf_counter() - prior_wall_s
    try:
        with progress_bar(n_rounds, f"{ctx.algorithm.upper()}+SAC {ctx.task.name}") as advance:
            advance(start_round)
            for r in range(start_round, n_rounds):
                with ctx.logger.accumulate_means("gen"):
                    gen.learn(cfg.disc_every, reset_num_timesteps=False)
                if gen.replay_buffer.size() >= cfg.demo_batch_size:
                    for _ in range(cfg.n_disc_updates_per_round):
                        disc_stats = disc.train_step(gen.replay_buffer)
                    for key, value in disc_stats.items():
                        ctx.logger.record(f"disc/{key}", value)
                last = r == n_rounds - 1
                if ctx.eval_due(r + 1, n_rounds):
                    ctx.record_point(gen.actor, norm, step=r, round=r + 1, env_steps=counter.steps)
                else:
                    ctx.logger.dump(r)
                if ctx.checkpoint is not None and not last and ctx.checkpoint.due():
                    ctx.checkpoint.save(
                        _state(ctx.seed, r + 1, gen, disc, counter, ctx.curve, disc_stats,
                               time.process_time() - cpu_start,
                               time.perf_counter() - wall_start)
                    )  # fmt: skip
                advance(1)
    finally:
        venv.close()
    return start.output(
        ctx,
        gen.actor,
        disc.net,
        prior_cpu_s=prior_cpu_s,
        prior_wall_s=prior_wall_s,
        extra={
            "rounds": n_rounds,
            "resumed_at_round": start_round if saved is not None else None,
            "gen_timesteps_per_round": cfg.disc_every,
            "final_disc": disc_stats,
        },
    )


def _state(
    seed, next_round, gen, disc, counter, curve, disc_stats, cpu_s, wall_s
) -> dict[str, Any]:
    """Everything a resumed run needs, as tensors and plain values (see :mod:`checkpoint`)."""
    buffer = gen.replay_buffer
    env_seed = np.random.SeedSequence([seed, next_round]).generate_state(1)[0]
    return {
        "round": next_round,
        "cpu_s": cpu_s,
        "wall_s": wall_s,
        "env_steps": counter.steps,
        "env_seed": int(env_seed) % (VALIDATION_BASE - counter.num_envs),
        "curve": json.dumps(curve, default=float),
        "disc_stats": json.dumps(disc_stats),
        "sac": {
            **sb3_params(gen),
            "num_timesteps": gen.num_timesteps,
            "n_updates": gen._n_updates,
            "episode_num": gen._episode_num,
        },
        "buffer": {
            **checkpoint.tensors(buffer_arrays(buffer)),
            "pos": buffer.pos,
            "full": buffer.full,
        },
        "disc": {
            "net": disc.net.state_dict(),
            "reward_norm": disc.reward_norm.state_dict(),
            "optimizer": disc.optimizer.state_dict(),
        },
        "rng": {"torch": th.get_rng_state(), "numpy": checkpoint.numpy_rng_state()},
    }


def _restore(state: dict[str, Any], gen, disc, counter):
    """Load a :func:`_state` into freshly built objects; returns (round, cpu_s, wall_s, curve,
    stats)."""
    sac = state["sac"]
    load_sb3_params(gen, sac)
    gen.num_timesteps = sac["num_timesteps"]
    gen._n_updates = sac["n_updates"]
    gen._episode_num = sac["episode_num"]
    stored = state["buffer"]
    arrays = {k: v.numpy() for k, v in stored.items() if k not in ("pos", "full")}
    restore_buffer(gen.replay_buffer, arrays, stored["pos"], stored["full"])
    disc.net.load_state_dict(state["disc"]["net"])
    disc.reward_norm.load_state_dict(state["disc"]["reward_norm"])
    disc.optimizer.load_state_dict(state["disc"]["optimizer"])
    th.set_rng_state(state["rng"]["torch"])
    checkpoint.set_numpy_rng_state(state["rng"]["numpy"])
    counter.steps = state["env_steps"]
    return (
        state["round"],
        state["cpu_s"],
        state.get("wall_s", 0.0),  # not in the first format-2 checkpoints (2026-12-03)
        json.loads(state["curve"]),
        json.loads(state["disc_stats"]),
    )
