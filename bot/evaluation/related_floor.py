"""Choosing the relevance floor for "related tasks" on the dev split.

    python -m bot.evaluation.related_floor [--split dev]

An answer quotes its best task and may list other tasks as related. A related task is kept only
when its fused retrieval score is at least `floor` times the best task's. For each answerable dev
question asked as who or what (the kinds that list related tasks), the tasks ranked 2..3 are
labelled relevant when the eval set expects them (tasks_any or tasks_all); the floor chosen is the
one with the highest F1 of "shown" against "relevant". Prints the sweep and the choice.
"""

from __future__ import annotations

import argparse
import json
import sys

from bot.evaluation.evalset import load_evalset
from bot.evaluation.metrics import TOP_K

FLOORS = [round(0.50 + 0.02 * i, 2) for i in range(26)]  # 0.50 .. 1.00


def measure(bot, questions) -> list[tuple[float, bool]]:
    """(score ratio to the best task, expected?) for each task ranked 2..TOP_K."""
    rows = bot.index.chunks
    pairs: list[tuple[float, bool]] = []
    for q in questions:
        route, evidence = bot.evidence(q.question)
        if evidence is None or route.kind not in ("department", "content"):
            continue
        expected = set(q.tasks_any) | set(q.tasks_all)
        ranked = evidence.ranked[:TOP_K]
        best = float(evidence.fused[ranked[0]])
        if best <= 0:
            continue
        for r in ranked[1:]:
            pairs.append((float(evidence.fused[r]) / best, rows[r].task in expected))
    return pairs


def sweep(pairs: list[tuple[float, bool]]) -> list[dict]:
    relevant = sum(1 for _, ok in pairs if ok)
    out = []
    for floor in FLOORS:
        shown = [ok for ratio, ok in pairs if ratio >= floor]
        hits = sum(shown)
        precision = hits / len(shown) if shown else 1.0
        recall = hits / relevant if relevant else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out.append({"floor": floor, "shown": len(shown), "relevant_shown": hits, "precision": round(precision, 3),
                    "recall": round(recall, 3), "f1": round(f1, 3)})
    return out


def main(argv: list[str] | None = None) -> int:
    from bot.answering.pipeline import PolicyBot
    from bot.settings import get_settings

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--split", choices=["dev"], default="dev", help="only dev: the floor is a choice")
    args = p.parse_args(argv)
    settings = get_settings()
    questions = [
        q for q in load_evalset(settings.eval_file)
        if q.split == args.split and not q.refuse and q.kind in ("department", "content") and q.tasks_any
    ]
    pairs = measure(PolicyBot.load(settings), questions)
    table = sweep(pairs)
    best = max(table, key=lambda r: (r["f1"], -r["floor"]))
    print(json.dumps({"split": args.split, "questions": len(questions), "pairs": len(pairs),
                      "relevant": sum(ok for _, ok in pairs), "chosen": best, "sweep": table}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
