"""Inverse RL on the tabular tasks: reward recovery (EPIC), re-optimised return, transfer.

Every tabular task x algorithm x seed: ``ilkit.algorithms.train`` on 50 expert demonstrations
(the task's expert dataset generated with that seed, so the seeds differ in their demos as well
as in training), then, exactly (dynamic programming, no sampling):

* the trained policy's true normalized return;
* for runs that write a reward (mce_irl, feature_matching, gail's logit, airl's g):
  EPIC to the hidden reward under uniform and under expert-occupancy coverage, the true
  normalized return of the policy re-optimised on it, the feature-expectation gap;
* transfer: in the task's shifted-dynamics variant (``ilkit.envs.tabular.TRANSFER``) the
  reward re-optimised there vs the policy carried over unchanged (both normalized by the
  variant's own exact random and expert returns).

Heat maps of the true and recovered rewards (seed 0, z-scored per panel) are PNGs beside the
table. Run (2 cores: about 1 min without gail/airl; each gail/airl run ~1-2 min):

    .venv/bin/python benchmarks/irl.py              # writes benchmarks/results/irl.md
    .venv/bin/python benchmarks/irl.py --algos mce_irl feature_matching bc --seeds 0 1 2
    .venv/bin/python benchmarks/irl.py --continuous airl gail anchor --env ilkit/Pendulum-v0
    .venv/bin/python benchmarks/irl.py --page-only   # rewrite the page from the stored rows

Finished cells are kept in ``benchmarks/results/irl_runs.jsonl`` and not re-run; the continuous
rows (``--continuous``: AIRL's g / GAIL's logit re-optimised with SAC, sampled EPIC) are appended
to ``irl_continuous.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"
OUT = RESULTS / "irl.md"
ROWS = RESULTS / "irl_runs.jsonl"
NOTES = RESULTS / "irl_notes.md"
"""Hand-written reading of the table, included in the page."""
TASKS = ("ilkit/LavaGrid-v0", "ilkit/SlipperyLavaGrid-v0", "ilkit/CliffWalk-v0")
ALGOS = ("mce_irl", "feature_matching", "bc", "gail", "airl")
DEMOS = 50
CONFIG = {  # what differs from each algorithm's defaults here
    "gail": {"normalize_obs": False},  # one-hot states: a zero-variance state would blow up
    "airl": {"normalize_obs": False},
}
COMMAND = "python benchmarks/irl.py"


def normalized(env_id: str, ret: float) -> float:
    from ilkit.envs import spec

    task = spec(env_id)
    return (ret - task.ref_random_return) / (task.ref_expert_return - task.ref_random_return)


def policy_score(policy, env_id: str) -> float:
    from ilkit.envs.tabular import model
    from ilkit.rewards.tabular import exact_return, policy_table

    m = model(env_id)
    return normalized(env_id, exact_return(env_id, policy_table(policy, m.n_states, m.n_actions)))


def run_cell(task: str, algo: str, seed: int, work: Path, adv_steps: int) -> dict:
    from ilkit.algorithms import train
    from ilkit.datasets import generate
    from ilkit.envs import spec
    from ilkit.envs.tabular import TRANSFER
    from ilkit.policies import load_policy
    from ilkit.rewards import evaluate_reward, load_reward

    os.environ["MINARI_DATASETS_PATH"] = str(work / "minari" / f"seed{seed}")
    if not (work / "minari" / f"seed{seed}" / spec(task).dataset_id).exists():
        generate(task, n_episodes=DEMOS, seed=seed, progress=False)
    out = work / "runs" / spec(task).name / algo / f"s{seed}"
    shutil.rmtree(out, ignore_errors=True)
    config = dict(CONFIG.get(algo, {}))
    if algo in ("gail", "airl"):
        config["total_timesteps"] = adv_steps
    t0 = time.process_time()
    train(algo, env_id=task, n_demos=DEMOS, seed=seed, out_dir=out, config=config or None,
          device="cpu")  # fmt: skip
    cpu = time.process_time() - t0
    variant = TRANSFER[task]
    policy = load_policy(out / "policy", device="cpu")
    row = {
        "task": task,
        "algo": algo,
        "seed": seed,
        "config": config,
        "cpu_s": round(cpu, 1),
        "policy": policy_score(policy, task),
        "variant": variant,
        "transfer_policy": policy_score(policy, variant),
    }
    if (out / "reward").exists():
        reward = load_reward(out / "reward")
        uni = evaluate_reward(reward, task)
        exp = evaluate_reward(reward, task, coverage="expert")
        moved = evaluate_reward(reward, variant)
        row.update(
            reward_kind=reward.fields.get("net_kind", reward.kind),
            epic=uni["epic"],
            epic_expert=exp["epic"],
            retrained=uni["normalized_return"],
            feature_gap=uni["feature_gap_l1"],
            transfer_reward=moved["normalized_return"],
        )
        np.save(work / f"reward_{spec(task).name}_{algo}_s{seed}.npy",
                state_view(reward, task))  # fmt: skip
    return row


def state_view(reward, env_id: str) -> np.ndarray:
    """R̄(s) = E_{a uniform, s' ~ P}[R(s, a, s')]: a state picture of any reward."""
    from ilkit.envs.tabular import model

    m = model(env_id)
    table = reward.transition_table(env_id)
    return np.einsum("xay,xay->x", m.transition, table) / m.n_actions


def heat_maps(task: str, work: Path, algos: list[str]) -> str | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ilkit.envs import spec
    from ilkit.envs.tabular import _truth, model

    m = model(task)
    name = spec(task).name
    panels = [("true R(s)", _truth.true_reward(task))]
    for algo in algos:
        path = work / f"reward_{name}_{algo}_s0.npy"
        if path.exists():
            panels.append((f"{algo} (seed 0)", np.load(path)))
    if len(panels) < 2:
        return None
    rows, cols = len(m.layout), len(m.layout[0])
    walls = np.array([[c == "#" for c in r] for r in m.layout])
    fig, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 2.6 * rows / cols + 0.6))
    for ax, (title, values) in zip(np.atleast_1d(axes), panels, strict=True):
        z = (values - values[~walls.ravel()].mean()) / (values[~walls.ravel()].std() or 1.0)
        img = np.ma.masked_array(z.reshape(rows, cols), walls)
        ax.imshow(img, cmap="RdBu", vmin=-2.5, vmax=2.5)
        for (r, c), ch in np.ndenumerate(np.array([list(x) for x in m.layout])):
            if ch in "LGCmS":
                ax.text(c, r, ch, ha="center", va="center", fontsize=7, color="k")
        ax.set_title(title, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{task}: rewards z-scored per panel (red low, blue high; walls blank)",
                 fontsize=9)  # fmt: skip
    fig.tight_layout()
    png = RESULTS / f"irl_{name}.png"
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return png.name


def fmt(v) -> str:
    return "—" if v is None else f"{v:.3f}"


def write_page(rows: list[dict], pictures: list[str], seeds: list[int], adv_steps: int) -> None:
    lines = [
        "# Inverse RL on the tabular tasks",
        "",
        f"Command: `{COMMAND}` (seeds {' '.join(map(str, seeds))}; {DEMOS} demonstrations "
        f"from the exact expert; gail/airl: PPO generator, {adv_steps} env steps, "
        "normalize_obs=False). Machine: " + f"{platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs (shared). Every number is exact (dynamic programming on the "
        "public model and the hidden reward), not sampled.",
        "",
        "Columns: **policy** = the run's own policy, true normalized return; **EPIC** = "
        "distance of the learned reward to the hidden one (uniform coverage of states and "
        "actions; *EPIC exp.*: coverage = the expert's state occupancy), 0 = equal up to "
        "shaping and scale, 0.707 = uncorrelated, 1 = opposite; **retrained** = true normalized "
        "return of ilkit's optimal policy for the learned reward (greedy after H backups of "
        "value iteration, the same procedure as the expert); **μ gap** = ‖μ(π) − μ(π*)‖₁ of "
        "that policy (discounted feature counts); **transfer** = in the shifted-dynamics "
        "variant, the reward re-optimised there vs the policy carried over unchanged "
        "(normalized by the variant's own references). Gail's reward is its discriminator "
        "logit, airl's its g(s, a) (without the potential).",
        "",
        "| task | algorithm | seed | policy | EPIC | EPIC exp. | retrained | μ gap | variant "
        "| transfer: reward re-optimised | transfer: policy carried over | CPU s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    order = {a: i for i, a in enumerate(ALGOS)}
    rows = sorted(rows, key=lambda r: (TASKS.index(r["task"]), order[r["algo"]], r["seed"]))
    for r in rows:
        lines.append(
            f"| {r['task']} | {r['algo']} | {r['seed']} | {fmt(r['policy'])} | "
            f"{fmt(r.get('epic'))} | {fmt(r.get('epic_expert'))} | {fmt(r.get('retrained'))} | "
            f"{fmt(r.get('feature_gap'))} | {r['variant']} | {fmt(r.get('transfer_reward'))} | "
            f"{fmt(r['transfer_policy'])} | {r['cpu_s']} |"
        )
    lines += ["", "## Means over seeds", "",
              "| task | algorithm | seeds | policy | EPIC | retrained | transfer: reward | "
              "transfer: policy |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["task"], r["algo"]), []).append(r)

    def mean(rs, key):
        vals = [r.get(key) for r in rs if r.get(key) is not None]
        return float(np.mean(vals)) if vals else None

    for (task, algo), rs in groups.items():
        lines.append(
            f"| {task} | {algo} | {len(rs)} | {fmt(mean(rs, 'policy'))} | "
            f"{fmt(mean(rs, 'epic'))} | {fmt(mean(rs, 'retrained'))} | "
            f"{fmt(mean(rs, 'transfer_reward'))} | {fmt(mean(rs, 'transfer_policy'))} |"
        )
    if CONTINUOUS_ROWS.exists():
        lines += ["", "## Continuous tasks: the saved reward re-optimised from scratch", "",
                  "Commands: `" + "`; `".join(CONTINUOUS_COMMANDS) + "`. Re-optimised: SB3 "
                  "SAC from scratch on the learned reward (`ilkit reward evaluate --retrain-steps "
                  "N`: 64x64 nets, lr 1e-3, the task's gamma), scored on 50 validation episodes "
                  "with the true reward; the anchor row is the same recipe on the true reward. "
                  "Sampled EPIC: random-policy transitions, with the sample count (see "
                  "docs/irl.md).", "",
                  "| task | algorithm | seed | own policy | reward re-optimised | sampled EPIC "
                  "| samples | re-training steps | CPU s |",
                  "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for line in CONTINUOUS_ROWS.read_text().splitlines():
            r = json.loads(line)
            name = " ".join([r["algo"], *(f"{k}={v}" for k, v in r.get("overrides", {}).items())])
            lines.append(
                f"| {r['task']} | {name} | {r['seed']} | {fmt(r['policy'])} "
                f"| {fmt(r['retrained'])} | {fmt(r.get('epic'))} | {r.get('epic_samples') or '—'} "
                f"| {r['retrain_steps']} | {r['cpu_s']} |"
            )
    if NOTES.exists():
        lines += ["", NOTES.read_text().strip()]
    lines += ["", "## Heat maps: true vs recovered reward", ""]
    lines += [f"![{p}]({p})" for p in pictures]
    OUT.write_text("\n".join(lines) + "\n")


CONTINUOUS_ROWS = RESULTS / "irl_continuous.jsonl"
CONTINUOUS_COMMANDS = (
    f"{COMMAND} --continuous airl gail anchor --env ilkit/Pendulum-v0 --retrain-steps 20000",
    f"{COMMAND} --continuous airl --set airl_log_pi=true --env ilkit/Pendulum-v0 --seeds 0 1 "
    "--retrain-steps 20000",
    f"{COMMAND} --continuous airl --set airl_log_pi=true --env ilkit/HalfCheetah-v0 "
    "--retrain-steps 30000",
    f"{COMMAND} --continuous gail anchor --env ilkit/HalfCheetah-v0 --retrain-steps 30000",
    f"{COMMAND} --continuous anchor gail --env ilkit/HalfCheetah-v0 --retrain-steps 100000",
    f"{COMMAND} --continuous airl --set airl_log_pi=true --env ilkit/HalfCheetah-v0 "
    "--retrain-steps 100000",
)
"""The runs behind the committed rows of :data:`CONTINUOUS_ROWS`."""


def run_continuous(env_id: str, algos: list[str], work: Path, retrain_steps: int, seed: int,
                   overrides: dict[str, str]) -> None:  # fmt: skip
    """AIRL's g / GAIL's logit on a continuous task (SAC generator, the task's defaults plus
    ``overrides``), re-optimised from scratch with ``evaluate_reward``'s SB3 recipe for
    ``retrain_steps``, with sampled EPIC; one row each appended to :data:`CONTINUOUS_ROWS`.
    A run directory already under ``work`` (``work/<task>/<algo>[-key=value...]``) is reused:
    the training of a row can come from ``ilkit train`` with the same arguments."""
    from ilkit.algorithms import train
    from ilkit.rewards import evaluate_reward, load_reward

    name = env_id.split("/")[-1]
    os.environ["MINARI_DATASETS_PATH"] = str(work / "minari")
    for algo in algos:
        if algo == "anchor":
            _true_reward_anchor(env_id, retrain_steps, seed)
            continue
        tag = "".join(f"-{k}={v}" for k, v in sorted(overrides.items()))
        out = work / name / f"{algo}{tag}-s{seed}"
        t0 = time.process_time()
        if not (out / "reward").exists():
            config = {"generator": "sac", **overrides}
            train(algo, env_id=env_id, seed=seed, out_dir=out, config=config, device="cpu",
                  overwrite=True)  # fmt: skip
        metrics = json.loads((out / "metrics.json").read_text())
        result = evaluate_reward(load_reward(out / "reward"), env_id,
                                 retrain_steps=retrain_steps, seed=seed, device="cpu")  # fmt: skip
        row = {"task": env_id, "algo": algo, "overrides": overrides, "seed": seed,
               "policy": metrics["final"]["normalized_score"],
               "retrained": result["normalized_return"], "epic": result.get("epic"),
               "epic_samples": _samples(result.get("epic_samples")),
               "retrain_steps": retrain_steps,
               "cpu_s": round(metrics["cpu_time_s"] + time.process_time() - t0, 1)}  # fmt: skip
        _store(row)


def _store(row: dict) -> None:
    print(row, flush=True)
    with CONTINUOUS_ROWS.open("a") as f:
        f.write(json.dumps(row) + "\n")


def _samples(counts: dict | None) -> str | None:
    return counts and f"{counts['transitions']} x {counts['canonicalization_samples']}"


def _true_reward_anchor(env_id: str, steps: int, seed: int) -> None:
    """``evaluate_reward``'s re-training recipe on the true reward: what 1.0 would need."""
    import gymnasium as gym

    from ilkit.envs import spec
    from ilkit.envs.scoring import make_scoring_env
    from ilkit.evaluation import evaluate
    from ilkit.rewards.evaluate import retraining_learner

    t0 = time.process_time()
    task = spec(env_id)
    env = gym.wrappers.TimeLimit(make_scoring_env(env_id), task.horizon)
    learner = retraining_learner(env, task, steps, seed, device="cpu")
    score = evaluate(learner, env_id, n_episodes=50, device="cpu").normalized_score
    row = {"task": env_id, "algo": "true reward (anchor)", "overrides": {}, "seed": seed,
           "policy": None, "retrained": score, "epic": 0.0, "epic_samples": None,
           "retrain_steps": steps, "cpu_s": round(time.process_time() - t0, 1)}  # fmt: skip
    _store(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", help="default: 0 1 2 (--continuous: 0)")
    parser.add_argument("--algos", nargs="+", default=list(ALGOS), choices=ALGOS)
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    parser.add_argument("--adv-steps", type=int, default=20_000)
    parser.add_argument("--work", type=Path, default=None, help="scratch dir (kept if given)")
    parser.add_argument(
        "--continuous",
        nargs="+",
        choices=("airl", "gail", "anchor"),
        default=None,
        help="instead: these algorithms on --env (continuous), reward re-optimised with SAC",
    )
    parser.add_argument("--env", default="ilkit/Pendulum-v0", help="task of --continuous")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="config override of the --continuous runs")  # fmt: skip
    parser.add_argument("--retrain-steps", type=int, default=20_000)
    parser.add_argument("--page-only", action="store_true", help="rewrite irl.md, run nothing")
    args = parser.parse_args()
    rerun_tabular = args.continuous is None and not args.page_only
    work = args.work or Path(tempfile.mkdtemp(prefix="ilkit-irl-"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.continuous is not None:
        overrides = dict(item.split("=", 1) for item in args.set)
        for seed in args.seeds or [0]:
            run_continuous(args.env, args.continuous, work, args.retrain_steps, seed, overrides)
    args.seeds = args.seeds or [0, 1, 2]
    done = {}
    if ROWS.exists():  # the tabular rows (the page is rewritten from all of them)
        for line in ROWS.read_text().splitlines():
            r = json.loads(line)
            done[(r["task"], r["algo"], r["seed"])] = r
    for seed in args.seeds if rerun_tabular else []:
        for task in args.tasks:
            for algo in args.algos:
                key = (task, algo, seed)
                npy = work / f"reward_{task.split('/')[1][:-3]}_{algo}_s{seed}.npy"
                if key in done and (seed != 0 or algo in ("bc",) or npy.exists()):
                    continue
                print(f"{task} {algo} seed {seed} ...", flush=True)
                done[key] = run_cell(task, algo, seed, work, args.adv_steps)
                with ROWS.open("w") as f:
                    for r in done.values():
                        f.write(json.dumps(r) + "\n")
    if rerun_tabular:
        pictures = [p for t in TASKS if (p := heat_maps(t, work, list(ALGOS)))]
    else:  # the heat maps of the last tabular run
        pictures = [
            p.name for t in TASKS if (p := RESULTS / f"irl_{t.split('/')[1][:-3]}.png").exists()
        ]
    write_page(list(done.values()), pictures, sorted({r["seed"] for r in done.values()}),
               args.adv_steps)  # fmt: skip
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
