"""`python -m bench.engines --engine onnx|torch`: one engine alone in this process, one query at a time.

Each engine runs in its own process: onnxruntime's and torch's thread pools distort each other
when they share one. Prints one JSON object: load time, single-query latencies, resident memory.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from bench.questions import short_questions
from bench.stats import summary_ms


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def measure(engine: str, n: int) -> dict:
    from bot.embedding import model
    from bot.settings import get_settings

    settings = get_settings().model_copy(update={"engine": engine})
    started = time.perf_counter()
    encoder = model.load(settings)
    load_seconds = time.perf_counter() - started
    questions = short_questions(n + 10)
    for q in questions[:10]:  # first passes allocate; keep them out of the figures
        encoder.encode_query([q])
    times = []
    for q in questions[10:]:
        started = time.perf_counter()
        encoder.encode_query([q])
        times.append(time.perf_counter() - started)
    return {"engine": engine, "load_seconds": round(load_seconds, 2), "rss_mb": _rss_mb(), **summary_ms(times)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engines", description=__doc__)
    parser.add_argument("--engine", choices=["onnx", "torch"], required=True)
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.engine, args.n)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
