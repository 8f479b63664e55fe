"""Targets, pass/fail, and the results written as JSON and as a Markdown table."""

from __future__ import annotations

import json
from pathlib import Path


def _phase(results: dict, name: str, clients: int) -> dict:
    for p in results["http"]["phases"]:
        if p["phase"] == name and p["clients"] == clients:
            return p
    return {}


def _ratio(a, b) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def derive(results: dict) -> dict:
    """Ratios computed from the raw figures."""
    floor = results["build"]["floor"]["p50_ms"]
    torch_floor = results["build"]["floor_torch"]["p50_ms"]
    ask1, ask8 = _phase(results, "ask", 1), _phase(results, "ask", 8)
    return {
        "ask_p50_over_embedding_p50": _ratio(ask1.get("p50_ms"), floor),
        "ask_p50_over_torch_embedding_p50": _ratio(ask1.get("p50_ms"), torch_floor),
        "ask_p99_over_p50_1": _ratio(ask1.get("p99_ms"), ask1.get("p50_ms")),
        "ask_p99_over_p50_8": _ratio(ask8.get("p99_ms"), ask8.get("p50_ms")),
        "throughput_8_over_1": _ratio(ask8.get("throughput_rps"), ask1.get("throughput_rps")),
    }


def rows(results: dict) -> list[tuple[str, str, str, str]]:
    """(metric, value, target, result) for every line of the table; result is PASS, FAIL or empty (no target)."""
    b, h, d = results["build"], results["http"], results["derived"]
    soak = h["soak"]
    out: list[tuple[str, str, str, str]] = []

    def row(metric: str, value, unit: str = "", target: str = "", ok: bool | None = None) -> None:
        shown = "n/a" if value is None else f"{value}{unit}"
        verdict = "" if ok is None else ("PASS" if ok and value is not None else "FAIL")
        out.append((metric, shown, target, verdict))

    row("index build, cold (new process, incl. model load)", b["cold_seconds"], " s", "≤ 20 s", b["cold_seconds"] <= 20)
    row("index build, warm (model loaded)", b["warm_build_seconds"], " s")
    row("chunks per second, cold / warm", f"{b['chunks_per_s_cold']} / {b['chunks_per_s_warm']}")
    for engine in ("torch", "onnx"):
        f = b[f"floor_{engine}"]
        row(f"query embedding alone, {engine} (own process): load / p50 / p90 / RSS",
            f"{f['load_seconds']} s / {f['p50_ms']} ms / {f['p95_ms']} ms p95 / {f['rss_mb']} MB")
    a1 = _phase(results, "ask", 1)
    row("/api/ask distinct, 1 client p50", a1.get("p50_ms"), " ms", "≤ 10 ms (quiet machine)", (a1.get("p50_ms") or 1e9) <= 10)
    ratio = d["ask_p50_over_torch_embedding_p50"]
    row("ask p50 ÷ one torch query embedding p50 (same run)", ratio, "", "≤ 0.6", (ratio or 1e9) <= 0.6)
    row("ask p50 ÷ one serving-engine query embedding p50", d["ask_p50_over_embedding_p50"])
    row("/api/ask distinct, 1 client p95", a1.get("p95_ms"), " ms")
    row("/api/ask distinct, 1 client p99", a1.get("p99_ms"), " ms")
    for c in (1, 8):
        r = d[f"ask_p99_over_p50_{c}"]
        row(f"ask p99 ÷ p50, {c} client{'s' if c > 1 else ''}", r, "×", "≤ 3×", (r or 1e9) <= 3)
    for c in (1, 8, 32):
        p = _phase(results, "ask", c)
        row(f"/api/ask distinct, {c} clients throughput", p.get("throughput_rps"), " req/s")
        if c > 1:
            row(f"/api/ask distinct, {c} clients p95", p.get("p95_ms"), " ms")
    t = d["throughput_8_over_1"]
    row("throughput 8 clients ÷ 1 client", t, "×", "≥ 3×", (t or 0) >= 3)
    for c in (1, 8, 32):
        p = _phase(results, "repeated", c)
        if c == 1:
            row("/api/ask repeated (cache hit), 1 client p50", p.get("p50_ms"), " ms", "≤ 3 ms", (p.get("p50_ms") or 1e9) <= 3)
            row("/api/ask repeated, 1 client p95 / p99", f"{p.get('p95_ms')} / {p.get('p99_ms')}", " ms")
        else:
            row(f"/api/ask repeated, {c} clients throughput / p95", f"{p.get('throughput_rps')} req/s / {p.get('p95_ms')} ms")
    s1 = _phase(results, "search", 1)
    row("/api/search (1-4 char prefixes), 1 client p50", s1.get("p50_ms"), " ms")
    row("/api/search, 1 client p95", s1.get("p95_ms"), " ms", "≤ 10 ms", (s1.get("p95_ms") or 1e9) <= 10)
    s8 = _phase(results, "search", 8)
    row("/api/search, 8 clients throughput / p95", f"{s8.get('throughput_rps')} req/s / {s8.get('p95_ms')} ms")
    for name in ("ask", "repeated", "search"):
        for c in (1, 8, 32):
            p = _phase(results, name, c)
            if p:
                target, ok = ("0", p["errors"] == 0) if c == 32 else ("", None)
                row(f"errors, {name} at {c} client{'s' if c > 1 else ''}", f"{p['errors']} of {p['requests']}", "", target, ok)
    row(f"errors, soak (mixed, {soak.get('clients', 8)} clients)", f"{soak['errors']} of {soak['requests']}")
    row("server start to ready (spawn → /readyz 200, index present)", h["ready_seconds"], " s", "≤ 5 s", h["ready_seconds"] <= 5)
    row("RSS after start", h["rss_start_mb"], " MB")
    served = soak.get("server_total_requests") or soak["requests"]
    row(f"RSS after warm-up / after {served} requests in all (one worker)", f"{soak['rss_before_mb']} / {soak['rss_after_mb']}", " MB",
        "≤ 700 MB after 10,000 asks", soak["rss_after_mb"] <= 700 and served >= 10_000)
    growth_ok = soak.get("passed", soak["growth_pct"] is not None and soak["growth_pct"] <= 5)
    if soak.get("server_total_requests"):
        row("requests served by the server in this run", soak["server_total_requests"])
    row(f"RSS growth over {soak['requests']} requests", f"{soak['growth_mb']} MB ({soak['growth_pct']}%)", "",
        "≤ 5% after warm-up", growth_ok)
    return out


