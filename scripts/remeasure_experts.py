"""Re-measure bundled experts in place: each manifest's ``true_return`` on the validation seeds.

For a change of simulator (e.g. MuJoCo 2.3.7 -> 3.3.7) the weights stay and the figure moves:
this re-scores the shipped files (deterministic actions, 50 episodes, the same seeds as
``ilkit evaluate``'s default), records the figure it replaces and the MuJoCo version, and
rewrites ``manifest.json`` atomically. Afterwards refresh the reference returns that derive
from the manifests. Developer-only: it writes into the source tree.

Usage: python scripts/remeasure_experts.py ilkit/Hopper-v0 ilkit/Ant-v0 ...
"""

from __future__ import annotations

import argparse
import json


def main() -> None:
    import mujoco

    from ilkit import atomic
    from ilkit.experts import bundled_path, load
    from ilkit.experts.export import true_return
    from ilkit.progress import log

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("env_ids", nargs="+")
    parser.add_argument("--episodes", type=int, default=50)
    args = parser.parse_args()
    for env_id in args.env_ids:
        path = bundled_path(env_id) / "manifest.json"
        manifest = json.loads(path.read_text())
        before = manifest["true_return"]
        after = true_return(load(env_id, device="cpu"), env_id, args.episodes)
        after["previous"] = {
            "mean": before["mean"],
            "std": before["std"],
            "mujoco": before.get("mujoco", "2.3.7"),
        }
        after["mujoco"] = mujoco.__version__
        manifest["true_return"] = after
        manifest.setdefault("versions", {})["mujoco"] = mujoco.__version__
        atomic.write_json(path, manifest, sort_keys=True)
        log(f"{env_id}: {before['mean']:.1f} -> {after['mean']:.1f} ± {after['std']:.1f}")


if __name__ == "__main__":
    main()
