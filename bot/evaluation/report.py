"""Self-contained HTML report of an evaluation run, with inline SVG charts and a run history."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from bot.evaluation.metrics import METRICS
from bot.settings import PROJECT_ROOT
from bot.storage import atomic_write_text

HEADLINE = ("top1", "top3", "mrr10", "dept_exact", "list_recall", "refusal_recall", "wrong_refusals")
COLOURS = {"bm25": "#8c8c8c", "dense": "#4e79a7", "full": "#e15759"}
_FALLBACK_COLOURS = ("#59a14f", "#f28e2b", "#b07aa1", "#76b7b2")


def _colour(system: str, i: int) -> str:
    return COLOURS.get(system, _FALLBACK_COLOURS[i % len(_FALLBACK_COLOURS)])


def git_commit(root: Path = PROJECT_ROOT) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


# ---------------------------------------------------------------- SVG


def bar_chart(title: str, groups: list[str], series: dict[str, list[float | None]], max_value: float = 1.0) -> str:
    """Grouped vertical bars: one group per label, one bar per series (system)."""
    names = list(series)
    bar_w, gap, left, top, height = 14, 18, 80, 30, 180
    group_w = bar_w * len(names) + gap
    width = left + group_w * len(groups) + 20
    label_h = 110
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{top + height + label_h}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<text x="{left}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for tick in range(0, 5):
        value = max_value * tick / 4
        y = top + height - height * tick / 4
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        label = f"{value:.2f}" if max_value <= 1 else f"{value:.0f}"
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{label}</text>')
    for g, group in enumerate(groups):
        x0 = left + g * group_w + gap / 2
        for i, name in enumerate(names):
            value = series[name][g]
            if value is None:
                continue
            h = height * min(value, max_value) / max_value if max_value else 0
            x = x0 + i * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{top + height - h:.1f}" width="{bar_w - 2}" height="{h:.1f}" '
                f'fill="{_colour(name, i)}"><title>{escape(name)} · {escape(group)}: {value:.3g}</title></rect>'
            )
        cx = x0 + bar_w * len(names) / 2
        parts.append(
            f'<text x="{cx:.1f}" y="{top + height + 12}" font-size="10" text-anchor="end" '
            f'transform="rotate(-40 {cx:.1f} {top + height + 12})">{escape(group)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(title: str, xs: list[str], series: dict[str, list[float | None]]) -> str:
    """Values in [0, 1] over runs, one line per series."""
    left, top, height, step = 40, 30, 160, 40
    width = left + max(len(xs) - 1, 1) * step + 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{top + height + 70}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<text x="{left}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for tick in range(0, 5):
        y = top + height - height * tick / 4
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{tick / 4:.2f}</text>')
    for i, (name, values) in enumerate(series.items()):
        points = [
            (left + j * step, top + height - height * max(0.0, min(v, 1.0)))
            for j, v in enumerate(values)
            if v is not None
        ]
        colour = _colour(name.split(" ")[0], i)
        dash = ' stroke-dasharray="4 3"' if name.endswith("top3") else ""
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for x, y in points:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{escape(name)}</title></circle>')
        parts.append(f'<text x="{width - 55}" y="{top + 12 + 12 * i}" font-size="10" fill="{colour}">{escape(name)}</text>')
    for j, x in enumerate(xs):
        px = left + j * step
        parts.append(
            f'<text x="{px}" y="{top + height + 12}" font-size="9" text-anchor="end" '
            f'transform="rotate(-40 {px} {top + height + 12})">{escape(x)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def wrong_departments(failures: list[dict]) -> Counter:
    """How often each department was returned without being expected, or expected but missing."""
    counts: Counter = Counter()
    for f in failures:
        want = set(f["expected"].get("departments") or [])
        got = set(f["got"].get("departments") or [])
        if f["kind"] in ("department_tasks", "category_tasks", "out_of_scope") or not want:
            continue
        for d in got - want:
            counts[f"{d} (extra)"] += 1
        for d in want - got:
            counts[f"{d} (missing)"] += 1
    return counts


# ---------------------------------------------------------------- report


def history_entry(results: dict, timestamp: str, commit: str | None) -> dict:
    return {
        "timestamp": timestamp,
        "split": results.get("split"),
        "n": results.get("n"),
        "commit": commit,
        "systems": {s: {m: metrics.get(m) for m in HEADLINE} for s, metrics in results["systems"].items()},
    }


def read_history(path: Path) -> list[dict]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a torn line from an interrupted run: skip it, keep the rest
    return out


def render_html(results: dict, history: list[dict], timestamp: str, commit: str | None) -> str:
    systems = list(results["systems"])
    sysmetrics = results["systems"]
    e = escape
    out = [
        "<!doctype html><html lang='zh'><head><meta charset='utf-8'>",
        f"<title>policybot eval {e(timestamp)}</title><style>",
        "body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}"
        "th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}"
        "svg{display:block;margin:1em 0}.legend span{display:inline-block;margin-right:1em}"
        ".legend i{display:inline-block;width:10px;height:10px;margin-right:4px}details{margin:.5em 0}",
        "</style></head><body>",
        "<h1>policybot evaluation</h1>",
        f"<p>{e(timestamp)} · split <b>{e(str(results.get('split')))}</b> · n = {e(str(results.get('n')))}"
        f" · commit {e(commit or 'unknown')}</p>",
        "<p class='legend'>"
        + "".join(f"<span><i style='background:{_colour(s, i)}'></i>{e(s)}</span>" for i, s in enumerate(systems))
        + "</p>",
        "<h2>Metrics</h2><table><tr><th>metric</th>" + "".join(f"<th>{e(s)}</th>" for s in systems) + "</tr>",
    ]
    for m in METRICS:
        cells = "".join(
            f"<td class='num'>{'—' if sysmetrics[s].get(m) is None else f'{sysmetrics[s][m]:.3f}'}</td>" for s in systems
        )
        out.append(f"<tr><td>{e(m)}</td>{cells}</tr>")
    out.append("</table>")
    out.append(bar_chart("Headline metrics", list(HEADLINE), {s: [sysmetrics[s].get(m) for m in HEADLINE] for s in systems}))

    kinds = sorted({k for s in systems for k in sysmetrics[s]["by_kind"]})
    ranked_kinds = [k for k in kinds if sysmetrics[systems[0]]["by_kind"][k].get("top1") is not None]
    out.append("<h2>By kind</h2>")
    out.append(bar_chart("top3 by kind", ranked_kinds, {s: [sysmetrics[s]["by_kind"][k]["top3"] for k in ranked_kinds] for s in systems}))
    out.append(bar_chart("top1 by kind", ranked_kinds, {s: [sysmetrics[s]["by_kind"][k]["top1"] for k in ranked_kinds] for s in systems}))
    other = [("list_recall", k) for k in kinds if k in ("department_tasks", "category_tasks")]
    other += [("refused", "out_of_scope")] if "out_of_scope" in kinds else []
    if other:
        labels = [f"{k} {m}" for m, k in other]
        out.append(bar_chart("lists and refusals by kind", labels, {s: [sysmetrics[s]["by_kind"][k][m] for m, k in other] for s in systems}))
    out.append("<table><tr><th>kind</th><th>n</th>" + "".join(f"<th>{e(s)} top1/top3</th>" for s in systems) + "</tr>")
    for k in kinds:
        row = sysmetrics[systems[0]]["by_kind"][k]
        cells = "".join(
            "<td class='num'>" + "/".join("—" if sysmetrics[s]["by_kind"][k][m] is None else f"{sysmetrics[s]['by_kind'][k][m]:.2f}" for m in ("top1", "top3")) + "</td>"
            for s in systems
        )
        out.append(f"<tr><td>{e(k)}</td><td class='num'>{row['n']}</td>{cells}</tr>")
    out.append("</table>")

    cats = list(sysmetrics[systems[0]]["by_category"])
    if cats:
        out.append("<h2>By category</h2>")
        out.append(bar_chart("top3 by category", cats, {s: [sysmetrics[s]["by_category"][c]["top3"] for c in cats] for s in systems}))
        out.append(bar_chart("top1 by category", cats, {s: [sysmetrics[s]["by_category"][c]["top1"] for c in cats] for s in systems}))

    out.append("<h2>Wrong departments</h2>")
    wrong = {s: wrong_departments(results["failures"].get(s, [])) for s in systems}
    names = sorted({d for c in wrong.values() for d in c}, key=lambda d: -sum(c[d] for c in wrong.values()))[:25]
    if names:
        top = max(max(c.values(), default=0) for c in wrong.values())
        out.append(bar_chart("departments returned but not expected (extra) or expected but not returned (missing)",
                             names, {s: [wrong[s][d] for d in names] for s in systems}, max_value=max(top, 1)))
    else:
        out.append("<p>No wrong departments.</p>")

    out.append("<h2>History</h2>")
    runs = [h for h in history if h.get("split") == results.get("split")]
    if runs:
        xs = [h["timestamp"][:13] + (f" {h['commit']}" if h.get("commit") else "") for h in runs]
        series = {}
        for s in systems:
            series[f"{s} top1"] = [h["systems"].get(s, {}).get("top1") for h in runs]
            series[f"{s} top3"] = [h["systems"].get(s, {}).get("top3") for h in runs]
        out.append(line_chart(f"accuracy over time (split {results.get('split')})", xs, series))

    out.append("<h2>Failures</h2>")
    for s in systems:
        fails = results["failures"].get(s, [])
        out.append(f"<details{' open' if s == 'full' else ''}><summary>{e(s)}: {len(fails)} failures</summary>")
        out.append("<table><tr><th>id</th><th>kind</th><th>question</th><th>expected</th><th>got</th><th>why</th></tr>")
        for f in fails:
            g = f["got"]
            got = f"{g.get('kind')} · answered={g.get('answered')} · tasks {g.get('top_tasks')} · {'、'.join(g.get('departments') or [])}"
            out.append(
                f"<tr><td>{e(f['id'])}</td><td>{e(f['kind'])}/{e(f['lang'])}</td><td>{e(f['question'])}</td>"
                f"<td>{e(json.dumps(f['expected'], ensure_ascii=False))}</td><td>{e(got)}</td>"
                f"<td>{e('; '.join(f['reasons']))}</td></tr>"
            )
        out.append("</table></details>")
    out.append("</body></html>")
    return "\n".join(out)


def write_report(report_dir: Path, results: dict, now: datetime | None = None) -> Path:
    """DIR/<UTC timestamp>/index.html and results.json; one line appended to DIR/history.jsonl."""
    now = now or datetime.now(UTC)
    timestamp = now.strftime("%Y-%m-%dT%H%M%SZ")
    commit = git_commit()
    report_dir = Path(report_dir)
    run_dir = report_dir / timestamp
    suffix = 1
    while run_dir.exists():
        suffix += 1
        run_dir = report_dir / f"{timestamp}-{suffix}"
    run_dir.mkdir(parents=True)
    history_path = report_dir / "history.jsonl"
    with history_path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(history_entry(results, timestamp, commit), ensure_ascii=False) + "\n")
    atomic_write_text(run_dir / "results.json", json.dumps({**results, "timestamp": timestamp, "commit": commit}, ensure_ascii=False, indent=2))
    atomic_write_text(run_dir / "index.html", render_html(results, read_history(history_path), timestamp, commit))
    return run_dir / "index.html"