def _max_other(results: dict) -> float:
    shares = [p.get("other_cpu_pct", 0.0) for p in results["http"]["phases"]]
    shares += [results["http"]["soak"].get("other_cpu_pct_max", 0.0)]
    return max(shares)


def markdown(results: dict) -> str:
    m = results["machine"]
    head = (
        f"# policybot benchmark{' (quick)' if results['quick'] else ''}\n\n"
        f"- when: {results['started']}, {results['duration_s']} s\n"
        f"- machine: {m['cores']} cores, {m['cpu_model']}, load average {m['loadavg_start']} at start, "
        f"{m['loadavg_end']} at end\n"
        f"- other processes' share of the CPU during the measurements: up to {_max_other(results)}% "
        "(the figures are only comparable when this is near 0)\n"
        f"- model: {results['build']['model_id']}; serving engine {results['build']['engine']}; "
        f"{results['build']['chunks']} chunks\n\n"
    )
    lines = ["| metric | value | target | result |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in results["table"]]
    passed = sum(1 for r in results["table"] if r[3] == "PASS")
    judged = sum(1 for r in results["table"] if r[3])
    return head + "\n".join(lines) + f"\n\n{passed} of {judged} targets met.\n"


def write(results: dict, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    js, md = directory / "latest.json", directory / "latest.md"
    js.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    md.write_text(markdown(results), encoding="utf-8")
    return js, md
