"""Behavioural cloning: imitation's ``bc.BC`` fed by the device-resident batch sampler.

imitation's loss is the negative log-likelihood of the expert's action under the policy:
cross-entropy for discrete actions, Gaussian NLL for continuous ones (plus a small entropy
bonus and an optional L2 penalty). ilkit keeps imitation's ``bc.BC`` training loop and loss
and changes three costs around it:

* batches are shuffled index slices of tensors that already live on the training device
  (``DeviceBatchSampler``), not a torch DataLoader that collates every sample in Python;
* the L2 penalty's graph is built only when its weight is non-zero (imitation sums the
  squares of every parameter on every batch and multiplies by 0.0 by default);
* Adam uses torch's multi-tensor ("foreach") update: the same arithmetic, fewer kernel calls.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ilkit.algorithms.common import fit_obs_norm, mlp_policy
from ilkit.algorithms.configs import check_activation, mujoco_tasks, option
from ilkit.algorithms.errors import TrainingError
from ilkit.algorithms.registry import AlgorithmSpec
from ilkit.algorithms.run import RunContext, RunOutput
from ilkit.progress import progress_bar

POLICY_HEADS = ("default", "mdn")


@dataclasses.dataclass(frozen=True)
class BCConfig:
    """Behavioural cloning: supervised learning of the expert's actions."""

    n_epochs: int = option(20, "Passes over the demonstrations.")
    batch_size: int = option(64, "Samples per gradient step.")
    lr: float = option(1e-3, "Adam learning rate.")
    l2_weight: float = option(0.0, "Weight of the L2 penalty on the policy parameters.")
    ent_weight: float = option(1e-3, "Weight of the entropy bonus (imitation's default).")
    anneal_lr: bool = option(
        False,
        "Decay the learning rate linearly over the epochs (over each round's epochs in "
        "DAgger): the last epochs settle on a fit instead of jumping between fits.",
    )
    net_arch: tuple[int, ...] = option(
        (32, 32), "Hidden layers of the policy MLP (imitation's FeedForward32Policy)."
    )
    activation: str = option(
        "tanh", "Activation of the policy MLP: tanh, relu, elu, leaky_relu, gelu."
    )
    normalize_obs: bool = option(
        False,
        "Standardise observations with the demonstrations' mean/std (stored in the artifact).",
    )
    eval_every: int = option(
        5, "Epochs between learning-curve evaluations (0: final evaluation only)."
    )
    eval_episodes: int = option(5, "Held-out episodes per learning-curve point.")
    policy: str = option(
        "default",
        "Policy head: default (SB3's: categorical for discrete actions, one diagonal "
        "Gaussian for continuous ones) or mdn (a mixture of n_components Gaussians, "
        "continuous actions only: for multimodal demonstrations).",
    )
    n_components: int = option(5, "Gaussians in the mixture of policy=mdn (ignored otherwise).")

    def problems(self) -> list[str]:
        bad_head = self.policy not in POLICY_HEADS
        return check_activation(self) + (
            [f"policy must be one of {', '.join(POLICY_HEADS)}"] if bad_head else []
        )


MUJOCO_BC = {
    "net_arch": (256, 256),
    "activation": "relu",
    "n_epochs": 50,
    "batch_size": 256,
    "lr": 1e-3,
    "anneal_lr": True,
    "eval_every": 10,
    "normalize_obs": True,  # MuJoCo observations span very different scales
}
"""BC on the MuJoCo tasks: imitation's tuned 32x32 nets reached only 0.42 (Walker2d) and 0.89
(Hopper) of our stronger experts. A 256x256 ReLU net for 50 epochs fits them, but at a constant
rate the score jumps between epochs (0.79-1.0 over seeds on Hopper); annealing the rate lands
at 0.96-1.06 (lr 3e-4 underfits, 100 epochs overfits). DAgger retrains the same net."""

TASK_DEFAULTS: dict[str, dict[str, Any]] = {
    "CartPole": {"n_epochs": 10},
    # the swing-up expert switches laws: a wider ReLU net fits it (0.99 normalized)
    "Pendulum": {
        "n_epochs": 200,
        "net_arch": (256, 256),
        "activation": "relu",
        "batch_size": 256,
        "normalize_obs": True,
        "eval_every": 20,
    },
    "LunarLander": {"n_epochs": 20, "net_arch": (64, 64)},
    "LunarLanderContinuous": {"n_epochs": 20, "net_arch": (64, 64)},
    # Detour: the same budget for both heads (benchmarks/detour.py compares them)
    "Detour": {"n_epochs": 100, "net_arch": (64, 64), "anneal_lr": True, "eval_every": 0},
    **{name: MUJOCO_BC for name in mujoco_tasks()},
}


def bc_loss(ent_weight: float, l2_weight: float):
    """imitation's BC loss; with ``l2_weight == 0`` the L2 term is skipped (reported as 0)."""
    import torch as th
    from imitation.algorithms import bc

    class LeanBCLoss(bc.BehaviorCloningLossCalculator):
        def __call__(self, policy, obs, acts) -> bc.BCTrainingMetrics:
            if self.l2_weight:
                return super().__call__(policy, obs, acts)
            _, log_prob, entropy = policy.evaluate_actions(obs, acts)
            neglogp = -log_prob.mean()
            if entropy is None:
                ent_loss = th.zeros((), device=neglogp.device)
            else:
                entropy = entropy.mean()
                ent_loss = -self.ent_weight * entropy
            zero = th.zeros((), device=neglogp.device)
            return bc.BCTrainingMetrics(
                neglogp=neglogp,
                entropy=entropy,
                ent_loss=ent_loss,
                prob_true_act=th.exp(log_prob.detach()).mean(),
                l2_norm=zero,
                l2_loss=zero,
                loss=neglogp + ent_loss,
            )

    return LeanBCLoss(ent_weight, l2_weight)


