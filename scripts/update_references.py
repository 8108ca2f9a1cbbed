"""Regenerate ``ilkit/envs/references.json``: random and expert reference returns per task.

A developer script: it writes into the source tree beside it (``../ilkit/envs/``), never into
an installed package; the package only reads the file (``ilkit.envs.spec``).

The random reference is uniform random actions (:class:`ilkit.policies.RandomPolicy`, seed 0)
over the 50 held-out seeds; the expert reference is the bundled expert's manifest figure (which
was measured on the same seeds). ``ilkit.envs.spec()`` reads the file, and normalized scores use
it: ``(R - random) / (expert - random)``.

Usage: ``python scripts/update_references.py [--expert-only] [TASK_ID ...]``
(``--expert-only`` keeps the stored random figures and refreshes only the expert ones).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ilkit import atomic

N_EPISODES = 50


def references_path() -> Path:
    return Path(__file__).resolve().parents[1] / "ilkit" / "envs" / "references.json"


def random_reference(env_id: str, n_episodes: int = N_EPISODES) -> dict[str, Any]:
    from ilkit.envs.scoring import make_scoring_env
    from ilkit.evaluation import evaluate
    from ilkit.policies import RandomPolicy

    env = make_scoring_env(env_id)
    policy = RandomPolicy(env.action_space, seed=0)
    env.close()
    result = evaluate(policy, env_id, n_episodes=n_episodes, deterministic=False)
    return {"mean": result.mean, "std": result.std, "n_episodes": n_episodes}


def expert_reference(env_id: str) -> dict[str, Any] | None:
    from ilkit.experts import available, manifest

    if env_id not in available():
        return None
    ret = manifest(env_id)["true_return"]
    return {"mean": ret["mean"], "std": ret["std"], "n_episodes": ret["n_episodes"]}


def regenerate(env_ids: list[str] | None = None, *, expert_only: bool = False) -> dict[str, Any]:
    """Recompute the references of ``env_ids`` (default all tasks) and write the file."""
    from ilkit.envs.tasks import TASKS
    from ilkit.progress import log

    path = references_path()
    refs = json.loads(path.read_text()) if path.is_file() else {}
    for env_id in env_ids or list(TASKS):
        entry = refs.get(env_id, {})
        if not expert_only or "random" not in entry:
            entry["random"] = random_reference(env_id)
        expert = expert_reference(env_id)
        if expert is None:
            entry.pop("expert", None)
        else:
            entry["expert"] = expert
        refs[env_id] = entry
        shown = f"{expert['mean']:.1f}" if expert else "none"
        log(f"{env_id}: random {entry['random']['mean']:.1f}, expert {shown}")
    ordered = {i: refs[i] for i in TASKS if i in refs}
    atomic.write_text(path, json.dumps(ordered, indent=2) + "\n")
    return ordered


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("env_ids", nargs="*", help="tasks to refresh (default: all)")
    parser.add_argument("--expert-only", action="store_true", help="keep the random figures")
    args = parser.parse_args(argv)
    regenerate(args.env_ids or None, expert_only=args.expert_only)


if __name__ == "__main__":
    main()
