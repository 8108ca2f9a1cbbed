"""A dataset's recorded spaces against its task's (what loading and ``verify`` both check)."""

from __future__ import annotations

import json
from typing import Any


def check_spaces(meta: dict, ilkit_meta: dict) -> tuple[Any, Any, Any, list[str]]:
    """``(task, observation space, action space, problems)`` of a dataset's recorded spaces."""
    from minari.serialization import deserialize_space

    from ilkit.envs.hidden import HiddenRewardEnv
    from ilkit.envs.tasks import TASKS, spec
    from ilkit.policies.spaces import same_space

    env_id = ilkit_meta.get("env_id")
    if env_id not in TASKS:
        return None, None, None, [f"its env id {env_id!r} is not an ilkit task"]
    task = spec(env_id)
    problems = []
    try:
        recorded_id = json.loads(meta["env_spec"])["id"]
    except (KeyError, TypeError, json.JSONDecodeError):
        recorded_id = None
    if recorded_id != env_id:
        problems.append(f"its env_spec names {recorded_id!r}, not {env_id}")
    env = HiddenRewardEnv(env_id)
    spaces = {}
    for name in ("observation_space", "action_space"):
        try:
            spaces[name] = deserialize_space(meta[name])
        except Exception as err:  # noqa: BLE001  (minari raises several types)
            problems.append(f"its {name} cannot be read: {err}")
            continue
        if not same_space(spaces[name], getattr(env, name), exact=True):
            problems.append(
                f"its {name} {spaces[name]} does not match {env_id}'s {getattr(env, name)}"
            )
    env.close()
    return task, spaces.get("observation_space"), spaces.get("action_space"), problems
