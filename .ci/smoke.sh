#!/usr/bin/env bash
# Smoke subset for one more Python: run inside a virtual environment where ilkit was installed
# with the README's command. Every task passes `ilkit envs check`, every bundled expert loads,
# a short BC run is evaluated, a two-entry leaderboard finishes with both entries scored, and a
# memory bomb beside them fails its own cell only (the sandbox's memory limit on this Python).
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MINARI_DATASETS_PATH="$work/minari"
python -c "import sys; print('smoke on', sys.version.split()[0])"

for env_id in $(python -c "import ilkit.envs as e; print(' '.join(e.ids()))"); do
    ilkit envs check "$env_id" > /dev/null
done
echo "envs check: every task passed"

python - <<'PY'
from ilkit import experts
ids = experts.available()
for env_id in ids:
    experts.load(env_id, device="cpu")
print(f"experts: {len(ids)} loaded")
PY

mkdir -p "$work/submissions"
for seed in 0 1; do
    ilkit train bc --env ilkit/CartPole-v0 --demos 5 --seed "$seed" --out "$work/bc$seed" > /dev/null
    cp -r "$work/bc$seed/policy" "$work/submissions/bc-seed$seed"
done
ilkit evaluate "$work/bc0/policy" --env ilkit/CartPole-v0 --episodes 5 --min-score 0.5
ilkit leaderboard run "$work/submissions" --envs ilkit/CartPole-v0 --episodes 3 --seeds 2 \
    --out "$work/board" > /dev/null
python - "$work/board/leaderboard.json" <<'PY'
import json, sys
board = json.load(open(sys.argv[1]))
entries = board["entries"]
assert len(entries) == 2, f"expected 2 entries, got {len(entries)}"
for entry in entries:
    assert entry["error"] is None and entry["score"] is not None, entry
    failed = sum(task["n_failed_cells"] for task in entry["tasks"].values())
    assert failed == 0, f"{entry['name']}: {failed} failed cells"
print("leaderboard: 2 entries scored, no failed cell")
PY

# a declared 60000x60000 net (~14 GB of float32 to build) beside an honest entry
mkdir -p "$work/submissions/bomb"
python - "$work/submissions/bomb" <<'PY'
import json, sys
import numpy as np
from safetensors.numpy import save_file
save_file({"unused": np.zeros(1, dtype=np.float32)}, f"{sys.argv[1]}/w.safetensors")
manifest = {"env_id": "ilkit/CartPole-v0", "kind": "actor_critic", "weights": "w.safetensors",
            "architecture": {"net_arch": [60000, 60000], "activation": "tanh"}}
json.dump(manifest, open(f"{sys.argv[1]}/m.json", "w"))
PY
rm -r "$work/submissions/bc-seed1"
ilkit leaderboard run "$work/submissions" --envs ilkit/CartPole-v0 --episodes 2 --seeds 1 \
    --memory-mb 1024 --timeout 300 --out "$work/bomb-board" > /dev/null
python - "$work/bomb-board/leaderboard.json" <<'PY'
import json, sys
entries = {e["name"]: e for e in json.load(open(sys.argv[1]))["entries"]}
kinds = {f["kind"] for f in entries["bomb"]["failures"]}
assert kinds == {"memory"}, entries["bomb"]["failures"]
assert entries["bc-seed0"]["complete"], entries["bc-seed0"]
print("memory bomb: failed its own cell (memory), the honest entry was scored")
PY
