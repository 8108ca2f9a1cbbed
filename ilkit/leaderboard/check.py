"""``ilkit leaderboard check PATH``: what the board would say about a submission, before hand-in.

The check is the board's own path, not a second opinion: the same copy into an unpack area, the
same hash, the same discovery (:func:`ilkit.leaderboard.submissions.load_submission`, which
uses :mod:`ilkit.policies.submission`), the same refusal of bundled experts, then each policy
loaded weights-only and asked for one action on the task, as the sandboxed worker would, and
each reward loaded weights-only and evaluated on every transition of its (tabular) task. A
submission the check passes is one the board scores; one it refuses gets the reason the board
would store.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ilkit.errors import CheckFailedError, IlkitError
from ilkit.leaderboard.submissions import load_submission
from ilkit.leaderboard.worker import load_submitted_reward
from ilkit.policies.safety import Limits, archive_stem, is_archive
from ilkit.policies.submission import RewardRef, load_ref, safe_name


def check_submission(path: Path, limits: Limits = Limits()) -> dict[str, Any]:
    """``{"name", "digest", "runs": {run: {env_id: kind}}, "rewards": {env_id: kind}}`` for a
    submission the board accepts.

    Raises:
        CheckFailedError: the one-line reason the board would give (exit code 3).
    """
    from ilkit.envs import make
    from ilkit.envs.seeds import validation_seeds
    from ilkit.leaderboard.references import bundled_digests
    from ilkit.policies.spaces import policy_misfit

    path = Path(path)
    name = safe_name(archive_stem(path) if is_archive(path) else path.name)
    with tempfile.TemporaryDirectory(prefix="ilkit-check-") as tmp:
        sub = load_submission(path, name, Path(tmp), limits, bundled_digests())
        if sub.error:
            raise CheckFailedError(f"{path}: {sub.error}")
        runs: dict[str, dict[str, str]] = {}
        for run, policies in sub.runs.items():
            for env_id, ref in policies.items():
                where = f"{path}" + (f" run {run}" if run else "") + f" on {env_id}"
                try:
                    policy = load_ref(ref, device="cpu", limits=limits)
                    env = make(env_id)  # the public task: observations only, reward hidden
                    try:
                        misfit = policy_misfit(policy, env, env_id)
                        if misfit:
                            raise CheckFailedError(misfit)
                        obs, _ = env.reset(seed=validation_seeds(1)[0])
                        action, _ = policy.predict(np.asarray(obs)[None], deterministic=True)
                        env.step(np.asarray(action)[0])  # refuses a malformed action
                    finally:
                        env.close()
                except IlkitError as err:
                    raise CheckFailedError(f"{where}: {' '.join(str(err).split())}") from None
                runs.setdefault(run, {})[env_id] = ref.kind
        rewards = {env_id: _check_reward(path, ref) for env_id, ref in sub.rewards.items()}
    return {"name": name, "digest": sub.digest, "runs": runs, "rewards": rewards}


def _check_reward(path: Path, ref: RewardRef) -> str:
    """What the worker does before scoring: load it and take R(s, a, s') on the task (the
    hidden reward is not read here)."""
    from ilkit.envs.tabular import is_tabular
    from ilkit.rewards.artifact import RewardArtifactError

    env_id = ref.env_id
    where = f"{path} reward on {env_id}"
    if not is_tabular(env_id):
        raise CheckFailedError(
            f"{where}: {env_id} is not tabular: the board's reward track scores tabular tasks only"
        )
    try:
        reward = load_submitted_reward(ref.to_dict(), str(path / ref.shown))
        if not np.isfinite(reward.transition_table(env_id)).all():  # as evaluate_reward refuses
            raise RewardArtifactError("the reward is not finite on every transition")
    except IlkitError as err:
        raise CheckFailedError(f"{where}: {' '.join(str(err).split())}") from None
    return reward.kind
