"""Closed-loop HTTP load: N concurrent clients (threads + httpx), each sending its next request when the last returns."""

from __future__ import annotations

import threading
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


def run_load(base_url: str, requests: list[Request], clients: int, time_limit: float = 60.0) -> LoadResult:
    """Send `requests` with `clients` concurrent connections; stops early after `time_limit` seconds.

    One thread and one keep-alive connection per client: the synchronous client costs the
    measuring process less CPU per request than an asyncio one, and that CPU is taken from the
    same cores the server runs on."""
    result = LoadResult(clients)
    pending = iter(requests)
    lock = threading.Lock()
    deadline = time.perf_counter() + time_limit

    def next_request() -> Request | None:
        with lock:  # one shared iterator: every request is sent exactly once
            return next(pending, None)

    def worker() -> None:
        with httpx.Client(base_url=base_url, timeout=30.0) as client:
            while (req := next_request()) is not None and time.perf_counter() <= deadline:
                started = time.perf_counter()
                try:
                    resp = client.request(req.method, req.path, json=req.json, params=req.params)
                    ok = 200 <= resp.status_code < 300
                    detail = f"{resp.status_code} {resp.text[:120]}"
                except httpx.HTTPError as exc:
                    ok, detail = False, f"{type(exc).__name__}: {exc}"
                elapsed = time.perf_counter() - started
                with lock:
                    if ok:
                        result.latencies.append(elapsed)
                    else:
                        result.errors += 1
                        if len(result.error_samples) < 5:
                            result.error_samples.append(f"{req.method} {req.path}: {detail}")

    cpu = time.process_time()
    started = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.elapsed = time.perf_counter() - started
    result.client_cpu_seconds = time.process_time() - cpu
    return result


def ask(question: str) -> Request:
    return Request("POST", "/api/ask", json={"question": question})


def search(q: str) -> Request:
    return Request("GET", "/api/search", params={"q": q})
