"""The measurements: index build (cold and warm), the embedding floor, and the HTTP phases against a live server."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import load
from bench.questions import QuestionPool, search_prefixes
from bench.server import CpuShare, Server
from bench.stats import summary_ms

MB = 1024 * 1024
SOAK_CLIENTS = 32
# RSS may grow this much after the warm-up, no more (`python -m bench` exits non-zero otherwise).
MAX_GROWTH_PCT = 5.0


@dataclass(frozen=True)
class Plan:
    """Request counts per phase; `quick` shrinks them for a smoke run."""

    floor: int = 200
    ask_1: int = 400
    ask_8: int = 800
    ask_32: int = 960
    repeated_pool: int = 50
    repeated_1: int = 1000
    repeated_8: int = 2000
    repeated_32: int = 2000
    search_1: int = 1000
    search_8: int = 1000
    soak: int = 10_000
    soak_steps: int = 10
    # Distinct asks before the soak's first RSS reading: enough to fill the answer cache (2,048) and
    # the query-vector cache (4,096 texts) to their bounds, so what grows after it is not a cache.
    soak_warmup: int = 5000
    soak_warmup_seconds: float = 420.0
    # Time caps keep a run bounded when the machine is slower or busier than expected.
    phase_seconds: float = 30.0
    soak_seconds: float = 150.0

    @classmethod
    def quick(cls) -> "Plan":
        return cls(
            floor=100, ask_1=100, ask_8=200, ask_32=256, repeated_pool=20, repeated_1=200, repeated_8=400,
            repeated_32=400, search_1=200, search_8=200, soak=2000, soak_steps=4, phase_seconds=15.0, soak_seconds=40.0,
            soak_warmup=2500, soak_warmup_seconds=120.0,
        )


def cold_build(project_root: Path) -> dict:
    """`policybot index build` in a fresh interpreter into a temp index dir: imports, model load, embedding, save."""
    with tempfile.TemporaryDirectory(prefix="policybot-bench-index-") as tmp:
        env = {**os.environ, "POLICYBOT_INDEX_DIR": tmp}
        started = time.perf_counter()
        done = subprocess.run(
            [str(Path(sys.executable).parent / "policybot"), "index", "build"],
            cwd=project_root, env=env, capture_output=True, text=True,
        )
        seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"cold index build failed ({done.returncode}): {done.stderr[-2000:]}")
    return {"seconds": round(seconds, 2), "output": done.stdout.strip()}


def engine_floor(project_root: Path, engine: str, n: int) -> dict:
    """One query embedding at a time with `engine` alone in a fresh process (bench/engines.py)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.engines", "--engine", engine, "-n", str(n)],
        cwd=project_root, capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{engine} embedding floor failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def warm_build_and_floor(project_root: Path, plan: Plan) -> dict:
    """In this process: load the serving encoder and build an index with it; then each engine's floor."""
    from bot.embedding import model
    from bot.retrieval import store as index
    from bot.settings import Settings

    with tempfile.TemporaryDirectory(prefix="policybot-bench-index-") as tmp:
        settings = Settings(index_dir=Path(tmp))
        started = time.perf_counter()
        model.load(settings)
        model_load = time.perf_counter() - started
        started = time.perf_counter()
        manifest = index.build(settings)
        warm = time.perf_counter() - started
    # The baseline the serving path is held against: torch + sentence-transformers, measured in this run.
    floors = {engine: engine_floor(project_root, engine, plan.floor) for engine in ("torch", "onnx")}
    return {
        "model_id": model.model_id(settings),
        "engine": settings.engine,
        "model_load_seconds": round(model_load, 2),
        "chunks": manifest["chunks"],
        "warm_build_seconds": round(warm, 2),
        "floor": floors[settings.engine],
        "floor_torch": floors["torch"],
        "floor_onnx": floors["onnx"],
    }


def _phase(server: Server, name: str, requests: list[load.Request], clients: int, seconds: float) -> dict:
    with CpuShare(server.pid) as cpu:
        res = load.run_load(server.base_url, requests, clients, seconds)
    out = {
        "phase": name,
        "clients": clients,
        "requests": res.completed,
        "errors": res.errors,
        "throughput_rps": res.throughput,
        "elapsed_s": round(res.elapsed, 2),
        "client_cpu_s": round(res.client_cpu_seconds, 2),
        "other_cpu_pct": cpu.other_pct,
        **summary_ms(res.latencies),
    }
    if res.error_samples:
        out["error_samples"] = res.error_samples
    print(
        f"  {name:<10} c={clients:<3} n={res.completed:<6} {res.throughput:>8.1f} req/s  "
        f"p50 {out['p50_ms']} ms  p95 {out['p95_ms']} ms  p99 {out['p99_ms']} ms  errors {res.errors}  (others' CPU {cpu.other_pct}%)",
        flush=True,
    )
    return out


