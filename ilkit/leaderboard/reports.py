"""Leaderboard reports: JSON (everything), CSV and Markdown (one row per entry), static HTML.

Every report names its seed split (and the secret's fingerprint on the test split; never the
secret or a test seed) and explains each statistic in one sentence. The HTML page is one
self-contained file (inline CSS, JS and SVG; no server, no network): a table that sorts when a
header is clicked, and a plot of each entry's score with its CI.
"""

from __future__ import annotations

import csv
import html
import io
import json
from pathlib import Path
from typing import Any

from ilkit.atomic import write_text
from ilkit.errors import IlkitError

FORMAT = "ilkit-leaderboard"


def read_board(out: Path) -> dict[str, Any]:
    """The board a run wrote into ``out``; a missing or corrupt file is a one-line error."""
    path = out / "leaderboard.json"
    if not path.is_file():
        raise IlkitError(f"{out} has no leaderboard.json (run `ilkit leaderboard run` first)")
    try:
        board = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise IlkitError(f"{path} is corrupt ({str(err)[:100]}): run the board again") from None
    if not isinstance(board, dict) or board.get("format") != FORMAT:
        raise IlkitError(f"{path} is not an ilkit leaderboard: run the board again")
    try:
        to_markdown(board)  # every field the reports read is there and of its type
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        raise IlkitError(
            f"{path} is incomplete or from another ilkit version: run the board again"
        ) from None
    return board


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    return f"{value:.{digits}g}" if 0 < abs(value) < 1e-3 else f"{value:.{digits}f}"


def _short(env_id: str) -> str:
    return env_id.split("/")[-1]


def _known(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:,}" if isinstance(value, int) else str(value)


def track_label(track: dict[str, Any]) -> str:
    """``offline`` / ``online`` / ``unknown``, and who says so: ``declared`` unless ilkit ran it."""
    if track.get("source") == "reference":
        return "reference"
    offline = track.get("offline")
    mode = "unknown" if offline is None else ("offline" if offline else "online")
    return f"{mode} ({track.get('source', 'declared')})"


def rank_label(entry: dict[str, Any]) -> str:
    if entry.get("reference"):
        return "ref"
    return "-" if entry["rank"] is None else str(entry["rank"])


def split_line(board: dict[str, Any]) -> str:
    split = board["split"]
    return f"Seed split: {split['description']}."


def run_line(board: dict[str, Any]) -> str:
    return f"Run at {board['generated_at']} with ilkit {board.get('ilkit_version', 'unknown')}."


def status_label(entry: dict[str, Any]) -> str:
    if entry["complete"]:
        return "ok"
    kinds = sorted({f["kind"] for f in entry["failures"]})
    return "failed: " + ", ".join(kinds)


def _point(stat: dict[str, Any] | None) -> float | None:
    return stat["point"] if stat else None


def _bounds(stat: dict[str, Any] | None) -> list[float | None]:
    return stat["ci"] if stat else [None, None]


def grouped_failures(board: dict[str, Any]) -> list[tuple[str, str, list[int], str, str]]:
    """``(entry, env_id, seed indices, kind, reason)``: one line per distinct failure."""
    groups: dict[tuple[str, str, str, str], list[int]] = {}
    for e in board["entries"]:
        for f in e["failures"]:
            name = f"{e['name']} run {f['run']}" if f.get("run") else e["name"]
            key = (name, f["env_id"], f["kind"], str(f["reason"]))
            groups.setdefault(key, []).append(f["seed_index"])
    return [(name, env, seeds, kind, reason) for (name, env, kind, reason), seeds in groups.items()]


def _seeds(indices: list[int]) -> str:
    indices = sorted(set(indices))
    return ("seed " if len(indices) == 1 else "seeds ") + ", ".join(map(str, indices))


