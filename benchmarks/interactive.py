"""Humans in the loop, measured: labels vs score (BC, DAgger, HG-DAgger, ensemble-gated) and
preference queries vs score (preferences + SAC).

Each (task, method, seed) is one ``ilkit.algorithms.train`` run with the task's default config
plus the method's overrides (``ilkit train ALGO --env ENV --seed S --set ...``); the score is
the run's final evaluation (10 validation episodes, normalized with the task's random and
expert references). What a run consumed is its ``consumption`` record (demos, env steps,
expert labels, interventions, preference queries): the same numbers ``ilkit train --json``
prints. Each finished run is one JSON file in ``--work-dir`` (with its learning curve), so a
rerun skips stored runs; the markdown and plots are rewritten from every stored run. Usage::

    python benchmarks/interactive.py                         # CartPole labels + Pendulum prefs
    python benchmarks/interactive.py --envs ilkit/CartPole-v0 ilkit/Hopper-v0 --seeds 0 1 2
    python benchmarks/interactive.py --prefs 100 300 1000 --seeds 0 1 2
    python benchmarks/interactive.py --table-only
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TQDM_DISABLE", "1")  # imitation's reward-trainer bars

RESULTS = Path(__file__).parent / "results"
PAGE = RESULTS / "interactive.md"
WORK_DIR = RESULTS / "interactive-runs"
LABEL_METHODS = {
    "bc": ("bc", {}),
    "dagger": ("dagger", {}),
    "hg_dagger deviation": ("hg_dagger", {}),
    "hg_dagger ensemble": ("hg_dagger", {"gate": "ensemble"}),
}
PREF_ENV = "ilkit/Pendulum-v0"
COMMANDS = (
    "python benchmarks/interactive.py --envs ilkit/CartPole-v0 --prefs 100 300 1000 --seeds 0 1 2",
    "python benchmarks/interactive.py --envs ilkit/CartPole-v0 --demos 2 --prefs --seeds 0 1 2",
    "python benchmarks/interactive.py --envs ilkit/LunarLander-v0 --prefs --seeds 0 1 2",
    "python benchmarks/interactive.py --envs ilkit/Hopper-v0 ilkit/Walker2d-v0 --methods bc dagger "
    '"hg_dagger deviation" "hg_dagger ensemble" --prefs --seeds 0 1 2',
    'python benchmarks/interactive.py --envs ilkit/Hopper-v0 --methods "hg_dagger deviation" '
    "--prefs --seeds 3",
    "python benchmarks/interactive.py --envs --prefs 10 30 --prefs-anchor --seeds 0 1 2",
    "python benchmarks/interactive.py --envs --prefs 1000 --prefs-env ilkit/HalfCheetah-v0 "
    "--prefs-steps 50000 --seeds 0 1 2",
    "python benchmarks/interactive.py --envs --prefs --prefs-env ilkit/HalfCheetah-v0 "
    "--prefs-steps 50000 --prefs-anchor --seeds 0",
)
"""The runs behind the committed page (stored in ``interactive-runs/``)."""


def run_one(
    env_id: str, method: str, algo: str, overrides: dict, seed: int, work: Path, demos=None
) -> dict:
    from ilkit.algorithms import train

    key = f"{env_id.split('/')[-1]}__{method.replace(' ', '_')}__{seed}"
    key += f"__d{demos}" if demos else ""
    path = work / f"{key}.json"
    if path.exists():
        return json.loads(path.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        t0, c0 = time.perf_counter(), time.process_time()
        n_demos = None if algo == "preferences" else demos  # it reads none
        result = train(algo, env_id, config=overrides, seed=seed, device="cpu",
                       out_dir=Path(tmp) / "run", n_demos=n_demos)  # fmt: skip
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    m = result.metrics
    row = {
        "env_id": env_id,
        "method": method,
        "algorithm": algo,
        "overrides": overrides,
        "seed": seed,
        "normalized_score": m["final"]["normalized_score"],
        "mean_return": m["final"]["mean_return"],
        **result.consumption,
        "expert_control_share": m.get("expert_control_share"),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "curve": m["curve"],
    }
    _store(path, row)
    print(f"{key}: {row['normalized_score']:.3f} normalized, labels {row['expert_labels']}, "
          f"queries {row['preference_queries']}, {wall:.0f} s", file=sys.stderr)  # fmt: skip
    return row


def run_anchor(env_id: str, steps: int | None, seed: int, work: Path) -> dict:
    """SAC with the preference runs' hyperparameters (``preferences``' config for the task,
    ``total_timesteps`` = ``steps``) trained on the true reward: the "RL performance" that
    Christiano et al. compare preference learning with, at the same budget. Benchmark-only:
    the true reward is read here, in the scoring room (``make_scoring_env``), never by ilkit's
    learners. Evaluated every ``round_steps`` on 5 validation episodes, finally on 10."""
    import gymnasium as gym
    from stable_baselines3 import SAC
    from stable_baselines3.common.monitor import Monitor

    from ilkit.algorithms.configs import make_config
    from ilkit.envs import spec
    from ilkit.envs.scoring import make_scoring_env
    from ilkit.evaluation import evaluate
    from ilkit.policies.artifact import ACTIVATIONS

    cfg = make_config("preferences", env_id, {"total_timesteps": steps} if steps else None)
    key = f"{env_id.split('/')[-1]}__true-reward_SAC_{cfg.total_timesteps // 1000}k__{seed}"
    path = work / f"{key}.json"
    if path.exists():
        return json.loads(path.read_text())
    task = spec(env_id)
    env = Monitor(gym.wrappers.TimeLimit(make_scoring_env(env_id), task.horizon))
    t0, c0 = time.perf_counter(), time.process_time()
    sac = SAC(
        "MlpPolicy", env, learning_rate=cfg.learning_rate, buffer_size=cfg.sac_buffer_size,
        learning_starts=cfg.sac_learning_starts, batch_size=cfg.batch_size, tau=cfg.sac_tau,
        gamma=task.gamma, train_freq=cfg.sac_train_freq, gradient_steps=cfg.sac_gradient_steps,
        policy_kwargs={"net_arch": list(cfg.net_arch),
                       "activation_fn": ACTIVATIONS[cfg.activation]},
        seed=seed, device="cpu", verbose=0,
    )  # fmt: skip
    curve = []
    while sac.num_timesteps < cfg.total_timesteps:
        sac.learn(min(cfg.round_steps, cfg.total_timesteps - sac.num_timesteps),
                  reset_num_timesteps=False)  # fmt: skip
        if sac.num_timesteps < cfg.total_timesteps:
            point = evaluate(sac, env_id, n_episodes=5, device="cpu")
            curve.append({"env_steps": sac.num_timesteps,
                          "normalized_score": point.normalized_score})  # fmt: skip
    final = evaluate(sac, env_id, n_episodes=10, device="cpu")
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    curve.append({"env_steps": sac.num_timesteps, "normalized_score": final.normalized_score})
    row = {
        "env_id": env_id, "method": f"true-reward SAC {cfg.total_timesteps // 1000}k steps",
        "algorithm": "true_reward_sac", "overrides": {"total_timesteps": cfg.total_timesteps},
        "seed": seed, "normalized_score": final.normalized_score, "mean_return": final.mean,
        "demos": 0, "env_steps": sac.num_timesteps, "expert_labels": 0, "interventions": 0,
        "preference_queries": 0, "expert_control_share": None, "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1), "curve": curve,
    }  # fmt: skip
    _store(path, row)
    print(f"{key}: {row['normalized_score']:.3f} normalized, {wall:.0f} s", file=sys.stderr)
    return row


def _store(path: Path, row: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = path.with_suffix(".tmp")
    tmp_path.write_text(json.dumps(row, indent=1, default=float))
    tmp_path.replace(path)


def _group(rows: list[dict], env: str, method: str, demos: int) -> list[dict]:
    return [r for r in rows if (r["env_id"], r["method"], r["demos"]) == (env, method, demos)]


def _fmt(x, digits=3):
    return "-" if x is None else f"{x:.{digits}f}"


def _plot_pref_curves(group: list[dict], env: str, path: Path) -> None:
    """Normalized score against env steps: each preference run and each true-reward SAC run
    (the anchor) a line, one colour per method."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    budget = {r["method"]: r["overrides"].get("query_budget", float("inf")) for r in group}
    methods = sorted(budget, key=lambda m: (budget[m], m))  # by query budget, the anchor last
    labelled = set()
    for r in sorted(group, key=lambda r: (methods.index(r["method"]), r["seed"])):
        i = methods.index(r["method"])
        pts = [(p["env_steps"], p["normalized_score"]) for p in r["curve"]]
        if not pts or pts[-1][0] != r["env_steps"]:
            pts.append((r["env_steps"], r["normalized_score"]))
        xs, ys = zip(*pts, strict=True)
        label = None if r["method"] in labelled else r["method"]  # one legend entry a method
        labelled.add(r["method"])
        ax.plot(xs, ys, "-o", ms=3, color=f"C{i}", alpha=0.7, label=label)
    ax.set_xlabel("env steps")
    ax.set_ylabel("normalized score (validation episodes)")
    ax.set_title(f"{env}: preferences vs SAC on the true reward")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_page(rows: list[dict], command: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    pref_algos = ("preferences", "true_reward_sac")
    labels = [r for r in rows if r["algorithm"] not in pref_algos]
    prefs = [r for r in rows if r["algorithm"] in pref_algos]
    out = [
        "# Humans in the loop: labels and preference queries vs score",
        "",
        "Written by `benchmarks/interactive.py` (2-core CPU shared with other work; one "
        "training at a time, `OMP_NUM_THREADS=1`). Every run uses the task's default config "
        "plus the method's overrides; the score is the run's final evaluation (10 validation "
        "episodes), normalized (R - random) / (expert - random). Every seed is a row.",
        "",
        "```bash",
        command,
        "```",
        "",
    ]
    envs = sorted({r["env_id"] for r in labels})
    if labels:
        out += [
            "## Labels vs score",
            "",
            "`expert_labels`: states the expert labelled (DAgger: every visited state; "
            "HG-DAgger: the steps under expert control; BC: none beyond the demos). "
            "`interventions`: switches from learner to expert.",
            "",
            "| task | method | seed | normalized | return | demos | env steps | expert labels "
            "| interventions | expert share | CPU s |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        order = list(LABEL_METHODS)
        rank = {m: i for i, m in enumerate(order)}

        def row_key(r):
            return (r["env_id"], -r["demos"], rank.get(r["method"], 99), r["seed"])

        for r in sorted(labels, key=row_key):
            out.append(
                f"| {r['env_id']} | {r['method']} | {r['seed']} | {_fmt(r['normalized_score'])} "
                f"| {r['mean_return']:.1f} | {r['demos']} | {r['env_steps']} "
                f"| {r['expert_labels']} | {r['interventions']} "
                f"| {_fmt(r['expert_control_share'], 4)} | {r['cpu_s']:.0f} |"
            )
        out += ["", "Mean over seeds:", "", "| task | demos | method | seeds | normalized "
                "(mean, min) | expert labels (mean) |", "|---|---|---|---|---|---|"]  # fmt: skip
        for env in envs:
            for n in sorted({r["demos"] for r in labels if r["env_id"] == env}, reverse=True):
                for method in order:
                    group = _group(labels, env, method, n)
                    if group:
                        s = [r["normalized_score"] for r in group]
                        lab = np.mean([r["expert_labels"] for r in group])
                        out.append(f"| {env} | {n} | {method} | {len(group)} | {np.mean(s):.3f}, "
                                   f"{np.min(s):.3f} | {lab:.0f} |")  # fmt: skip
        for env, n in sorted({(r["env_id"], r["demos"]) for r in labels}):
            name = f"{env.split('/')[-1]}-{n}demos"
            fig, ax = plt.subplots(figsize=(6, 4))
            for i, method in enumerate(order):
                group = _group(labels, env, method, n)
                for j, r in enumerate(group):
                    pts = [(p.get("expert_queries", 0), p["normalized_score"]) for p in r["curve"]]
                    pts.append((r["expert_labels"], r["normalized_score"]))
                    xs, ys = zip(*pts, strict=True)
                    ax.plot(np.asarray(xs) + 1, ys, "-o", ms=3, color=f"C{i}", alpha=0.7,
                            label=method if j == 0 else None)  # fmt: skip
            ax.set_xscale("log")
            ax.set_xlabel("expert labels + 1 (log)")
            ax.set_ylabel("normalized score")
            ax.set_title(f"{env}, {n} demos: labels vs score (each seed a line)")
            ax.legend()
            fig.tight_layout()
            png = f"interactive-labels-{name}.png"
            fig.savefig(RESULTS / png, dpi=100)
            plt.close(fig)
            out += ["", f"![labels vs score, {env}, {n} demos]({png})"]
        out.append("")
    if prefs:
        out += [
            "## Preferences: queries vs score",
            "",
            "`ilkit train preferences` (SAC on a Bradley–Terry reward net; oracle "
            "temperature 0: the higher hidden return always wins). No demonstrations are "
            "used; no expert labels. `true reward (anchor)`: SB3 SAC with the same "
            "hyperparameters and env steps trained on the hidden reward itself "
            "(`--prefs-anchor`), the RL performance the preference runs are measured against.",
            "",
            "| task | query budget | seed | normalized | return | env steps | preference "
            "queries | CPU s |",
            "|---|---|---|---|---|---|---|---|",
        ]

        def pref_key(r):
            anchor = r["algorithm"] != "preferences"
            return (r["env_id"], anchor, r["env_steps"], r["preference_queries"], r["seed"])

        for r in sorted(prefs, key=pref_key):
            budget = r["overrides"].get("query_budget", "true reward (anchor)")
            out.append(
                f"| {r['env_id']} | {budget} | {r['seed']} "
                f"| {_fmt(r['normalized_score'])} | {r['mean_return']:.1f} | {r['env_steps']} "
                f"| {r['preference_queries']} | {r['cpu_s']:.0f} |"
            )
        for env in sorted({r["env_id"] for r in prefs if r["algorithm"] == "preferences"}):
            group = [r for r in prefs if r["env_id"] == env and r["algorithm"] == "preferences"]
            fig, ax = plt.subplots(figsize=(6, 4))
            budgets = sorted({r["overrides"]["query_budget"] for r in group})
            for r in group:
                ax.scatter(r["preference_queries"], r["normalized_score"], color="C0", alpha=0.7)
            means = [
                np.mean([r["normalized_score"] for r in group
                         if r["overrides"]["query_budget"] == b])
                for b in budgets
            ]  # fmt: skip
            ax.plot(budgets, means, "-", color="C0", label="mean over seeds")
            ax.set_xscale("log")
            ax.set_xlabel("preference queries (log)")
            ax.set_ylabel("normalized score")
            ax.set_title(f"{env}: preference queries vs score")
            ax.legend()
            fig.tight_layout()
            png = (
                "interactive-preferences.png"
                if env == PREF_ENV
                else (f"interactive-preferences-{env.split('/')[-1]}.png")
            )
            fig.savefig(RESULTS / png, dpi=100)
            plt.close(fig)
            out += ["", f"![preferences vs score, {env}]({png})"]
        for env in sorted({r["env_id"] for r in prefs if r["algorithm"] != "preferences"}):
            png = f"interactive-preferences-curves-{env.split('/')[-1]}.png"
            _plot_pref_curves([r for r in prefs if r["env_id"] == env], env, RESULTS / png)
            out += ["", f"![preferences and true-reward SAC learning curves, {env}]({png})"]
        out.append("")
    marker = "<!-- kept by interactive.py: hand-written notes below -->"
    notes = ""
    if PAGE.exists() and marker in PAGE.read_text():
        notes = PAGE.read_text().split(marker, 1)[1]
    PAGE.write_text("\n".join(out) + "\n" + marker + notes)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--envs", nargs="*", default=["ilkit/CartPole-v0"])
    parser.add_argument("--methods", nargs="*", default=list(LABEL_METHODS))
    parser.add_argument("--prefs", nargs="*", type=int, default=[100, 300, 1000])
    parser.add_argument("--prefs-env", default=PREF_ENV, help="task of the preference runs")
    parser.add_argument(
        "--prefs-steps", type=int, default=None,
        help="env steps of the preference runs (task default if not given)",
    )  # fmt: skip
    parser.add_argument(
        "--prefs-anchor", action="store_true",
        help="also train SAC with the preference runs' hyperparameters on the true reward",
    )  # fmt: skip
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--demos", type=int, default=None, help="demo episodes of the label runs (task default)"
    )
    parser.add_argument("--work-dir", type=Path, default=WORK_DIR)
    parser.add_argument("--table-only", action="store_true")
    args = parser.parse_args(argv)
    if not args.table_only:
        for seed in args.seeds:
            for env in args.envs:
                for method in args.methods:
                    algo, overrides = LABEL_METHODS[method]
                    run_one(env, method, algo, overrides, seed, args.work_dir, args.demos)
            for budget in args.prefs:
                method, overrides = f"preferences {budget}", {"query_budget": budget}
                if args.prefs_steps:
                    method += f" {args.prefs_steps // 1000}k steps"
                    overrides["total_timesteps"] = args.prefs_steps
                run_one(args.prefs_env, method, "preferences", overrides, seed, args.work_dir)
            if args.prefs_anchor:
                run_anchor(args.prefs_env, args.prefs_steps, seed, args.work_dir)
    rows = [json.loads(p.read_text()) for p in sorted(args.work_dir.glob("*.json"))]
    write_page(rows, "\n".join(COMMANDS))
    print(PAGE)


if __name__ == "__main__":
    main()
