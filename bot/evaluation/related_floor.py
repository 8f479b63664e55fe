"""Choosing the relevance floor for "related tasks" on the dev split.

    python -m bot.evaluation.related_floor [--answers FILE]

An answer quotes its best task and may list other tasks as related; a related task is kept only
when its retrieval score is at least `floor` times the best task's (compose.RELATED_FLOOR). The
answerable dev questions asked as who or what are put to the full system with the floor off, and
for each one it answers as such, the tasks it cites at ranks 2..3 (the API's default top_k) are
labelled relevant when the eval set expects them (tasks_any or tasks_all). The floor chosen is the
lowest with the highest F1 of "listed" against "relevant". `--answers` reads the answers from a
JSON file {question id: answer} made the same way (floor off) instead of asking again.
"""

from __future__ import annotations

import argparse
import json
import sys

from bot.evaluation.evalset import load_evalset

SHOWN = 3  # /api/ask's default top_k: the best task and at most two related ones
FLOORS = [round(0.50 + 0.02 * i, 2) for i in range(26)]  # 0.50 .. 1.00


def selected(questions, split: str = "dev") -> list:
    return [
        q for q in questions
        if q.split == split and not q.refuse and q.kind in ("department", "content") and q.tasks_any
    ]


def pairs(questions, answers: dict[str, dict]) -> list[tuple[float, bool]]:
    """(score ratio to the best cited task, expected?) for each task cited at ranks 2..SHOWN."""
    out: list[tuple[float, bool]] = []
    for q in questions:
        a = answers.get(q.id)
        if not a or not a.get("answered") or a.get("kind") not in ("department", "content"):
            continue
        cited: dict[int, float] = {}
        for c in a.get("citations") or []:
            if c.get("task") is not None and c["task"] not in cited:
                cited[int(c["task"])] = float(c["score"])
        ranked = list(cited.items())[:SHOWN]
        if not ranked or ranked[0][1] <= 0:
            continue
        expected = set(q.tasks_any) | set(q.tasks_all)
        out.extend((score / ranked[0][1], task in expected) for task, score in ranked[1:])
    return out


def sweep(observed: list[tuple[float, bool]]) -> list[dict]:
    relevant = sum(1 for _, ok in observed if ok)
    table = []
    for floor in FLOORS:
        shown = [ok for ratio, ok in observed if ratio >= floor - 1e-9]
        hits = sum(shown)
        precision = hits / len(shown) if shown else 1.0
        recall = hits / relevant if relevant else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table.append({"floor": floor, "listed": len(shown), "relevant_listed": hits, "precision": round(precision, 3),
                      "recall": round(recall, 3), "f1": round(f1, 3)})
    return table


def choose(table: list[dict]) -> dict:
    return max(table, key=lambda r: (r["f1"], -r["floor"]))


def main(argv: list[str] | None = None) -> int:
    from bot.settings import get_settings

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--answers", help="JSON {question id: answer} from the full system with the floor off")
    args = p.parse_args(argv)
    settings = get_settings()
    questions = selected(load_evalset(settings.eval_file))
    if args.answers:
        with open(args.answers, encoding="utf-8") as fh:
            answers = json.load(fh)
    else:
        from bot.answering import compose
        from bot.answering.pipeline import PolicyBot

        compose.RELATED_FLOOR = 0.0  # measure every candidate; the sweep applies the floor
        bot = PolicyBot.load(settings)
        answers = {q.id: bot.ask(q.question, top_k=SHOWN).to_dict() for q in questions}
    observed = pairs(questions, answers)
    table = sweep(observed)
    print(json.dumps({"split": "dev", "questions": len(questions), "pairs": len(observed),
                      "relevant": sum(ok for _, ok in observed), "chosen": choose(table), "sweep": table},
                     ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