def http_phases(project_root: Path, pool: QuestionPool, plan: Plan) -> dict:
    """Start the server, then run every HTTP phase against it; returns readiness, latencies and memory."""
    out: dict = {"phases": []}
    with Server(project_root) as server:
        out["ready_seconds"] = round(server.start(), 2)
        out["rss_start_mb"] = round(server.rss() / MB, 1)
        print(f"  server ready in {out['ready_seconds']} s, RSS {out['rss_start_mb']} MB (pid {server.pid})", flush=True)
        base = server.base_url
        with httpx.Client(base_url=base, timeout=30) as client:
            out["server_info"] = client.get("/readyz").json()
        # Warm-up: first requests pay for lazy imports and allocations in the request path.
        load.run_load(base, [load.ask(q) for q in pool.take(20)] + [load.search(p) for p in search_prefixes()[:20]], 1)

        phases = out["phases"]
        secs = plan.phase_seconds
        for clients, n in ((1, plan.ask_1), (8, plan.ask_8), (32, plan.ask_32)):
            phases.append(_phase(server, "ask", [load.ask(q) for q in pool.take(n)], clients, secs))

        repeated = pool.take(plan.repeated_pool)
        load.run_load(base, [load.ask(q) for q in repeated], 1)  # fill the answer cache
        rng = random.Random(11)
        for clients, n in ((1, plan.repeated_1), (8, plan.repeated_8), (32, plan.repeated_32)):
            reqs = [load.ask(rng.choice(repeated)) for _ in range(n)]
            phases.append(_phase(server, "repeated", reqs, clients, secs))

        prefixes = search_prefixes()
        for clients, n in ((1, plan.search_1), (8, plan.search_8)):
            reqs = [load.search(prefixes[i % len(prefixes)]) for i in range(n)]
            phases.append(_phase(server, "search", reqs, clients, secs))

        out["soak"] = soak(server, pool, repeated, prefixes, plan)
        # The soak is time-capped; the server's total shows how many requests the memory figure covers.
        out["soak"]["server_total_requests"] = 40 + len(repeated) + sum(p["requests"] for p in phases) + out["soak"]["requests"]
    return out


def soak(server: Server, pool: QuestionPool, repeated: list[str], prefixes: list[str], plan: Plan) -> dict:
    """Mixed traffic at 32 clients (60% distinct asks, 20% repeated asks, 20% searches). After a
    warm-up of distinct asks that fills the bounded caches, RSS must not grow more than
    MAX_GROWTH_PCT: growth that continues past the caches' bounds is a leak."""
    rng = random.Random(29)
    base = server.base_url
    warm_started = time.perf_counter()
    warm = load.run_load(base, [load.ask(q) for q in pool.take(plan.soak_warmup)], SOAK_CLIENTS, plan.soak_warmup_seconds)
    print(f"  soak warm-up {warm.completed} distinct asks in {time.perf_counter() - warm_started:.0f} s, "
          f"RSS {server.rss() / MB:.1f} MB", flush=True)
    step = plan.soak // plan.soak_steps
    samples = [round(server.rss() / MB, 1)]
    other: list[float] = []
    errors, sent = warm.errors, 0
    started = time.perf_counter()
    for _ in range(plan.soak_steps):
        n_distinct, n_repeated = int(step * 0.6), int(step * 0.2)
        reqs = [load.ask(q) for q in pool.take(n_distinct)]
        reqs += [load.ask(rng.choice(repeated)) for _ in range(n_repeated)]
        reqs += [load.search(rng.choice(prefixes)) for _ in range(step - n_distinct - n_repeated)]
        rng.shuffle(reqs)
        with CpuShare(server.pid) as cpu:
            res = load.run_load(base, reqs, SOAK_CLIENTS, plan.soak_seconds / plan.soak_steps)
        other.append(cpu.other_pct)
        errors += res.errors
        sent += res.completed
        samples.append(round(server.rss() / MB, 1))
        print(f"  soak {sent:>6} requests, RSS {samples[-1]} MB, errors {errors}", flush=True)
    before, after = samples[0], samples[-1]
    growth_pct = round((after - before) / before * 100, 2) if before else None
    return {
        "clients": SOAK_CLIENTS,
        "warmup_requests": warm.completed,
        "requests": sent,
        "errors": errors,
        "elapsed_s": round(time.perf_counter() - started, 1),
        "rss_samples_mb": samples,
        "other_cpu_pct_max": max(other, default=0.0),
        "rss_before_mb": before,
        "rss_after_mb": after,
        "growth_mb": round(after - before, 1),
        "growth_pct": growth_pct,
        "max_growth_pct": MAX_GROWTH_PCT,
        # Errors are reported, not judged here: on a busy shared machine clients time out.
        "passed": growth_pct is not None and growth_pct <= MAX_GROWTH_PCT,
    }


def soak_only(project_root: Path, pool: QuestionPool, plan: Plan) -> dict:
    """Only the soak, against a fresh server: `python -m bench --soak`."""
    with Server(project_root) as server:
        ready = round(server.start(), 2)
        rss_start = round(server.rss() / MB, 1)
        print(f"  server ready in {ready} s, RSS {rss_start} MB (pid {server.pid})", flush=True)
        repeated = pool.take(plan.repeated_pool)
        load.run_load(server.base_url, [load.ask(q) for q in repeated], 1)
        out = soak(server, pool, repeated, search_prefixes(), plan)
    return {"ready_seconds": ready, "rss_start_mb": rss_start, **out}
