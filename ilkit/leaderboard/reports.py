"""Leaderboard reports: JSON (everything), CSV, Markdown and a static HTML page.

The three tables share one row model (:func:`rows`): each column has a header, the text the
Markdown and HTML show, the value the HTML sorts on, and the raw values the CSV writes, so a
column added once appears in all three. Every report names its seed split (and the secret's
fingerprint on the test split; never the secret or a test seed), the time of the run and
ilkit's version, the reference returns scores are normalized with, each entry's digest, and
every failure with its full reason. The HTML page is one self-contained file (inline CSS, JS
and SVG; no server, no network): a table that sorts when a header is clicked, and a plot of
each entry's score with its CI whiskers on an axis ticked at 0 (random), 0.5 and 1 (expert).
A board with submitted rewards adds the reward track (:func:`reward_rows`, its own table in the
Markdown and HTML; the JSON holds it too), with its ranking rule stated above it.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
from pathlib import Path
from typing import Any

from ilkit.atomic import write_text
from ilkit.errors import IlkitError
from ilkit.leaderboard.records import Board, Entry, Estimate, RecordError, RewardTrack

DIGEST_CHARS = 12


def read_board(out: Path) -> Board:
    """The board a run wrote into ``out``; a missing or corrupt file is a one-line error."""
    path = out / "leaderboard.json"
    if not path.is_file():
        raise IlkitError(f"{out} has no leaderboard.json (run `ilkit leaderboard run` first)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise IlkitError(f"{path} is corrupt ({str(err)[:100]}): run the board again") from None
    try:
        return Board.from_json(data)
    except RecordError as err:
        raise IlkitError(
            f"{path} is incomplete or from another ilkit version ({err}): run the board again"
        ) from None


# --- formatting ------------------------------------------------------------------------------


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


def _ci(point: float | None, ci: tuple[float, float] | None) -> str:
    if point is None:
        return "n/a"
    return f"{_fmt(point)} [{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci else _fmt(point)


def _est(est: Estimate | None) -> str:
    return _ci(est.point, est.ci) if est else "n/a"


def track_label(track: dict[str, Any]) -> str:
    """What the entry consumed beyond its demos, and who says so (``declared`` unless ilkit ran
    it): ``offline``; ``preferences``, ``interventions`` or ``queries`` (expert labels) when it
    used any; else ``online`` (env steps only); ``unknown`` when the manifest does not say."""
    if track.get("source") == "reference":
        return "reference"
    offline = track.get("offline")
    if offline is None:
        mode = "unknown"
    elif offline:
        mode = "offline"
    else:
        used = [
            name
            for key, name in (("preference_queries", "preferences"),
                              ("interventions", "interventions"), ("expert_queries", "queries"))
            if track.get(key)
        ]  # fmt: skip
        mode = used[0] if used else "online"
    return f"{mode} ({track.get('source', 'declared')})"


def rank_label(entry: Entry) -> str:
    if entry.reference:
        return "ref"
    return "-" if entry.rank is None else str(entry.rank)


def status_label(entry: Entry) -> str:
    if entry.complete:
        return "ok"
    return "failed: " + ", ".join(sorted({f.kind for f in entry.failures}))


def split_line(board: Board) -> str:
    return f"Seed split: {board.split['description']}."


def run_line(board: Board) -> str:
    return f"Run at {board.generated_at} with ilkit {board.ilkit_version}."


def reference_lines(board: Board) -> list[str]:
    """The reference returns every normalized score uses: 0 = random, 1 = expert."""
    out = []
    for t in board.tasks:
        out.append(
            f"{t.env_id}: random {_fmt(t.ref_random)}, expert {_fmt(t.ref_expert)} "
            f"(horizon {t.horizon})"
        )
    return out


def grouped_failures(board: Board) -> list[tuple[str, str, list[int], str, str]]:
    """``(entry, env_id, seed indices, kind, reason)``: one line per distinct failure."""
    groups: dict[tuple[str, str, str, str], list[int]] = {}
    for e in board.entries:
        for f in e.failures:
            name = f"{e.name} run {f.run}" if f.run else e.name
            groups.setdefault((name, f.env_id, f.kind, f.reason), []).append(f.seed_index)
    return [(name, env, seeds, kind, reason) for (name, env, kind, reason), seeds in groups.items()]


def _seeds(indices: list[int]) -> str:
    indices = sorted(set(indices))
    return ("seed " if len(indices) == 1 else "seeds ") + ", ".join(map(str, indices))


# --- the one row model -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Field:
    """One cell of a table: shown ``text``, HTML ``sort`` key, and the CSV's raw ``values``."""

    text: str
    sort: Any
    values: dict[str, Any]