def rows(board: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat row per entry (the CSV, Markdown and HTML tables)."""
    out = []
    for e in board["entries"]:
        row: dict[str, Any] = {
            "rank": rank_label(e),
            "entry": e["name"],
            "status": status_label(e),
            "score": _point(e["score"]),
            "score_low": _bounds(e["score"])[0],
            "score_high": _bounds(e["score"])[1],
            "p_improvement_next": e["p_improvement_next"],
            "iqm_runs": _point(e["iqm_runs"]),
            "iqm_runs_low": _bounds(e["iqm_runs"])[0],
            "iqm_runs_high": _bounds(e["iqm_runs"])[1],
            "split": board["split"]["name"],
            "track": track_label(e["track"]),
            "env_steps": e["track"].get("env_steps"),
            "expert_queries": e["track"].get("expert_queries"),
            "demos": e["track"].get("demos"),
        }
        for task in board["tasks"]:
            name = _short(task["env_id"])
            stats = e["tasks"].get(task["env_id"]) or {}
            row[f"{name} mean"] = stats.get("mean")
            row[f"{name} low"] = (stats.get("ci") or [None, None])[0]
            row[f"{name} high"] = (stats.get("ci") or [None, None])[1]
            row[f"{name} normalized"] = stats.get("normalized")
            row[f"{name} failed cells"] = stats.get("n_failed_cells")
        out.append(row)
    return out


def to_csv(board: dict[str, Any]) -> str:
    table = rows(board)
    buffer = io.StringIO()
    fields = list(table[0]) if table else ["rank", "entry"]
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in table:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def _ci(point: float | None, ci: list[float] | None) -> str:
    if point is None:
        return "n/a"
    return f"{_fmt(point)} [{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci else _fmt(point)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _p(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def statistics_lines(board: dict[str, Any]) -> list[str]:
    return [f"- {text}" for text in board["statistics"].values()]


def to_markdown(board: dict[str, Any]) -> str:
    cfg = board["config"]
    tasks = [t["env_id"] for t in board["tasks"]]
    runs = any(e["iqm_runs"] for e in board["entries"])
    head = [
        "rank",
        "entry",
        "score [95% CI]",
        "P(> next)",
        *(["IQM over runs [95% CI]"] if runs else []),
        *[f"{_short(t)} return [95% CI]" for t in tasks],
        "track",
        "env steps",
        "expert queries",
        "demos",
        "status",
    ]
    lines = [
        "# ilkit leaderboard",
        "",
        split_line(board),
        run_line(board),
        "",
        f"{len(board['entries'])} entries x {len(tasks)} tasks x {cfg['seeds']} seeds x "
        f"{cfg['episodes']} episodes. Ranked by {board['rank_basis']}. "
        "`ref` rows are references the operator added, not ranked.",
        "",
        *statistics_lines(board),
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" for _ in head) + "|",
    ]
    for e in board["entries"]:
        cells = [
            rank_label(e),
            _md_escape(e["name"]),
            _ci(_point(e["score"]), e["score"] and e["score"]["ci"]),
            _p(e["p_improvement_next"]),
        ]
        if runs:
            cells.append(_ci(_point(e["iqm_runs"]), e["iqm_runs"] and e["iqm_runs"]["ci"]))
        for t in tasks:
            stats = e["tasks"].get(t) or {}
            cells.append(_ci(stats.get("mean"), stats.get("ci")))
        tr = e["track"]
        cells += [
            track_label(tr),
            _known(tr.get("env_steps")),
            _known(tr.get("expert_queries")),
            _known(tr.get("demos")),
            _md_escape(status_label(e)),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    failures = grouped_failures(board)
    if failures:
        lines += ["", "## Failed cells", ""]
        for name, env_id, seeds, kind, reason in failures:
            lines.append(
                f"- {_md_escape(name)}, {env_id} {_seeds(seeds)}: {kind}: {_md_escape(reason)}"
            )
    return "\n".join(lines) + "\n"


def _svg_plot(board: dict[str, Any]) -> str:
    """Horizontal points with CI whiskers: the score each entry is ranked by."""
    points = []
    for e in board["entries"]:
        if e["score"]:
            points.append((e["name"], e["score"]["point"], *e["score"]["ci"]))
    if not points:
        return "<p>No entry has a score to plot (the tasks lack reference returns).</p>"
    refs = (0.0, 1.0)  # random and expert on the normalized scale
    lo = min([p[2] for p in points] + list(refs))
    hi = max([p[3] for p in points] + list(refs))
    lo, hi = (lo - 0.5, hi + 0.5) if hi == lo else (lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo))
    left, width, row_h = 180, 420, 26
    height = row_h * len(points) + 70
    x = lambda v: left + (v - lo) / (hi - lo) * width  # noqa: E731
    parts = [
        f'<svg id="plot" xmlns="http://www.w3.org/2000/svg" width="{left + width + 20}" '
        f'height="{height}" role="img" aria-label="scores with 95% CIs">'
    ]
    for i, (name, point, low, high) in enumerate(points):
        y = 34 + i * row_h
        parts.append(
            f'<text x="{left - 8}" y="{y + 4}" text-anchor="end">{html.escape(name)}</text>'
            f'<line x1="{x(low):.1f}" x2="{x(high):.1f}" y1="{y}" y2="{y}" '
            f'stroke="#4477aa" stroke-width="3"/>'
            f'<circle cx="{x(point):.1f}" cy="{y}" r="5" fill="#223355">'
            f"<title>{html.escape(name)}: {_fmt(point)} [{_fmt(low)}, {_fmt(high)}]"
            "</title></circle>"
        )
    axis_y = height - 30
    for ref, label in zip(refs, ("random", "expert"), strict=False):
        parts.append(
            f'<line x1="{x(ref):.1f}" x2="{x(ref):.1f}" y1="16" y2="{axis_y - 8}" '
            f'stroke="#bbb" stroke-dasharray="4 3"/>'
            f'<text x="{x(ref):.1f}" y="11" text-anchor="middle">{label}</text>'
        )
    title = "mean normalized score"
    parts.append(
        f'<text x="{left + width / 2:.0f}" y="{height - 4}" text-anchor="middle">'
        f"{title} (95% CI)</text>"
    )
    parts.append(
        f'<line x1="{left}" x2="{left + width}" y1="{axis_y - 8}" y2="{axis_y - 8}" '
        'stroke="#999"/>'
        f'<text x="{left}" y="{axis_y + 4}">{_fmt(lo)}</text>'
        f'<text x="{left + width}" y="{axis_y + 4}" text-anchor="end">{_fmt(hi)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


_SORT_JS = """
document.querySelectorAll('#board th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var body = document.querySelector('#board tbody');
    var rows = Array.from(body.rows);
    var asc = th.getAttribute('data-order') !== 'asc';
    document.querySelectorAll('#board th').forEach(function (h) {
      h.removeAttribute('data-order');
    });
    th.setAttribute('data-order', asc ? 'asc' : 'desc');
    rows.sort(function (a, b) {
      var x = a.cells[col].getAttribute('data-sort'), y = b.cells[col].getAttribute('data-sort');
      var nx = parseFloat(x), ny = parseFloat(y), c;
      if (x === '' && y === '') c = 0; else if (x === '') return 1; else if (y === '') return -1;
      else if (!isNaN(nx) && !isNaN(ny)) c = nx - ny; else c = x.localeCompare(y);
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; white-space: nowrap; }
th { background: #eef; cursor: pointer; user-select: none; }
th[data-order=asc]::after { content: " \\25B2"; } th[data-order=desc]::after { content: " \\25BC"; }
tr.failed td { color: #a33; }
svg text { font-size: 12px; }
"""


def to_html(board: dict[str, Any]) -> str:
    cfg = board["config"]
    tasks = [t["env_id"] for t in board["tasks"]]
    runs = any(e["iqm_runs"] for e in board["entries"])
    head = [
        "Rank",
        "Entry",
        "Score",
        "P(> next)",
        *(["IQM over runs"] if runs else []),
        *[_short(t) for t in tasks],
        "Track",
        "Env steps",
        "Expert queries",
        "Demos",
        "Status",
    ]
    out = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        "<title>ilkit leaderboard</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>ilkit leaderboard</h1>",
        f'<p id="split"><b>{html.escape(split_line(board))}</b></p>',
        f'<p id="run">{html.escape(run_line(board))}</p>',
        f"<p>{len(board['entries'])} entries &times; {len(tasks)} tasks &times; "
        f"{cfg['seeds']} seeds &times; {cfg['episodes']} episodes. "
        f"Ranked by {html.escape(board['rank_basis'])}; <b>ref</b> rows are references the "
        "operator added, not ranked. Click a column header to sort.</p>",
        '<ul id="statistics">',
        *[f"<li>{html.escape(text)}</li>" for text in board["statistics"].values()],
        "</ul>",
        '<table id="board"><thead><tr>',
    ]
    out += [f"<th>{html.escape(h)}</th>" for h in head]
    out.append("</tr></thead><tbody>")

    def td(text: str, sort: Any) -> str:
        key = "" if sort is None else str(sort)
        return f'<td data-sort="{html.escape(key)}">{html.escape(text)}</td>'

    for e in board["entries"]:
        cls = "" if e["complete"] else ' class="failed"'
        cells = [
            td(rank_label(e), e["rank"]),
            td(e["name"], e["name"]),
            td(_ci(_point(e["score"]), e["score"] and e["score"]["ci"]), _point(e["score"])),
            td(_p(e["p_improvement_next"]), e["p_improvement_next"]),
        ]
        if runs:
            iqm = e["iqm_runs"]
            cells.append(td(_ci(_point(iqm), iqm and iqm["ci"]), _point(iqm)))
        for t in tasks:
            stats = e["tasks"].get(t) or {}
            cells.append(td(_ci(stats.get("mean"), stats.get("ci")), stats.get("mean")))
        tr = e["track"]
        cells += [
            td(track_label(tr), track_label(tr)),
            td(_known(tr.get("env_steps")), tr.get("env_steps")),
            td(_known(tr.get("expert_queries")), tr.get("expert_queries")),
            td(_known(tr.get("demos")), tr.get("demos")),
            td(status_label(e), status_label(e)),
        ]
        out.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    out.append("<h2>Scores with 95% confidence intervals</h2>")
    out.append(_svg_plot(board))
    failures = grouped_failures(board)
    if failures:
        out.append('<h2>Failed cells</h2><ul id="failures">')
        for name, env_id, seeds, kind, reason in failures:
            out.append(
                f"<li>{html.escape(name)}, {html.escape(env_id)} {_seeds(seeds)}: "
                f"{html.escape(kind)}: {html.escape(reason)}</li>"
            )
        out.append("</ul>")
    out.append(f"<script>{_SORT_JS}</script></body></html>")
    return "\n".join(out) + "\n"


def write_reports(board: dict[str, Any], out: Path) -> dict[str, Path]:
    """Write ``leaderboard.{json,csv,md,html}`` into ``out``, each atomically."""
    paths = {
        "json": out / "leaderboard.json",
        "csv": out / "leaderboard.csv",
        "md": out / "leaderboard.md",
        "html": out / "leaderboard.html",
    }
    write_text(paths["json"], json.dumps(board, indent=2, default=str) + "\n")
    write_text(paths["csv"], to_csv(board))
    write_text(paths["md"], to_markdown(board))
    write_text(paths["html"], to_html(board))
    return paths
