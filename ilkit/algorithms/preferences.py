"""Rewards from preferences (Christiano et al., 2017), optimised by SAC with relabelled rewards.

The learner never sees a reward. It acts in the task; now and then it cuts pairs of short
fragments out of its recent experience and asks an oracle which fragment of each pair is
better. The oracle (:class:`ilkit.rewards.oracle.PreferenceOracle`) answers from the hidden
reward, optionally with Bradley–Terry noise, and counts the questions against the run's
``query_budget``. A reward net (imitation's ``BasicRewardNet``) is fit to the answers with
imitation's Bradley–Terry pieces (``PreferenceModel``, ``CrossEntropyRewardLoss``,
``BasicRewardTrainer`` over a ``PreferenceDataset``), and SAC optimises it: its replay buffer
asks the *current* reward net for the rewards of every sampled batch (GAIL/AIRL's
``RelabelingReplayBuffer`` with SAC), so old transitions never keep an old model's rewards.

Why not imitation's ``PreferenceComparisons`` loop: it trains its agent on rewards written at
collection time by a reward wrapper (``AgentTrainer``), which with an off-policy agent leaves
old rewards in the buffer; and on-policy PPO needs far more environment steps. The query
schedule follows it: ``initial_query_frac`` of the budget on the first (random-action) data,
the rest spread evenly over the rounds of the first ``query_until`` of the run.

The net's rewards reach SAC standardised (mean 0, std 1 over a replay sample, recomputed after
each fit): a Bradley–Terry utility is defined only up to shift and scale. The learned reward is
saved as ``OUT/reward/`` (kind ``net``, ``net_kind: preference``), in the task's action units.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ilkit.algorithms.configs import check_activation, mujoco_tasks, option
from ilkit.algorithms.registry import AlgorithmSpec
from ilkit.algorithms.run import RunContext, RunOutput


@dataclasses.dataclass(frozen=True)
class PreferencesConfig:
    """Preference learning: a Bradley–Terry reward net from fragment comparisons, SAC on it."""

    total_timesteps: int = option(20_000, "Environment steps of the SAC agent.")
    query_budget: int = option(500, "Fragment pairs the oracle may be asked to compare.")
    initial_query_frac: float = option(
        0.2, "Share of the budget asked on the first (random-action) data."
    )
    query_until: float = option(
        0.5, "Share of the run over which the rest of the budget is asked, evenly per round."
    )
    fragment_length: int = option(25, "Steps per fragment.")
    fragment_window: int = option(
        5000, "Fragments are cut from the last fragment_window steps the agent took."
    )
    oracle_temperature: float = option(
        0.0,
        "Bradley–Terry temperature of the oracle's answers (0: the higher hidden return "
        "always wins).",
        zero_ok=True,
    )
    round_steps: int = option(1000, "Agent steps per round (queries and a reward fit after).")
    reward_net_arch: tuple[int, ...] = option((64, 64), "Hidden layers of the reward net.")
    reward_lr: float = option(1e-3, "AdamW learning rate of the reward net.")
    reward_epochs: int = option(3, "Epochs over all comparisons so far after each query batch.")
    reward_batch_size: int = option(32, "Fragment pairs per reward-net step.")
    learning_rate: float = option(3e-4, "SAC's learning rate (actor, critics, entropy).")
    batch_size: int = option(256, "SAC minibatch size.")
    net_arch: tuple[int, ...] = option((64, 64), "Hidden layers of SAC's actor and critics.")
    activation: str = option("relu", "Activation of SAC's MLPs: tanh, relu, elu, ...")
    sac_buffer_size: int = option(1_000_000, "Replay buffer capacity (transitions).")
    sac_learning_starts: int = option(1000, "Random-action steps before SAC updates.")
    sac_tau: float = option(0.005, "Polyak coefficient of the target critics.")
    sac_train_freq: int = option(1, "Environment steps between SAC updates.")
    sac_gradient_steps: int = option(1, "Gradient steps per SAC update.")
    eval_every: int = option(
        2, "Rounds between learning-curve evaluations (0: final evaluation only)."
    )
    eval_episodes: int = option(5, "Held-out episodes per learning-curve point.")

    def problems(self) -> list[str]:
        out = check_activation(self)
        if not 0.0 <= self.initial_query_frac <= 1.0:
            out.append("initial_query_frac must be in [0, 1]")
        if not 0.0 < self.query_until <= 1.0:
            out.append("query_until must be in (0, 1]")
        if self.sac_tau > 1:
            out.append("sac_tau must be in [0, 1]")
        if self.fragment_window < 2 * self.fragment_length:
            out.append("fragment_window must hold two fragments (>= 2 * fragment_length)")
        return out


TASK_DEFAULTS: dict[str, dict[str, Any]] = {
    "Pendulum": {"total_timesteps": 20_000},
    **{
        name: {
            "total_timesteps": 200_000,
            "net_arch": (256, 256),
            "sac_learning_starts": 10_000,
            "round_steps": 5000,
            "fragment_window": 25_000,
            "query_budget": 1000,
            "eval_every": 4,
        }
        for name in mujoco_tasks()
    },  # fmt: skip
}


def query_schedule(cfg: PreferencesConfig, n_rounds: int) -> list[int]:
    """Queries asked after each round (round 0: the random-action data); sums to the budget."""
    if n_rounds == 1:
        return [cfg.query_budget]
    first = int(round(cfg.query_budget * cfg.initial_query_frac))
    later = max(1, min(n_rounds - 1, int(np.ceil(cfg.query_until * n_rounds)) - 1))
    rest = cfg.query_budget - first
    per = [rest // later + (1 if i < rest % later else 0) for i in range(later)]
    return [first, *per, *([0] * (n_rounds - 1 - later))]


def run(ctx: RunContext) -> RunOutput:
    import torch as th
    from gymnasium import spaces
    from imitation.algorithms import preference_comparisons as pc
    from imitation.data import types
    from imitation.rewards.reward_nets import BasicRewardNet
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import DummyVecEnv

    from ilkit.algorithms.errors import TrainingError
    from ilkit.algorithms.offpolicy import DiscriminatorReward, build_generator
    from ilkit.algorithms.venvs import StepCounter
    from ilkit.envs.seeds import VALIDATION_BASE, training_seeds
    from ilkit.progress import progress_bar
    from ilkit.rewards import from_reward_net
    from ilkit.rewards.oracle import PreferenceOracle

    cfg = ctx.config
    if not isinstance(ctx.action_space, spaces.Box):
        raise TrainingError(
            f"preferences trains SAC: it needs continuous actions, not {ctx.task.id}"
        )
    oracle = PreferenceOracle(
        ctx.env_id, budget=cfg.query_budget, temperature=cfg.oracle_temperature, seed=ctx.seed
    )
    # one env: the oracle's step count and the replay buffer's rows are the same index
    venv = DummyVecEnv([lambda fn=oracle.env_fn(): Monitor(fn())])
    base = min(training_seeds(ctx.seed, 1)[0], VALIDATION_BASE - 2)
    venv.seed(base)
    venv.action_space.seed(base)
    counter = StepCounter(venv)

    net = BasicRewardNet(
        ctx.observation_space, ctx.action_space, use_next_state=False, use_done=False,
        hid_sizes=cfg.reward_net_arch,
    ).to(ctx.device)  # fmt: skip
    low = th.as_tensor(ctx.action_space.low, device=ctx.device, dtype=th.float32)
    high = th.as_tensor(ctx.action_space.high, device=ctx.device, dtype=th.float32)
    shift = {"mean": 0.0, "std": 1.0}

    def utility(obs, acts_env) -> th.Tensor:
        dones = th.zeros(len(obs), device=ctx.device)
        return net(obs.float(), acts_env.float(), obs.float(), dones)

    def sac_reward(obs, acts, next_obs, dones) -> th.Tensor:
        acts_env = low + 0.5 * (acts.float() + 1.0) * (high - low)  # SAC stores [-1, 1]
        return (utility(obs, acts_env) - shift["mean"]) / shift["std"]

    reward = DiscriminatorReward()
    reward.fn = sac_reward
    gen = build_generator(ctx, counter, reward)
    gen.set_logger(ctx.logger)
    buffer = gen.replay_buffer

    model = pc.PreferenceModel(net)
    trainer = pc.BasicRewardTrainer(
        model, pc.CrossEntropyRewardLoss(), rng=ctx.rng, batch_size=cfg.reward_batch_size,
        epochs=cfg.reward_epochs, lr=cfg.reward_lr, custom_logger=ctx.logger,
    )  # fmt: skip
    dataset = pc.PreferenceDataset()
    horizon = ctx.task.horizon
    L = cfg.fragment_length

    def fragment(start: int) -> types.Trajectory:
        rows = slice(start, start + L)
        obs = buffer.observations[rows, 0]
        last = buffer.next_observations[start + L - 1, 0][None]
        acts = gen.policy.unscale_action(buffer.actions[rows, 0])
        return types.Trajectory(
            obs=np.concatenate([obs, last]).astype(np.float32), acts=acts.astype(np.float32),
            infos=None, terminal=False,
        )  # fmt: skip

    def ask(n: int) -> None:
        """``n`` pairs of fragments from the recent steps, answered and added; then a fit."""
        steps = buffer.pos
        lo = max(0, steps - cfg.fragment_window)
        starts = []
        while len(starts) < 2 * n:
            s = int(ctx.rng.integers(lo, steps - L + 1))
            if s // horizon == (s + L - 1) // horizon:  # one episode
                starts.append(s)
        pairs = list(zip(starts[::2], starts[1::2], strict=True))
        answers = oracle.compare([((0, a, L), (0, b, L)) for a, b in pairs])
        dataset.push([(fragment(a), fragment(b)) for a, b in pairs], answers)
        trainer.train(dataset)  # logs under reward/ (imitation's accumulate_means)
        with th.no_grad():
            idx = np.random.randint(0, buffer.pos, size=min(4096, buffer.pos))
            obs = th.as_tensor(buffer.observations[idx, 0], device=ctx.device)
            acts = th.as_tensor(gen.policy.unscale_action(buffer.actions[idx, 0]),
                                device=ctx.device)  # fmt: skip
            r = utility(obs, acts)
            shift["mean"], shift["std"] = float(r.mean()), float(r.std()) + 1e-8

    # round 0: SAC's random-action steps; then rounds of round_steps
    n_rounds = 1 + max(0, (cfg.total_timesteps - cfg.sac_learning_starts) // cfg.round_steps)
    schedule = query_schedule(cfg, n_rounds)
    try:
        with progress_bar(cfg.total_timesteps, f"preferences+SAC {ctx.task.name}") as advance:
            gen.learn(cfg.sac_learning_starts, reset_num_timesteps=False)
            advance(counter.steps)
            for r in range(n_rounds):
                if schedule[r]:
                    ask(schedule[r])
                if r:  # round 0's steps were the random ones
                    before = counter.steps
                    with ctx.logger.accumulate_means("gen"):
                        gen.learn(cfg.round_steps, reset_num_timesteps=False)
                    advance(counter.steps - before)
                if ctx.eval_due(r + 1, n_rounds):
                    ctx.record_point(gen.actor, None, step=r, round=r + 1, env_steps=counter.steps,
                                     preference_queries=oracle.queries)  # fmt: skip
                else:
                    ctx.logger.dump(r)
    finally:
        venv.close()
    return RunOutput(
        module=gen.actor,
        obs_norm=None,
        reward=from_reward_net(net, kind="preference"),
        curve=ctx.curve,
        env_steps=counter.steps,
        expert_queries=0,
        preference_queries=oracle.queries,
        offline=False,
        extra={
            "rounds": n_rounds,
            "query_schedule": schedule,
            "fragment_length": L,
            "oracle_temperature": cfg.oracle_temperature,
        },
    )


SPEC = AlgorithmSpec(
    name="preferences",
    summary="reward from fragment preferences (Bradley-Terry, counted queries) + SAC on it",
    config=PreferencesConfig,
    runner=run,
    task_defaults=TASK_DEFAULTS,
    consumes=("preferences", "env_steps"),
    demos_as="transitions",
    writes=("policy", "reward"),
)