def build_policy(obs_space, act_space, cfg, device):
    """The policy BC trains: SB3's MLP (``policy=default``) or a mixture density network."""
    if cfg.policy != "mdn":
        return mlp_policy(obs_space, act_space, cfg.net_arch, cfg.activation, device)
    from gymnasium import spaces

    from ilkit.policies.artifact import ACTIVATIONS
    from ilkit.policies.mdn import MDNPolicy

    if not isinstance(act_space, spaces.Box):
        raise TrainingError(
            f"policy=mdn needs continuous actions; this task's actions are {act_space}"
        )
    policy = MDNPolicy(
        obs_space,
        act_space,
        net_arch=cfg.net_arch,
        activation=cfg.activation,
        activation_fn=ACTIVATIONS[cfg.activation],
        n_components=cfg.n_components,
    )
    return policy.to(device)


def build_bc(obs_space, act_space, cfg, *, device, rng, logger, demonstrations=None):
    """imitation's ``bc.BC`` as ilkit runs it: storable policy, lean loss, foreach Adam.

    With ``policy=mdn`` the loss is the mixture's exact negative log-likelihood (no entropy
    bonus: a mixture has no closed-form entropy, so ``ent_weight`` is unused).
    """
    from imitation.algorithms import bc

    policy = build_policy(obs_space, act_space, cfg, device)
    trainer = bc.BC(
        observation_space=obs_space,
        action_space=act_space,
        rng=rng,
        policy=policy,
        demonstrations=demonstrations,
        batch_size=cfg.batch_size,
        optimizer_kwargs={"lr": cfg.lr, "foreach": True},
        ent_weight=cfg.ent_weight,
        l2_weight=cfg.l2_weight,
        device=device,
        custom_logger=logger,
    )
    trainer.loss_calculator = bc_loss(cfg.ent_weight, cfg.l2_weight)
    return trainer


def make_bc_trainer(ctx: RunContext, obs_space, act_space, demonstrations=None):
    """:func:`build_bc` with the run's config, device, rng and logger."""
    return build_bc(
        obs_space,
        act_space,
        ctx.config,
        device=ctx.device,
        rng=ctx.rng,
        logger=ctx.logger,
        demonstrations=demonstrations,
    )


def lr_annealer(trainer, cfg):
    """An ``on_epoch_end`` step that decays Adam's rate linearly from ``cfg.lr`` over
    ``cfg.n_epochs`` epochs and restores it after the last one (DAgger's next round), or a
    no-op when ``cfg.anneal_lr`` is off."""
    epochs_done = 0

    def step() -> None:
        nonlocal epochs_done
        if not cfg.anneal_lr:
            return
        epochs_done += 1
        left = 1.0 - (epochs_done % cfg.n_epochs) / cfg.n_epochs
        for group in trainer.optimizer.param_groups:
            group["lr"] = cfg.lr * left

    return step


def device_batches(ctx: RunContext, obs, acts):
    """Demonstrations as device tensors; each pass over the result is a fresh shuffled epoch."""
    from ilkit.datasets.sampler import DeviceBatchSampler

    sampler = DeviceBatchSampler(
        obs,
        acts,
        batch_size=ctx.config.batch_size,
        device=ctx.device,
        seed=ctx.seed,
        drop_last=True,  # imitation's BC expects every batch to have exactly batch_size
    )
    return sampler.iter_dicts()


def run(ctx: RunContext) -> RunOutput:
    cfg = ctx.config
    demos = ctx.demos
    obs, acts = demos.obs, demos.acts
    ctx.require_transitions(len(obs), cfg.batch_size)
    norm = fit_obs_norm(cfg, obs)
    if norm is not None:
        obs = norm(obs)
    trainer = make_bc_trainer(ctx, ctx.observation_space, ctx.action_space)
    trainer.set_demonstrations(device_batches(ctx, obs, acts))

    epoch = 0
    anneal = lr_annealer(trainer, cfg)

    def on_epoch_end() -> None:
        nonlocal epoch
        epoch += 1
        anneal()
        if ctx.eval_due(epoch, cfg.n_epochs):
            ctx.record_point(trainer.policy, norm, step=epoch, epoch=epoch, env_steps=0)

    batches_per_epoch = len(obs) // cfg.batch_size
    with progress_bar(cfg.n_epochs * batches_per_epoch, f"BC {ctx.task.name}") as advance:
        trainer.train(
            n_epochs=cfg.n_epochs,
            on_epoch_end=on_epoch_end,
            on_batch_end=advance,
            log_interval=max(1, batches_per_epoch),
            progress_bar=False,
        )
    return RunOutput(
        module=trainer.policy,
        obs_norm=norm,
        curve=ctx.curve,
        env_steps=0,
        expert_queries=0,
        offline=True,
        extra={"epochs": cfg.n_epochs, "gradient_steps": cfg.n_epochs * batches_per_epoch},
    )


SPEC = AlgorithmSpec(
    name="bc",
    summary="behavioural cloning (offline: demonstrations only)",
    config=BCConfig,
    runner=run,
    task_defaults=TASK_DEFAULTS,
    consumes=("demos",),
    demos_as="transitions",
)
