"""rl-zoo hyperparameters per task and algorithm (rl-baselines3-zoo's tuned ``hyperparams/*.yml``).

Each entry gives the SB3 constructor keywords plus three ilkit fields:

* ``n_envs``: parallel training envs (a ``DummyVecEnv``; one process).
* ``normalize``: wrap the envs in ``VecNormalize`` (its observation statistics go into the
  exported artifact).
* ``train_env``: which form of the task to train on. ``"scoring"`` is the task itself with its
  true reward (fixed horizon, absorbing state); ``"terminating"`` is the base game with the same
  observation layout that ends when the game ends (an episode limit of the task's horizon). The
  terminating form trains far better where the task has an absorbing state (LunarLander) or a
  fall (Hopper, Walker2d, Ant, Humanoid: seals removes early termination, which stalls PPO).
  Experts are always scored on the task itself.

Values written ``"lin_X"`` are linear schedules from X to 0, as in rl-zoo. ``policy`` names the
SB3 policy class (default ``"MlpPolicy"``; ARS's ``"LinearPolicy"``).
"""

from __future__ import annotations

import copy
from typing import Any

from ilkit.envs.tasks import spec
from ilkit.errors import IlkitError

ALGOS = ("ppo", "sac", "tqc", "ars")

# rl-zoo "mujoco-defaults" for PPO
_PPO_MUJOCO = {"normalize": True, "n_envs": 1, "train_env": "scoring"}
_OFF_POLICY_MUJOCO = {"learning_starts": 10_000, "n_envs": 1, "train_env": "terminating"}
_LUNAR_PPO = {
    "n_envs": 16,
    "n_steps": 1024,
    "batch_size": 64,
    "gae_lambda": 0.98,
    "gamma": 0.999,
    "n_epochs": 4,
    "ent_coef": 0.01,
    "train_env": "terminating",
}
_LUNAR_OFF_POLICY = {
    "learning_rate": "lin_7.3e-4",
    "buffer_size": 1_000_000,
    "batch_size": 256,
    "ent_coef": "auto",
    "gamma": 0.99,
    "tau": 0.01,
    "train_freq": 1,
    "gradient_steps": 1,
    "learning_starts": 10_000,
    "policy_kwargs": {"net_arch": [400, 300]},
    "train_env": "terminating",
}