def _field(text: str, sort: Any, **values: Any) -> Field:
    return Field(text, sort, values)


def _estimate_field(est: Estimate | None, name: str) -> Field:
    return _field(
        _est(est),
        est.point if est else None,
        **{
            name: est.point if est else None,
            f"{name}_low": est.ci[0] if est else None,
            f"{name}_high": est.ci[1] if est else None,
        },
    )


def rows(board: Board) -> tuple[list[str], list[list[Field]]]:
    """``(headers, rows)``: the table every report shows, one row per entry."""
    runs = any(e.iqm_runs for e in board.entries)
    headers = ["rank", "entry", "status", "score [95% CI]", "P(> next)"]
    headers += ["IQM over runs [95% CI]"] if runs else []
    for t in board.tasks:
        headers += [f"{_short(t.env_id)} normalized", f"{_short(t.env_id)} return [95% CI]"]
    headers += ["track", "demos", "env steps", "expert queries", "interventions"]
    headers += ["preference queries", "digest"]
    table = []
    for e in board.entries:
        p = e.p_improvement_next
        row = [
            _field(rank_label(e), e.rank, rank=rank_label(e)),
            _field(e.name, e.name, entry=e.name),
            _field(status_label(e), status_label(e), status=status_label(e)),
            _estimate_field(e.score, "score"),
            _field("" if p is None else f"{p:.2f}", p, p_improvement_next=p),
        ]
        if runs:
            row.append(_estimate_field(e.iqm_runs, "iqm_runs"))
        for t in board.tasks:
            name = _short(t.env_id)
            s = e.tasks.get(t.env_id)
            norm, mean = (s.normalized, s.mean) if s else (None, None)
            ci = s.ci if s else None
            row.append(_field(_fmt(norm), norm, **{f"{name} normalized": norm}))
            row.append(
                _field(
                    _ci(mean, ci),
                    mean,
                    **{
                        f"{name} mean": mean,
                        f"{name} low": ci[0] if ci else None,
                        f"{name} high": ci[1] if ci else None,
                        f"{name} failed cells": s.n_failed_cells if s else None,
                    },
                )
            )
        tr = e.track
        row += [
            _field(track_label(tr), track_label(tr), track=track_label(tr)),
            *(
                _field(_known(tr.get(key)), tr.get(key), **{key: tr.get(key)})
                for key in (
                    "demos",
                    "env_steps",
                    "expert_queries",
                    "interventions",
                    "preference_queries",
                )
            ),  # fmt: skip
            _field(e.digest[:DIGEST_CHARS], e.digest, digest=e.digest),
        ]
        table.append(row)
    return headers, table


def reward_rows(track: RewardTrack) -> tuple[list[str], list[list[Field]]]:
    """``(headers, rows)`` of the reward track, one row per entry, best first."""
    headers = ["rank", "entry", "status", "EPIC (mean)", "retrained normalized (mean)"]
    for t in track.tasks:
        name = _short(t)
        headers += [f"{name} EPIC", f"{name} retrained normalized", f"{name} feature gap"]
    headers += ["kind", "digest"]
    table = []
    for e in track.entries:
        status = status_label(e)  # type: ignore[arg-type]  # same complete/failures fields
        row = [
            _field("-" if e.rank is None else str(e.rank), e.rank, rank=e.rank),
            _field(e.name, e.name, entry=e.name),
            _field(status, status, status=status),
            _field(_fmt(e.epic), e.epic, epic=e.epic),
            _field(_fmt(e.normalized_return), e.normalized_return),
        ]
        for t in track.tasks:
            s = e.tasks.get(t)
            for value in (s.epic, s.normalized_return, s.feature_gap_l1) if s else (None,) * 3:
                row.append(_field(_fmt(value), value))
        kinds = ", ".join(sorted(set(e.kinds.values())))
        row += [_field(kinds, kinds), _field(e.digest[:DIGEST_CHARS], e.digest, digest=e.digest)]
        table.append(row)
    return headers, table


