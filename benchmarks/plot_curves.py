"""Learning curves of the baselines on the MuJoCo tasks: one PNG per task.

Environment steps on the x-axis (log scale), normalized score on the y-axis, from the runs'
learning curves (``metrics.json``'s ``curve``: 5 episodes on the validation seeds per point),
mean over seeds with the min-max band. BC takes no environment steps: its final score (50
validation episodes) is a horizontal line. imitation's published 10M-step GAIL and AIRL scores
(seals tasks, 10 seeds, imitation v1.0's benchmark table) are dotted lines. Usage::

    python benchmarks/plot_curves.py                       # the sweep's stored runs
    python benchmarks/plot_curves.py --runs /tmp/ail-runs/HalfCheetah-gail-sac-0
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from baselines import MUJOCO, MUJOCO_RECORDED, RESULTS, WORK_DIR, label, load_rows

# imitation v1.0 benchmark (docs "Benchmarks"): normalized score at 10M environment steps
PUBLISHED_10M = {
    "HalfCheetah": {"gail": 0.96, "airl": 0.63},
    "Hopper": {"gail": 0.94, "airl": 0.92},
    "Walker2d": {"gail": 0.96, "airl": 0.46},
    "Ant": {"gail": 0.995, "airl": 0.98},
    "Swimmer": {"gail": 0.85, "airl": 0.97},
}
COLORS = {"bc": "tab:gray", "dagger": "tab:green", "gail": "tab:blue", "airl": "tab:orange",
          "airl_bc": "tab:red"}  # fmt: skip


def partial_metrics(run: Path, algo: str, env_id: str, seed: int, generator: str) -> dict:
    """The learning curve of a run stopped before its end, from its ``tb/progress.csv``
    (the ``eval/*`` rows; points without ``eval/env_steps`` are skipped)."""
    import csv

    with open(run / "tb" / "progress.csv") as f:
        evals = [r for r in csv.DictReader(f) if r.get("eval/normalized_score")]
    curve = [
        {
            "env_steps": int(float(r["eval/env_steps"])),
            "normalized_score": float(r["eval/normalized_score"]),
            "mean_return": float(r["eval/mean_return"]),
            "cpu_time_s": float(r["eval/cpu_time_s"]) if r.get("eval/cpu_time_s") else None,
        }
        for r in evals
        if r.get("eval/env_steps")
    ]
    return {
        "env_id": env_id,
        "algorithm": algo,
        "seed": seed,
        "config": {"generator": generator},
        "final": {"normalized_score": curve[-1]["normalized_score"] if curve else None},
        "curve": curve,
    }


def run_rows(run_dirs: list[str]) -> list[dict]:
    """Rows like the sweep's from run directories: ``DIR`` (a finished run's ``metrics.json``)
    or ``DIR:ALGO:ENV:SEED:GENERATOR`` (a stopped run's curve, see :func:`partial_metrics`)."""
    rows = []
    for spec in run_dirs:
        run, *fields = str(spec).split(":", 1)
        if fields:
            algo, env_id, seed, generator = fields[0].split(":")
            m = partial_metrics(Path(run), algo, env_id, int(seed), generator)
        else:
            m = json.loads((Path(run) / "metrics.json").read_text())
        overrides = {"generator": m["config"]["generator"]} if "generator" in m["config"] else {}
        rows.append(
            {
                "env_id": m["env_id"],
                "algorithm": m["algorithm"],
                "seed": m["seed"],
                "overrides": overrides if overrides.get("generator") == "sac" else {},
                "normalized_score": m["final"]["normalized_score"],
                "curve": m["curve"],
            }
        )
    return rows


def renormalized(row: dict) -> dict:
    """The row with every score recomputed from its mean return and the task's *current*
    references (a run stores the score of the references it ran under; they move when an
    expert or the simulator changes)."""
    from ilkit.envs import spec

    task = spec(row["env_id"])

    def score(point: dict) -> float | None:
        if point.get("mean_return") is None:
            return point.get("normalized_score")
        span = task.ref_expert_return - task.ref_random_return
        return (point["mean_return"] - task.ref_random_return) / span

    curve = [{**p, "normalized_score": score(p)} for p in row.get("curve") or []]
    return {**row, "normalized_score": score(row), "curve": curve}


def plot_task(env_id: str, rows: list[dict], out: Path) -> bool:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rows if r["env_id"] == env_id]
    if not rows:
        return False
    name = env_id.split("/")[-1].split("-")[0]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(label(r), []).append(r)
    for key in sorted(groups):
        algo = key.split()[0]
        runs = groups[key]
        seeds = ", ".join(str(r["seed"]) for r in sorted(runs, key=lambda r: r["seed"]))
        if algo == "bc":  # offline: no environment steps
            score = np.mean([r["normalized_score"] for r in runs])
            text = f"BC (offline; seeds {seeds}), {score:.2f}"
            ax.axhline(score, color=COLORS["bc"], linestyle="--", label=text)
            continue
        curves = [[p for p in r.get("curve") or [] if p.get("normalized_score") is not None]
                  for r in runs]  # fmt: skip
        curves = [c for c in curves if c]
        if not curves:
            continue
        xs = np.unique(np.concatenate([[p["env_steps"] for p in c] for c in curves]))
        ys = np.array(
            [
                np.interp(
                    xs,
                    [p["env_steps"] for p in c],
                    [p["normalized_score"] for p in c],
                    right=np.nan,
                )
                for c in curves
            ]  # fmt: skip
        )
        mean = np.nanmean(ys, axis=0)
        color = COLORS.get(algo)
        style = "-" if "generator=sac" in key or algo == "dagger" else "-."
        # a cell with overrides beyond the generator: dashed, so it is not read as the default
        variant = any(k != "generator" for r in runs for k in r.get("overrides") or {})
        note = "not the default; " if variant else ""
        ax.plot(
            xs,
            mean,
            "--" if variant else style,
            marker="x" if variant else ".",
            color=color,
            label=f"{algo.upper()}{key[len(algo) :]} ({note}seeds {seeds})",
        )
        if len(curves) > 1:
            ax.fill_between(xs, np.nanmin(ys, 0), np.nanmax(ys, 0), color=color, alpha=0.15)
    for algo, score in PUBLISHED_10M.get(name, {}).items():
        ax.axhline(score, color=COLORS[algo], linestyle=":",
                   label=f"imitation {algo.upper()} at 10M steps, {score:.2f}")  # fmt: skip
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_xscale("log")
    ax.set_xlabel("environment steps (log scale)")
    ax.set_ylabel("normalized score (validation seeds)")
    # down to the lowest point (Ant's early GAIL dip is -0.4), but a collapse below -1 (worse
    # than random by the expert's whole margin) is cut rather than squashing the rest
    low, high = ax.get_ylim()
    ax.set_ylim(max(-1.0, min(-0.2, low)), max(1.2, high))
    demos = "/".join(str(d) for d in sorted({r.get("n_demos") for r in rows} - {None}))
    ax.set_title(f"{env_id}: {demos or '?'} demos; lines: mean over seeds, bands: min-max")
    # below the axes: inside, it hid the early points (DAgger's, the first GAIL/AIRL ones);
    # beside them, long cell names squeezed the axes to a third of the figure
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=7)
    ax.grid(alpha=0.3)
    fig.savefig(out, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work-dir", type=Path, default=WORK_DIR)
    parser.add_argument(
        "--runs", nargs="*", default=[], help="run directories: DIR, or DIR:ALGO:ENV:SEED:GENERATOR"
    )
    parser.add_argument("--out-dir", type=Path, default=RESULTS.parent)
    args = parser.parse_args(argv)
    rows = [renormalized(r) for r in load_rows(args.work_dir) + run_rows(args.runs)]
    for env_id in (*MUJOCO, *MUJOCO_RECORDED):  # a task without runs gets no plot
        out = args.out_dir / f"curves-{env_id.split('/')[-1]}.png"
        if plot_task(env_id, rows, out):
            print(f"wrote {out}")


if __name__ == "__main__":
    main()
