"""Self-contained HTML report of an evaluation run (in Chinese, the full system first), with inline SVG charts and a run history."""

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


# Chinese labels first: staff read the report in the admin page; the metric keys stay beside them.
METRIC_NAMES = {
    "top1": "首位命中率", "top3": "前三命中率", "mrr10": "平均倒数排名", "dept_exact": "牵头部门完全正确",
    "list_recall": "清单召回率", "must_contain": "必含短语", "refusal_precision": "拒答准确率",
    "refusal_recall": "拒答召回率", "wrong_refusals": "误拒率", "english_top3": "英文前三命中率",
    "task_number_acc": "任务编号准确率", "not_stated_acc": "“未写明”识别率",
}
SYSTEM_NAMES = {"full": "完整系统", "bm25": "基线：仅 BM25", "dense": "基线：仅向量检索"}
# No <style> element and no style attributes: the report is shown inside pages whose CSP allows
# no inline styles. Tables use HTML attributes; colours live in the SVG charts' own attributes.
_TABLE = "<table border='1' cellpadding='4' cellspacing='0'>"


def _system_name(s: str) -> str:
    return f"{SYSTEM_NAMES.get(s, s)}（{s}）"


def _swatch(system: str, i: int) -> str:
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10' aria-hidden='true'>"
            f"<rect width='10' height='10' fill='{_colour(system, i)}'/></svg>")


def _metric_rows(systems: list[str], sysmetrics: dict) -> list[str]:
    out = [_TABLE + "<tr><th>指标 metric</th>" + "".join(f"<th>{escape(_system_name(s))}</th>" for s in systems) + "</tr>"]
    for m in METRICS:
        cells = "".join(
            f"<td align='right'>{'—' if sysmetrics[s].get(m) is None else f'{sysmetrics[s][m]:.3f}'}</td>" for s in systems
        )
        out.append(f"<tr><td>{escape(METRIC_NAMES.get(m, m))} {escape(m)}</td>{cells}</tr>")
    out.append("</table>")
    return out


def _failures(system: str, fails: list[dict], open_: bool) -> list[str]:
    e = escape
    out = [f"<details{' open' if open_ else ''}><summary>{e(_system_name(system))}：{len(fails)} 题未通过</summary>",
           _TABLE + "<tr><th>编号</th><th>类型</th><th>问题</th><th>预期</th><th>实际</th><th>原因</th></tr>"]
    for f in fails:
        g = f["got"]
        got = f"{g.get('kind')} · answered={g.get('answered')} · tasks {g.get('top_tasks')} · {'、'.join(g.get('departments') or [])}"
        out.append(
            f"<tr><td>{e(f['id'])}</td><td>{e(f['kind'])}/{e(f['lang'])}</td><td>{e(f['question'])}</td>"
            f"<td>{e(json.dumps(f['expected'], ensure_ascii=False))}</td><td>{e(got)}</td>"
            f"<td>{e('; '.join(f['reasons']))}</td></tr>"
        )
    out.append("</table></details>")
    return out


