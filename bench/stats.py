"""Latency summaries: percentiles in milliseconds."""

from __future__ import annotations

import numpy as np


def percentile_ms(seconds: list[float], pct: float) -> float | None:
    if not seconds:
        return None
    return round(float(np.percentile(np.asarray(seconds) * 1000.0, pct)), 2)


def summary_ms(seconds: list[float]) -> dict:
    return {
        "n": len(seconds),
        "p50_ms": percentile_ms(seconds, 50),
        "p95_ms": percentile_ms(seconds, 95),
        "p99_ms": percentile_ms(seconds, 99),
        "mean_ms": round(float(np.mean(seconds)) * 1000.0, 2) if seconds else None,
        "max_ms": round(max(seconds) * 1000.0, 2) if seconds else None,
    }
