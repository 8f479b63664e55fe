"""Closed-loop HTTP load: N concurrent clients (asyncio + httpx), each sending its next request when the last returns."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    json: dict | None = None
    params: dict | None = None


@dataclass
class LoadResult:
    clients: int
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    client_cpu_seconds: float = 0.0

    @property
    def completed(self) -> int:
        return len(self.latencies) + self.errors

    @property
    def throughput(self) -> float:
        return round(len(self.latencies) / self.elapsed, 1) if self.elapsed else 0.0


async def _run(base_url: str, requests: list[Request], clients: int, time_limit: float) -> LoadResult:
    result = LoadResult(clients)
    pending = iter(requests)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    deadline = time.perf_counter() + time_limit

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0) as client:

        async def worker() -> None:
            for req in pending:  # one shared iterator: every request is sent exactly once
                if time.perf_counter() > deadline:
                    return
                started = time.perf_counter()
                try:
                    resp = await client.request(req.method, req.path, json=req.json, params=req.params)
                    ok = 200 <= resp.status_code < 300
                    detail = f"{resp.status_code} {resp.text[:120]}"
                except httpx.HTTPError as exc:
                    ok, detail = False, f"{type(exc).__name__}: {exc}"
                if ok:
                    result.latencies.append(time.perf_counter() - started)
                else:
                    result.errors += 1
                    if len(result.error_samples) < 5:
                        result.error_samples.append(f"{req.method} {req.path}: {detail}")

        cpu = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        result.elapsed = time.perf_counter() - started
        result.client_cpu_seconds = time.process_time() - cpu
    return result


def run_load(base_url: str, requests: list[Request], clients: int, time_limit: float = 60.0) -> LoadResult:
    """Send `requests` with `clients` concurrent connections; stops early after `time_limit` seconds."""
    return asyncio.run(_run(base_url, requests, clients, time_limit))


def ask(question: str) -> Request:
    return Request("POST", "/api/ask", json={"question": question})


def search(q: str) -> Request:
    return Request("GET", "/api/search", params={"q": q})