def reward_failures(track: RewardTrack) -> list[tuple[str, list[str], str, str]]:
    """``(entry, tasks, kind, reason)``: one line per distinct failure of the reward track."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for e in track.entries:
        for f in e.failures:
            groups.setdefault((e.name, f.kind, f.reason), []).append(_short(f.env_id))
    return [(name, tasks, kind, reason) for (name, kind, reason), tasks in groups.items()]


def to_csv(board: Board) -> str:
    headers, table = rows(board)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if not table:
        writer.writerow(["rank", "entry"])
        return buffer.getvalue()
    writer.writerow([k for f in table[0] for k in f.values] + ["split"])
    for row in table:
        values = [v for f in row for v in f.values.values()] + [board.split["name"]]
        writer.writerow(["" if v is None else v for v in values])
    return buffer.getvalue()


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(board: Board) -> str:
    headers, table = rows(board)
    cfg = board.config
    lines = [
        "# ilkit leaderboard",
        "",
        split_line(board),
        run_line(board),
        "",
        f"{len(board.entries)} entries x {len(board.tasks)} tasks x {cfg['seeds']} seeds x "
        f"{cfg['episodes']} episodes. Ranked by {board.rank_basis}. "
        "`ref` rows are references the operator added, not ranked.",
        "",
        *[f"- {text}" for text in board.statistics.values()],
        "",
        "Reference returns (normalized score 0 = random, 1 = expert):",
        "",
        *[f"- {line}" for line in reference_lines(board)],
        "",
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    for row in table:
        lines.append("| " + " | ".join(_md_escape(f.text) for f in row) + " |")
    failures = grouped_failures(board)
    if failures:
        lines += ["", "## Failed cells", ""]
        for name, env_id, seeds, kind, reason in failures:
            lines.append(
                f"- {_md_escape(name)}, {env_id} {_seeds(seeds)}: {kind}: {_md_escape(reason)}"
            )
    if board.rewards:
        lines += ["", *_reward_markdown(board.rewards)]
    return "\n".join(lines) + "\n"


def _reward_markdown(track: RewardTrack) -> list[str]:
    headers, table = reward_rows(track)
    lines = [
        "## Reward track",
        "",
        f"{len(track.entries)} entries x {len(track.tasks)} tasks, exact (no seeds). "
        f"Ranked by {track.rank_basis}.",
        "",
        *[f"- {text}" for text in track.statistics.values()],
        "",
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
        *["| " + " | ".join(_md_escape(f.text) for f in row) + " |" for row in table],
    ]
    failures = reward_failures(track)
    if failures:
        lines += ["", "### Failed reward cells", ""]
        for name, tasks, kind, reason in failures:
            lines.append(f"- {_md_escape(name)}, {', '.join(tasks)}: {kind}: {_md_escape(reason)}")
    return lines


# --- the HTML page ---------------------------------------------------------------------------

TICKS = (0.0, 0.5, 1.0)


def _svg_plot(board: Board) -> str:
    """Each entry's score (ranked by) with its CI whiskers, on an axis ticked at 0, 0.5, 1."""
    points = [(e.name, e.score.point, *e.score.ci) for e in board.entries if e.score]
    if not points:
        return "<p>No entry has a score to plot (the tasks lack reference returns).</p>"
    lo = min([p[2] for p in points] + [0.0])
    hi = max([p[3] for p in points] + [1.0])
    pad = 0.05 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    left, width, row_h, top = 180, 460, 26, 28
    axis_y = top + row_h * len(points)
    height = axis_y + 44
    x = lambda v: left + (v - lo) / (hi - lo) * width  # noqa: E731
    parts = [
        f'<svg id="plot" xmlns="http://www.w3.org/2000/svg" width="{left + width + 30}" '
        f'height="{height}" role="img" aria-label="scores with 95% CIs">'
    ]
    for tick, label in zip(TICKS, ("0 random", "0.5", "1 expert"), strict=True):
        dash = ' stroke-dasharray="4 3"' if tick != 0.5 else ""
        parts.append(
            f'<line class="tick" x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top - 12}" '
            f'y2="{axis_y + 4}" stroke="#bbb"{dash}/>'
            f'<text x="{x(tick):.1f}" y="{axis_y + 18}" text-anchor="middle">{label}</text>'
        )
    for i, (name, point, low, high) in enumerate(points):
        y = top + i * row_h
        x_lo, x_hi = x(low), x(high)
        parts.append(
            f'<text x="{left - 8}" y="{y + 4}" text-anchor="end">{html.escape(name)}</text>'
            f'<circle cx="{x(point):.1f}" cy="{y}" r="4" fill="#fff" stroke="#223355" '
            f'stroke-width="2"><title>{html.escape(name)}: {_fmt(point)} '
            f"[{_fmt(low)}, {_fmt(high)}]</title></circle>"
            f'<g class="whisker" stroke="#4477aa" stroke-width="2">'
            f'<line x1="{x_lo:.1f}" x2="{x_hi:.1f}" y1="{y}" y2="{y}"/>'
            f'<line x1="{x_lo:.1f}" x2="{x_lo:.1f}" y1="{y - 7}" y2="{y + 7}"/>'
            f'<line x1="{x_hi:.1f}" x2="{x_hi:.1f}" y1="{y - 7}" y2="{y + 7}"/></g>'
        )
    parts.append(
        f'<line x1="{left}" x2="{left + width}" y1="{axis_y + 4}" y2="{axis_y + 4}" '
        'stroke="#999"/>'
        f'<text x="{left + width / 2:.0f}" y="{height - 4}" text-anchor="middle">'
        "mean normalized score (95% CI): 0 and 1 are the reference returns listed above</text>"
        "</svg>"
    )
    return "".join(parts)