HYPERPARAMS: dict[str, dict[str, dict[str, Any]]] = {
    "CartPole": {
        "ppo": {
            "n_envs": 8,
            "n_steps": 32,
            "batch_size": 256,
            "gae_lambda": 0.8,
            "gamma": 0.98,
            "n_epochs": 20,
            "ent_coef": 0.0,
            "learning_rate": "lin_0.001",
            "clip_range": "lin_0.2",
            "train_env": "terminating",
        },
    },
    "MountainCar": {
        "ppo": {
            "normalize": True,
            "n_envs": 16,
            "n_steps": 16,
            "gae_lambda": 0.98,
            "gamma": 0.99,
            "n_epochs": 4,
            "ent_coef": 0.0,
            "train_env": "terminating",
        },
    },
    "Pendulum": {
        # rl-zoo's PPO uses gSDE, which the artifact format does not store: plain Gaussian here.
        "ppo": {
            "n_envs": 4,
            "n_steps": 1024,
            "gae_lambda": 0.95,
            "gamma": 0.9,
            "n_epochs": 10,
            "ent_coef": 0.0,
            "learning_rate": 1e-3,
            "clip_range": 0.2,
            "train_env": "scoring",
        },
        "sac": {"learning_rate": 1e-3, "n_envs": 1, "train_env": "scoring"},
        "tqc": {"learning_rate": 1e-3, "n_envs": 1, "train_env": "scoring"},
    },
    "LunarLander": {"ppo": _LUNAR_PPO},
    "LunarLanderContinuous": {
        "ppo": {**_LUNAR_PPO, "normalize": True},
        "sac": _LUNAR_OFF_POLICY,
        "tqc": _LUNAR_OFF_POLICY,
    },
    "HalfCheetah": {
        "ppo": {
            "normalize": True,
            "n_envs": 1,
            "batch_size": 64,
            "n_steps": 512,
            "gamma": 0.98,
            "learning_rate": 2.0633e-05,
            "ent_coef": 0.000401762,
            "clip_range": 0.1,
            "n_epochs": 20,
            "gae_lambda": 0.92,
            "max_grad_norm": 0.8,
            "vf_coef": 0.58096,
            "policy_kwargs": {
                "log_std_init": -2,
                "ortho_init": False,
                "activation_fn": "relu",
                "net_arch": {"pi": [256, 256], "vf": [256, 256]},
            },
            "train_env": "scoring",
        },
        "sac": _OFF_POLICY_MUJOCO,
        "tqc": _OFF_POLICY_MUJOCO,
    },
    "Swimmer": {
        "ppo": {**_PPO_MUJOCO, "gamma": 0.9999},
        # rl-zoo's ARS (a linear policy, 350 on Swimmer-v3): random search needs no discount,
        # so it escapes the short-horizon local optimum that stalls PPO/SAC at gamma 0.99.
        "ars": {
            "policy": "LinearPolicy",
            "learning_rate": 0.02,
            "delta_std": 0.01,
            "n_delta": 1,
            "n_top": 1,
            "alive_bonus_offset": 0,
        },
        "sac": {**_OFF_POLICY_MUJOCO, "gamma": 0.9999},
        "tqc": {**_OFF_POLICY_MUJOCO, "gamma": 0.9999},
    },
    "Hopper": {
        "ppo": {**_PPO_MUJOCO, "train_env": "terminating"},
        "sac": _OFF_POLICY_MUJOCO,
        "tqc": {**_OFF_POLICY_MUJOCO, "top_quantiles_to_drop_per_net": 5},
    },
    "Walker2d": {
        "ppo": {**_PPO_MUJOCO, "train_env": "terminating"},
        "sac": _OFF_POLICY_MUJOCO,
        "tqc": _OFF_POLICY_MUJOCO,
    },
    "Ant": {
        "ppo": {**_PPO_MUJOCO, "train_env": "terminating"},
        "sac": _OFF_POLICY_MUJOCO,
        "tqc": _OFF_POLICY_MUJOCO,
    },
    "Humanoid": {
        "ppo": {**_PPO_MUJOCO, "train_env": "terminating"},
        "sac": _OFF_POLICY_MUJOCO,
        "tqc": _OFF_POLICY_MUJOCO,
    },
}

# The base games' terminating forms with the seals observation layout (position included).
TERMINATING_ENTRY_POINTS = {
    name: (
        f"gymnasium.envs.mujoco.{name.lower()}_v4:{name}Env",
        {"exclude_current_positions_from_observation": False},
    )
    for name in ("HalfCheetah", "Hopper", "Walker2d", "Ant", "Humanoid")
}
TERMINATING_ENTRY_POINTS["Swimmer"] = ("ilkit.envs.swimmer:SwimmerEnv", {})  # never terminates


class UnsupportedAlgoError(IlkitError):
    """The algorithm cannot train on this task (e.g. SAC on a discrete action space)."""


def hyperparams(env_id: str, algo: str) -> dict[str, Any]:
    """A copy of the table entry for ``(env_id, algo)``, with ilkit's fields filled in.

    Raises:
        UnsupportedAlgoError: no entry (off-policy algorithms need continuous actions).
    """
    task = spec(env_id)
    table = HYPERPARAMS[task.name]
    if algo not in table:
        raise UnsupportedAlgoError(
            f"no {algo} hyperparameters for {task.id}; choose one of: {', '.join(table)}"
        )
    params = copy.deepcopy(table[algo])
    params.setdefault("n_envs", 1)
    params.setdefault("normalize", False)
    params.setdefault("train_env", "scoring")
    return params
