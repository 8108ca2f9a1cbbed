"""Reference rows: what the operator adds to a board (``--with-references``), never a submission.

Two rows, each over the board's tasks: ``reference-expert`` (each task's bundled expert, learned
or scripted) and ``reference-random`` (uniform random actions: the 0 of the normalized score).
They run in the same sandbox as the submissions and show where 0 and 1 lie, but are never
ranked. A submitter cannot claim them: discovery refuses scripted kinds and any weights file
identical to a bundled expert's (:func:`bundled_digests`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ilkit.digest import file_sha256, tree_sha256
from ilkit.leaderboard.submissions import Submission
from ilkit.policies.submission import PolicyRef

EXPERT, RANDOM = "reference-expert", "reference-random"


def bundled_digests() -> dict[str, str]:
    """sha256 of each bundled expert's weights file -> what it is (for discovery to refuse)."""
    from ilkit.experts.registry import available, bundled_path

    out = {}
    for env_id in available():
        for path in sorted(bundled_path(env_id).glob("*.safetensors")):
            out[file_sha256(path)] = f"the bundled expert of {env_id}"
    return out


def reference_submissions(root: Path, envs: tuple[str, ...], taken: set[str]) -> list[Submission]:
    """The reference rows for ``envs``; a submission already named like one keeps its name."""
    import gymnasium as gym

    from ilkit.experts.registry import available, bundled_path
    from ilkit.policies import save_policy
    from ilkit.policies.scripted import UNIFORM_RANDOM

    have = set(available())
    expert = {
        env_id: PolicyRef(env_id, "artifact", str(bundled_path(env_id)), {})
        for env_id in envs
        if env_id in have
    }
    random: dict[str, PolicyRef] = {}
    for env_id in envs:
        path = root / "random" / env_id.split("/")[-1]
        if not path.exists():
            env = gym.make(env_id)
            save_policy(
                path,
                env_id=env_id,
                manifest={"kind": "scripted", "controller": UNIFORM_RANDOM, "seed": 0},
                observation_space=env.observation_space,
                action_space=env.action_space,
            )
            env.close()
        random[env_id] = PolicyRef(env_id, "artifact", str(path), {})
    rows = []
    for name, policies in ((EXPERT, expert), (RANDOM, random)):
        if not policies:
            continue
        while name in taken:
            name += "_"
        digest = hashlib.sha256(
            "".join(tree_sha256(Path(ref.path)) for ref in policies.values()).encode()
        ).hexdigest()
        rows.append(
            Submission(
                name=name,
                origin=root,
                root=root,
                digest=digest,
                runs={"": policies},
                reference=True,
            )
        )
    return rows