_SORT_JS = """
document.querySelectorAll('table.sortable').forEach(function (table) {
 var heads = table.querySelectorAll('th');
 heads.forEach(function (th, col) {
  th.addEventListener('click', function () {
    var body = table.tBodies[0];
    var rows = Array.from(body.rows);
    var asc = th.getAttribute('data-order') !== 'asc';
    heads.forEach(function (h) {
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
});
"""

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; white-space: nowrap; }
th { background: #eef; cursor: pointer; user-select: none; }
th[data-order=asc]::after { content: " \\25B2"; } th[data-order=desc]::after { content: " \\25BC"; }
tr.failed td { color: #a33; }
#failures li { white-space: pre-wrap; word-break: break-word; max-width: 70em; }
svg text { font-size: 12px; }
"""


def to_html(board: Board) -> str:
    headers, table = rows(board)
    cfg = board.config
    out = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        "<title>ilkit leaderboard</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>ilkit leaderboard</h1>",
        f'<p id="split"><b>{html.escape(split_line(board))}</b></p>',
        f'<p id="run">{html.escape(run_line(board))}</p>',
        f"<p>{len(board.entries)} entries &times; {len(board.tasks)} tasks &times; "
        f"{cfg['seeds']} seeds &times; {cfg['episodes']} episodes. "
        f"Ranked by {html.escape(board.rank_basis)}; <b>ref</b> rows are references the "
        "operator added, not ranked. Click a column header to sort.</p>",
        '<ul id="statistics">',
        *[f"<li>{html.escape(text)}</li>" for text in board.statistics.values()],
        "</ul>",
        "<p>Reference returns (normalized score 0 = random, 1 = expert):</p>",
        '<ul id="references">',
        *[f"<li>{html.escape(line)}</li>" for line in reference_lines(board)],
        "</ul>",
        *_html_table("board", headers, table, [e.complete for e in board.entries]),
    ]
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
    if board.rewards:
        out += _reward_html(board.rewards)
    out.append(f"<script>{_SORT_JS}</script></body></html>")
    return "\n".join(out) + "\n"


def _html_table(
    table_id: str, headers: list[str], table: list[list[Field]], complete: list[bool]
) -> list[str]:
    """A sortable table: each cell's ``data-sort`` is its field's sort key."""
    out = [f'<table id="{table_id}" class="sortable"><thead><tr>']
    out += [f"<th>{html.escape(h)}</th>" for h in headers]
    out.append("</tr></thead><tbody>")
    for ok, row in zip(complete, table, strict=True):
        cells = "".join(
            f'<td data-sort="{html.escape("" if f.sort is None else str(f.sort))}">'
            f"{html.escape(f.text)}</td>"
            for f in row
        )
        cls = "" if ok else ' class="failed"'
        out.append(f"<tr{cls}>{cells}</tr>")
    out.append("</tbody></table>")
    return out


def _reward_html(track: RewardTrack) -> list[str]:
    headers, table = reward_rows(track)
    out = [
        "<h2>Reward track</h2>",
        f"<p>{len(track.entries)} entries &times; {len(track.tasks)} tasks, exact (no seeds). "
        f"Ranked by {html.escape(track.rank_basis)}.</p>",
        '<ul id="reward-statistics">',
        *[f"<li>{html.escape(text)}</li>" for text in track.statistics.values()],
        "</ul>",
        *_html_table("rewards", headers, table, [e.complete for e in track.entries]),
    ]
    failures = reward_failures(track)
    if failures:
        out.append('<h3>Failed reward cells</h3><ul id="reward-failures">')
        for name, tasks, kind, reason in failures:
            out.append(
                f"<li>{html.escape(name)}, {html.escape(', '.join(tasks))}: "
                f"{html.escape(kind)}: {html.escape(reason)}</li>"
            )
        out.append("</ul>")
    return out


def write_reports(board: Board, out: Path) -> dict[str, Path]:
    """Write ``leaderboard.{json,csv,md,html}`` into ``out``, each atomically."""
    paths = {
        "json": out / "leaderboard.json",
        "csv": out / "leaderboard.csv",
        "md": out / "leaderboard.md",
        "html": out / "leaderboard.html",
    }
    write_text(paths["json"], json.dumps(board.to_json(), indent=2) + "\n")
    write_text(paths["csv"], to_csv(board))
    write_text(paths["md"], to_markdown(board))
    write_text(paths["html"], to_html(board))
    return paths
