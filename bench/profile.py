"""`python -m bench.profile`: where the time of one /api/ask goes, in-process by stage and over HTTP with py-spy.

1. In-process: the service's stages timed one by one over distinct questions (encoder, FAISS, BM25 with
   jieba, routing, answer building, response validation and JSON).
2. Over HTTP: the probe server (bench.probe) under 1 and then 8 clients, sampled by py-spy when it is
   installed; samples are grouped by the innermost recognisable frame, and the encoder's forward-pass
   counter tells how many asks shared a pass.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench import load
from bench.questions import QuestionPool, distinct_questions
from bench.server import Server
from bench.stats import summary_ms

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# (category, substrings of a py-spy frame "function (file:line)"), checked from the innermost frame outwards.
CATEGORIES = [
    ("onnxruntime forward", ("onnxruntime",)),
    ("torch forward", ("torch/nn", "modeling_bert", "transformers/modeling", "transformers/integrations", "torch/_")),
    ("tokenizer", ("tokenizers", "tokenization_utils", "bot/embedding/runtime")),
    ("sentence-transformers encode", ("sentence_transformers",)),
    ("jieba", ("jieba",)),
    ("pypinyin / OpenCC", ("pypinyin", "opencc")),
    ("bm25s", ("bm25s",)),
    ("faiss", ("faiss",)),
    ("scikit-learn (malice)", ("sklearn",)),
    ("answering", ("bot/answering",)),
    ("retrieval", ("bot/retrieval",)),
    ("question log", ("bot/ops", "sqlalchemy", "sqlite")),
    ("pydantic/JSON", ("pydantic", "json", "jsonable_encoder", "fastapi/encoders")),
    ("FastAPI/Starlette", ("fastapi", "starlette", "bot/api")),
    ("uvicorn/h11/asyncio", ("uvicorn", "h11", "asyncio", "anyio", "selectors")),
    ("encoder queue", ("bot/embedding/encoder", "concurrent/futures", "queue.py", "threading.py")),
]


def stage_breakdown(questions: list[str]) -> dict:
    """Time each stage of PolicyBot.ask by wrapping the objects it calls (this process only)."""
    import bot.answering.pipeline as service
    from bot.api.schemas import AskResponse
    from bot.answering.pipeline import PolicyBot
    from bot.settings import get_settings

    bot = PolicyBot.load(get_settings())
    spent: dict[str, list[float]] = collections.defaultdict(list)

    def timed(name, fn):
        def wrapper(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                spent[name].append(time.perf_counter() - t)

        return wrapper

    model = bot.encoder.model
    model.encode_query = timed("model.encode_query (tokenize+forward+pool)", model.encode_query)
    bot.encoder.encode = timed("encoder.encode (queue + forward)", bot.encoder.encode)
    bot.index.dense.scores = timed("FAISS dense.scores", bot.index.dense.scores)
    bot.index.lexical.scores = timed("BM25 lexical.scores (jieba + bm25s)", bot.index.lexical.scores)
    service.route = timed("routing.route", service.route)
    for q in questions[:10]:
        bot.ask(q).to_dict()
    spent.clear()
    totals, serialise = [], []
    for q in questions[10:]:
        t = time.perf_counter()
        result = bot.ask(q).to_dict()
        totals.append(time.perf_counter() - t)
        t = time.perf_counter()
        json.dumps(AskResponse.model_validate(result).model_dump(mode="json"), ensure_ascii=False)
        serialise.append(time.perf_counter() - t)
    out = {"ask total": summary_ms(totals), "response validate + JSON": summary_ms(serialise)}
    out.update({name: summary_ms(v) for name, v in spent.items()})
    return out


def _categorise(stack: str) -> str:
    frames = stack.split(";")
    for frame in reversed(frames):
        for name, needles in CATEGORIES:
            if any(n in frame for n in needles):
                return name
    return "other"


def _pyspy_summary(raw: Path) -> dict:
    counts: collections.Counter = collections.Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if n.isdigit():
            counts[_categorise(stack)] += int(n)
    total = sum(counts.values()) or 1
    return {k: f"{v / total * 100:.1f}%" for k, v in counts.most_common()}


def http_profile(pool: QuestionPool, n1: int, n8: int, threads: int | None, pyspy: bool) -> dict:
    command = [sys.executable, "-m", "bench.probe", "--port", "PORT"]
    extra = {"POLICYBOT_THREADS": str(threads)} if threads else {}
    server = Server(PROJECT_ROOT, extra_env=extra)
    server.command = [c if c != "PORT" else str(server.port) for c in command]
    out: dict = {}
    with server:
        server.start()
        client = httpx.Client(base_url=server.base_url, timeout=30)
        load.run_load(server.base_url, [load.ask(q) for q in pool.take(20)], 1)
        out["server"] = client.get("/_bench/stats").json()
        spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) if pyspy else None
        for clients, n in ((1, n1), (8, n8)):
            before = client.get("/_bench/stats").json()["batches"]
            raw = Path(server.tmp.name) / f"pyspy-{clients}.txt"
            rec = None
            if spy:
                rec = subprocess.Popen(
                    [spy, "record", "--pid", str(server.pid), "--format", "raw", "--rate", "200", "--output", str(raw),
                     "--nonblocking"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
                time.sleep(1.0)
            res = load.run_load(server.base_url, [load.ask(q) for q in pool.take(n)], clients, 90)
            if rec:
                rec.send_signal(2)  # SIGINT: py-spy writes its output and exits
                rec.wait(timeout=30)
            batches = client.get("/_bench/stats").json()["batches"] - before
            entry = {
                "requests": res.completed,
                "errors": res.errors,
                "throughput_rps": res.throughput,
                **summary_ms(res.latencies),
                "forward_passes": batches,
                "asks_per_forward_pass": round(len(res.latencies) / batches, 2) if batches else None,
                "client_cpu_s": round(res.client_cpu_seconds, 2),
                "elapsed_s": round(res.elapsed, 2),
            }
            if rec and raw.exists():
                entry["pyspy_by_category"] = _pyspy_summary(raw)
            out[f"{clients} client{'s' if clients > 1 else ''}"] = entry
        client.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--threads", type=int, default=0, help="POLICYBOT_THREADS for the server (0: torch default)")
    parser.add_argument("--no-pyspy", action="store_true")
    parser.add_argument("--skip-stages", action="store_true")
    parser.add_argument("-n", type=int, default=200, help="asks per HTTP phase")
    args = parser.parse_args()
    pool = QuestionPool(distinct_questions(PROJECT_ROOT, seed=int(time.time())))
    report: dict = {"loadavg_start": os.getloadavg()}
    if not args.skip_stages:
        report["stages (in-process, 1 caller)"] = stage_breakdown(pool.take(160))
    report["http"] = http_profile(pool, args.n, 2 * args.n, args.threads or None, not args.no_pyspy)
    report["loadavg_end"] = os.getloadavg()
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