def render_html(results: dict, history: list[dict], timestamp: str, commit: str | None) -> str:
    """The full system's figures and failures first, then the charts, then the baselines'."""
    given = list(results["systems"])
    systems = [s for s in given if s == "full"] + [s for s in given if s != "full"]
    baselines = [s for s in systems if s != "full"]
    lead = systems[0]
    sysmetrics = results["systems"]
    e = escape
    out = [
        "<!doctype html><html lang='zh'><head><meta charset='utf-8'>",
        f"<title>policybot 评测报告 {e(timestamp)}</title></head><body>",
        "<h1>policybot 评测报告</h1>",
        f"<p>{e(timestamp)} · 数据集划分 split <b>{e(str(results.get('split')))}</b> · 题数 n = {e(str(results.get('n')))}"
        f" · 版本 commit {e(commit or '未知')}</p>",
        "<p>" + " · ".join(f"{_swatch(s, i)} {e(_system_name(s))}" for i, s in enumerate(systems)) + "</p>",
        f"<h2>{e(_system_name(lead))}的结果</h2>",
        *_metric_rows([lead], sysmetrics),
        f"<h2>{e(_system_name(lead))}未通过的题目</h2>",
        *_failures(lead, results["failures"].get(lead, []), True),
        "<h2>与基线对比</h2>",
        *_metric_rows(systems, sysmetrics),
    ]
    out.append(bar_chart("主要指标 headline metrics", list(HEADLINE), {s: [sysmetrics[s].get(m) for m in HEADLINE] for s in systems}))

    kinds = sorted({k for s in systems for k in sysmetrics[s]["by_kind"]})
    ranked_kinds = [k for k in kinds if sysmetrics[lead]["by_kind"][k].get("top1") is not None]
    out.append("<h2>按问题类型 by kind</h2>")
    out.append(bar_chart("前三命中率 top3 by kind", ranked_kinds, {s: [sysmetrics[s]["by_kind"][k]["top3"] for k in ranked_kinds] for s in systems}))
    out.append(bar_chart("首位命中率 top1 by kind", ranked_kinds, {s: [sysmetrics[s]["by_kind"][k]["top1"] for k in ranked_kinds] for s in systems}))
    other = [("list_recall", k) for k in kinds if k in ("department_tasks", "category_tasks")]
    other += [("refused", "out_of_scope")] if "out_of_scope" in kinds else []
    if other:
        labels = [f"{k} {m}" for m, k in other]
        out.append(bar_chart("清单与拒答 lists and refusals by kind", labels, {s: [sysmetrics[s]["by_kind"][k][m] for m, k in other] for s in systems}))
    out.append(_TABLE + "<tr><th>类型 kind</th><th>题数</th>" + "".join(f"<th>{e(_system_name(s))} top1/top3</th>" for s in systems) + "</tr>")
    for k in kinds:
        row = sysmetrics[lead]["by_kind"][k]
        cells = "".join(
            "<td align='right'>" + "/".join("—" if sysmetrics[s]["by_kind"][k][m] is None else f"{sysmetrics[s]['by_kind'][k][m]:.2f}" for m in ("top1", "top3")) + "</td>"
            for s in systems
        )
        out.append(f"<tr><td>{e(k)}</td><td align='right'>{row['n']}</td>{cells}</tr>")
    out.append("</table>")

    cats = list(sysmetrics[lead]["by_category"])
    if cats:
        out.append("<h2>按类别 by category</h2>")
        out.append(bar_chart("前三命中率 top3 by category", cats, {s: [sysmetrics[s]["by_category"][c]["top3"] for c in cats] for s in systems}))
        out.append(bar_chart("首位命中率 top1 by category", cats, {s: [sysmetrics[s]["by_category"][c]["top1"] for c in cats] for s in systems}))

    out.append("<h2>部门错误 wrong departments</h2>")
    wrong = {s: wrong_departments(results["failures"].get(s, [])) for s in systems}
    names = sorted({d for c in wrong.values() for d in c}, key=lambda d: -sum(c[d] for c in wrong.values()))[:25]
    if names:
        top = max(max(c.values(), default=0) for c in wrong.values())
        out.append(bar_chart("多答的部门（extra）与漏答的部门（missing）",
                             names, {s: [wrong[s][d] for d in names] for s in systems}, max_value=max(top, 1)))
    else:
        out.append("<p>没有部门错误。</p>")

    out.append("<h2>历次结果 history</h2>")
    runs = [h for h in history if h.get("split") == results.get("split")]
    if runs:
        xs = [h["timestamp"][:13] + (f" {h['commit']}" if h.get("commit") else "") for h in runs]
        series = {}
        for s in systems:
            series[f"{s} top1"] = [h["systems"].get(s, {}).get("top1") for h in runs]
            series[f"{s} top3"] = [h["systems"].get(s, {}).get("top3") for h in runs]
        out.append(line_chart(f"历次准确率 accuracy over time (split {results.get('split')})", xs, series))

    if baselines:
        out.append("<h2>基线未通过的题目</h2>")
        for s in baselines:
            out.extend(_failures(s, results["failures"].get(s, []), False))
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
