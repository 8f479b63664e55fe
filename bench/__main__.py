"""`python -m bench [--quick]`: measure the service end to end and write bench/results/latest.{json,md}."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

from bench import measure, report
from bench.questions import QuestionPool, distinct_questions

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer requests per phase (about a minute)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="directory for latest.json and latest.md")
    parser.add_argument("--soak", action="store_true", help="only the memory soak (32 clients); writes soak.json")
    args = parser.parse_args(argv)
    plan = measure.Plan.quick() if args.quick else measure.Plan()
    if args.soak:
        return _soak_only(plan, args.out)

    started = time.perf_counter()
    results: dict = {
        "quick": args.quick,
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "machine": {"cores": os.cpu_count(), "cpu_model": _cpu_model(), "python": sys.version.split()[0],
                    "loadavg_start": _loadavg()},
        "plan": plan.__dict__,
    }
    print(f"machine: {os.cpu_count()} cores, {_cpu_model()}, load average {_loadavg()}", flush=True)

    print("index build, cold (new process) ...", flush=True)
    cold = measure.cold_build(PROJECT_ROOT)
    print("model load, index build warm, embedding floor ...", flush=True)
    build = measure.warm_build_and_floor(PROJECT_ROOT, plan)
    build["cold_seconds"] = cold["seconds"]
    build["chunks_per_s_cold"] = round(build["chunks"] / cold["seconds"], 1)
    build["chunks_per_s_warm"] = round(build["chunks"] / build["warm_build_seconds"], 1)
    results["build"] = build
    print(f"  model {build['model_id']}, cold {cold['seconds']} s, warm {build['warm_build_seconds']} s, "
          f"query embedding p50: onnx {build['floor_onnx']['p50_ms']} ms, torch {build['floor_torch']['p50_ms']} ms", flush=True)

    print("HTTP phases against `policybot serve` ...", flush=True)
    pool = QuestionPool(distinct_questions(PROJECT_ROOT))
    results["http"] = measure.http_phases(PROJECT_ROOT, pool, plan)

    results["machine"]["loadavg_end"] = _loadavg()
    results["duration_s"] = round(time.perf_counter() - started, 1)
    results["derived"] = report.derive(results)
    results["table"] = report.rows(results)
    js, md = report.write(results, args.out)
    print()
    print(report.markdown(results))
    print(f"written: {js.relative_to(PROJECT_ROOT) if js.is_relative_to(PROJECT_ROOT) else js}, {md.name}")
    return _soak_verdict(results["http"]["soak"])


def _soak_verdict(soak: dict) -> int:
    """Non-zero when memory grew more than MAX_GROWTH_PCT after the warm-up."""
    verdict = "passed" if soak["passed"] else "FAILED"
    print(f"soak {verdict}: RSS {soak['rss_before_mb']} -> {soak['rss_after_mb']} MB ({soak['growth_pct']}%, "
          f"limit {soak['max_growth_pct']}%) over {soak['requests']} requests at {soak['clients']} clients, "
          f"{soak['errors']} errors")
    return 0 if soak["passed"] else 1


def _soak_only(plan, out: Path) -> int:
    import json

    print(f"machine: {os.cpu_count()} cores, load average {_loadavg()}", flush=True)
    soak = measure.soak_only(PROJECT_ROOT, QuestionPool(distinct_questions(PROJECT_ROOT)), plan)
    soak["loadavg_end"] = _loadavg()
    out.mkdir(parents=True, exist_ok=True)
    (out / "soak.json").write_text(json.dumps(soak, indent=2), encoding="utf-8")
    return _soak_verdict(soak)


if __name__ == "__main__":
    sys.exit(main())
