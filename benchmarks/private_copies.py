"""What each copy of a pinned library's private code buys (issue 30, part 7).

Two copies are timed here against the library path they replace, in the same process,
alternating arms; the other two have their own benchmarks (LeanSAC.train: sac_update.py;
DAgger's _try_load_demos feeds BC from the device sampler: bc_throughput.py).

* ``rollout._actor_critic_mode``: the deterministic action of a stock SB3 ActorCriticPolicy,
  without building distribution objects, vs ``module._predict(obs, deterministic=True)``;
  batch 64 (the rollout's group size), CartPole 64x64 and Hopper 256x256 MLPs.
* ``TaskDynamics.step_unchecked(reward=False)`` on MuJoCo: MujocoEnv.step's state update and
  ``_get_obs`` only, vs the base env's full ``step`` (reward terms, info dict).

    python benchmarks/private_copies.py   # writes benchmarks/results/private_copies.md
"""

from __future__ import annotations

import platform
import statistics
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "results" / "private_copies.md"
ROUNDS, CALLS = 5, 2000


def _alternate(arms: dict, calls: int) -> dict[str, float]:
    """Median microseconds per call of each arm over ROUNDS alternating blocks."""
    times: dict[str, list[float]] = {name: [] for name in arms}
    for _ in range(ROUNDS):
        for name, fn in arms.items():
            start = time.process_time()
            for _ in range(calls):
                fn()
            times[name].append((time.process_time() - start) / calls * 1e6)
    return {name: statistics.median(t) for name, t in times.items()}


def policy_mode(env_id: str, net_arch: tuple[int, ...]) -> dict[str, float]:
    import gymnasium as gym
    import torch as th

    from ilkit.algorithms.common import mlp_policy
    from ilkit.datasets.rollout import _actor_critic_mode

    env = gym.make(env_id)
    module = mlp_policy(env.observation_space, env.action_space, net_arch, "tanh", th.device("cpu"))
    module.set_training_mode(False)
    obs = th.as_tensor(np.stack([env.observation_space.sample() for _ in range(64)]))
    mode = _actor_critic_mode(module)
    assert th.equal(mode(obs), module._predict(obs, deterministic=True))

    def copy():
        with th.no_grad():
            mode(obs)

    def library():
        with th.no_grad():
            module._predict(obs, deterministic=True)

    return _alternate({"library": library, "copy": copy}, CALLS)


def mujoco_step(env_id: str) -> dict[str, float]:
    from ilkit.envs.dynamics import TaskDynamics
    from ilkit.envs.tasks import spec

    full, lean = TaskDynamics(spec(env_id)), TaskDynamics(spec(env_id))
    full.reset(seed=0), lean.reset(seed=0)
    action = np.zeros(full.action_space.shape, dtype=np.float32)
    horizon = spec(env_id).horizon

    def stepper(dyn, reward):
        def step():
            if dyn._t >= horizon:
                dyn.reset(seed=1)
            dyn.step_unchecked(action, reward=reward)

        return step

    return _alternate({"library": stepper(full, True), "copy": stepper(lean, False)}, CALLS)


def main() -> None:
    import torch as th

    th.set_num_threads(1)
    mode = "rollout `_actor_critic_mode` vs `ActorCriticPolicy._predict`"
    step = "`step_unchecked(reward=False)` vs MuJoCo `env.step`"
    rows = [
        (mode, "ilkit/CartPole-v0, 64x64, batch 64", policy_mode("ilkit/CartPole-v0", (64, 64))),
        (mode, "ilkit/Hopper-v0, 256x256, batch 64", policy_mode("ilkit/Hopper-v0", (256, 256))),
        (step, "ilkit/Hopper-v0", mujoco_step("ilkit/Hopper-v0")),
        (step, "ilkit/HalfCheetah-v0", mujoco_step("ilkit/HalfCheetah-v0")),
    ]
    lines = [
        "# Private-code copies: what each buys",
        "",
        f"`python benchmarks/private_copies.py` on {platform.machine()}, one torch thread, "
        f"median CPU microseconds per call over {ROUNDS} alternating blocks of {CALLS} calls. "
        f"Load average at the end: {_load()} (other jobs share the 2 cores; the ratio is the "
        "figure).",
        "",
        "| copy vs library path | case | library (us) | copy (us) | ratio |",
        "|---|---|---|---|---|",
    ]
    for what, case, t in rows:
        ratio = t["library"] / t["copy"]
        lines.append(f"| {what} | {case} | {t['library']:.1f} | {t['copy']:.1f} | {ratio:.2f}x |")
    lines += [
        "",
        "The other two copies: `LeanSAC.train` 1.17-1.18x per SAC update "
        "(`sac_update.md`); DAgger's `_try_load_demos` feeds BC from the device sampler, "
        "2.5-3.9x BC throughput (`bc_throughput.md`). Each copy is pinned to the library "
        "source it follows by `tests/test_pinned_copies.py`.",
    ]
    OUT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def _load() -> str:
    try:
        return f"{open('/proc/loadavg').read().split()[0]}"
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
