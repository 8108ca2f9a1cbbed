"""Small real policies and submissions for the evaluation tests (no training needed).

A CartPole policy with no hidden layer whose action logits are ``[0, w . obs]`` balances the
pole for the whole horizon with ``w = (0, 0, 1, 1)`` and fails fast with ``w = (0, 0, -1, -1)``,
so tests get a strong, a weak and a random entry in milliseconds.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch as th
from stable_baselines3.common.policies import ActorCriticPolicy

from ilkit.envs.scoring import make_scoring_env
from ilkit.policies import save_policy

CARTPOLE = "ilkit/CartPole-v0"
PENDULUM = "ilkit/Pendulum-v0"
LAVA = "ilkit/LavaGrid-v0"
REWARD_TRAINING = {"offline": True, "demos": 0}
"""The training record of the test rewards (offline, no demos)."""
GOOD = (0.0, 0.0, 1.0, 1.0)
BAD = (0.0, 0.0, -1.0, -1.0)


def linear_cartpole(w: tuple[float, ...] = GOOD) -> ActorCriticPolicy:
    env = make_scoring_env(CARTPOLE)
    policy = ActorCriticPolicy(env.observation_space, env.action_space, lambda _: 0.0, net_arch=[])
    with th.no_grad():
        for p in policy.parameters():
            p.zero_()
        policy.action_net.weight[1] = th.tensor(w, dtype=th.float32)
    return policy


def save_cartpole(path: Path, w=GOOD, training: dict[str, Any] | None = None) -> Path:
    manifest = {"algorithm": "hand-made linear"}
    if training is not None:
        manifest["training"] = training
    return save_policy(path, env_id=CARTPOLE, manifest=manifest, module=linear_cartpole(w))


def declared_manifest(path: Path, weights: str, env_id: str = CARTPOLE, **extra: Any) -> Path:
    data = {
        "env_id": env_id,
        "kind": "actor_critic",
        "architecture": {"net_arch": [], "activation": "tanh"},
        "weights": weights,
        **extra,
    }
    path.write_text(json.dumps(data))
    return path


def declared_architecture(folder: Path, net_arch: Any) -> Path:
    """A declared submission in ``folder`` whose manifest asks for ``net_arch`` over a weights
    file that holds nothing usable: building the net is all it costs (memory or time)."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file({"unused": np.zeros(1, dtype=np.float32)}, str(folder / "w.safetensors"))
    return declared_manifest(
        folder / "m.json", "w.safetensors", architecture={"net_arch": net_arch}
    )


def sb3_zip(path: Path, w=GOOD) -> Path:
    """A real SB3 PPO .zip (``model.save``) whose policy is the linear CartPole policy."""
    from stable_baselines3 import PPO

    model = PPO(
        "MlpPolicy",
        make_scoring_env(CARTPOLE),
        policy_kwargs={"net_arch": []},
        n_steps=64,
        batch_size=64,
        device="cpu",
    )
    model.policy.load_state_dict(linear_cartpole(w).state_dict())
    model.save(path)
    return path


class TouchFile:
    """A pickle payload: unpickling it creates ``marker`` (what an attacker's code would do)."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def pickle_payload(marker: Path) -> bytes:
    return pickle.dumps({"weight": TouchFile(marker)})


def torch_payload(marker: Path) -> bytes:
    """A ``torch.save`` file whose pickle runs code when loaded without ``weights_only``."""
    buffer = io.BytesIO()
    th.save({"action_net.weight": TouchFile(marker)}, buffer)
    return buffer.getvalue()


def poison_sb3_zip(src: Path, dst: Path, member: str, payload: bytes) -> Path:
    """Copy an SB3 zip, replacing one member with ``payload``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = payload if info.filename == member else zin.read(info)
            zout.writestr(info.filename, data)
    return dst


def save_state_reward(path: Path, table, env_id: str = LAVA) -> Path:
    """A state reward (one value per state of a tabular task) saved as a reward artifact."""
    from ilkit.rewards import StateReward

    table = np.asarray(table, dtype=np.float64)
    StateReward(table).save(path, env_id=env_id, training=REWARD_TRAINING)
    return path
