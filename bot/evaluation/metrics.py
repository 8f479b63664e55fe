"""Scoring: what one answer earns against its expected record, and the metric table of a system."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from bot.evaluation.evalset import EvalQuestion

METRICS = (
    "top1",
    "top3",
    "mrr10",
    "dept_exact",
    "list_recall",
    "must_contain",
    "refusal_precision",
    "refusal_recall",
    "wrong_refusals",
    "english_top3",
    "task_number_acc",
    "not_stated_acc",
)
# Kinds whose expected departments are those of one task; a department_tasks record names
# the department asked about instead, which the answer need not echo.
DEPARTMENT_KINDS = ("department", "content", "task_number")
LIST_KINDS = ("department_tasks", "category_tasks")
TOP_K = 10

Canonicaliser = Callable[[str], str]

# A question "near-verbatim" to its task: half or more of its character pairs come from the task's
# text, or it is little more than a task's quoted name ("食安封签找谁"). Users rarely ask like that,
# so such questions flatter a system; the runner reports them apart.
VERBATIM_SHARE = 0.5
VERBATIM_EXTRA_CHARS = 8
_QUOTED_NAME = re.compile(r"[“\"「]([^”\"」]{2,12})[”\"」]")


def _pairs(text: str) -> list[str]:
    text = re.sub(r"[\W_]+", "", text)
    return [text[i : i + 2] for i in range(len(text) - 1)]


def near_verbatim(question: str, task_texts: Sequence[str]) -> bool:
    if not task_texts:
        return False
    pairs, task_pairs = _pairs(question), set(_pairs(" ".join(task_texts)))
    if pairs and sum(p in task_pairs for p in pairs) / len(pairs) >= VERBATIM_SHARE:
        return True
    length = len(re.sub(r"\W", "", question))
    names = (n for text in task_texts for n in _QUOTED_NAME.findall(text))
    return any(n in question and length - len(n) <= VERBATIM_EXTRA_CHARS for n in names)


def _record(q: EvalQuestion | dict) -> EvalQuestion:
    return q if isinstance(q, EvalQuestion) else EvalQuestion.model_validate(q)


def _identity(name: str) -> str:
    return re.sub(r"\s+", "", name)


# ---------------------------------------------------------------- per question


def cited_tasks(result: dict) -> list[int]:
    """Distinct task numbers in citation order; nothing for an unanswered result."""
    if not result.get("answered"):
        return []
    out: list[int] = []
    for c in result.get("citations") or []:
        n = c.get("task")
        if n is not None and n not in out:
            out.append(int(n))
    return out


def task_rank(expected_any: Iterable[int], result: dict, k: int = TOP_K) -> int | None:
    """1-based rank of the first expected task among the first k distinct cited tasks."""
    wanted = set(expected_any)
    for i, n in enumerate(cited_tasks(result)[:k], start=1):
        if n in wanted:
            return i
    return None


def _squash(text: str) -> str:
    # Whitespace-insensitive: the task list carries stray spaces ("扩大至 10 亿元").
    return re.sub(r"\s+", "", text).casefold()


def score_question(q: EvalQuestion | dict, result: dict, canon: Canonicaliser = _identity) -> dict:
    """What one returned answer earns against one expected record. None marks 'not applicable'."""
    q = _record(q)
    answered = bool(result.get("answered"))
    ranking = cited_tasks(result)
    got_depts = [canon(d) for d in (result.get("departments") or [])] if answered else []
    s: dict = {
        "id": q.id,
        "kind": q.kind,
        "lang": q.lang,
        "refused": not answered,
        "top_tasks": ranking[:5],
        "departments": got_depts,
        "rank": None,
        "top1": None,
        "top3": None,
        "rr": None,
        "dept_exact": None,
        "dept_extra": [],
        "dept_missing": [],
        "list_recall": None,
        "list_missing": [],
        "contains_ok": None,
        "number_ok": None,
        "not_stated_ok": None,
    }
    if q.tasks_any and q.kind != "not_stated":
        rank = task_rank(q.tasks_any, result)
        s.update(rank=rank, top1=rank == 1, top3=rank is not None and rank <= 3, rr=1.0 / rank if rank else 0.0)
    if q.departments and q.kind in DEPARTMENT_KINDS:
        want = {canon(d) for d in q.departments}
        got = set(got_depts)
        s.update(dept_exact=answered and got == want, dept_extra=sorted(got - want), dept_missing=sorted(want - got))
    if q.kind in LIST_KINDS or (q.kind == "task_number" and q.tasks_all):
        cited = set(ranking if answered else [])
        cited |= {int(c["task"]) for c in result.get("citations") or [] if answered and c.get("task") is not None}
        want_all = set(q.tasks_all)
        s.update(list_recall=len(cited & want_all) / len(want_all), list_missing=sorted(want_all - cited))
    if q.contains:
        text = _squash(f"{result.get('answer') or ''}\n{result.get('reply') or ''}")
        s["contains_ok"] = all(_squash(p) in text for p in q.contains)
    if q.kind == "task_number":
        # One task first, every task of a pair or range cited, or a number outside the list refused.
        s["number_ok"] = s["top1"] if q.tasks_any else (s["list_recall"] == 1 if q.tasks_all else not answered)
    if q.kind == "not_stated":
        # Refused as not stated, naming a related task: the plan's measure, not an invented detail.
        cited = {int(c["task"]) for c in result.get("citations") or [] if c.get("task") is not None}
        s["not_stated_ok"] = not answered and result.get("kind") == "not_stated" and bool(cited & set(q.tasks_any))
    return s


def failure_reasons(q: EvalQuestion | dict, s: dict) -> list[str]:
    q = _record(q)
    reasons = []
    if q.refuse:
        if not s["refused"]:
            reasons.append(f"answered a question it should refuse ({q.kind})")
        elif s["not_stated_ok"] is False:
            reasons.append(f"refused, but not as not_stated with one of tasks {q.tasks_any}")
        return reasons
    if s["refused"]:
        reasons.append("refused an answerable question")
    if s["top1"] is False:
        where = f"rank {s['rank']}" if s["rank"] else f"not in top {TOP_K}"
        reasons.append(f"expected task {q.tasks_any} first, got {s['top_tasks'][:1] or 'none'} ({where})")
    if s["dept_exact"] is False:
        reasons.append(f"departments {s['departments']} != expected {q.departments}")
    if s["list_recall"] is not None and s["list_recall"] < 1:
        reasons.append(f"list missed tasks {s['list_missing']}")
    if s["contains_ok"] is False:
        reasons.append(f"answer lacks one of {q.contains}")
    return reasons


def failure_record(q: EvalQuestion | dict, result: dict, s: dict) -> dict | None:
    q = _record(q)
    reasons = failure_reasons(q, s)
    if not reasons:
        return None
    expected = {k: v for k, v in q.to_record().items() if k in ("tasks_any", "tasks_all", "departments", "contains", "refuse")}
    return {
        "id": q.id,
        "question": q.question,
        "kind": q.kind,
        "lang": q.lang,
        "expected": expected,
        "got": {
            "kind": result.get("kind"),
            "answered": bool(result.get("answered")),
            "top_tasks": s["top_tasks"],
            "departments": s["departments"],
            **({"error": result["error"]} if result.get("error") else {}),
        },
        "reasons": reasons,
    }


# ---------------------------------------------------------------- aggregates


def _mean(values: Iterable) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def aggregate(
    questions: Sequence[EvalQuestion | dict],
    scores: Sequence[dict],
    categories: dict[int, str] | None = None,
    verbatim: Callable[[EvalQuestion], bool] | None = None,
) -> dict:
    """The metric table for one system. A metric with no question to measure it is None."""
    qs = [_record(q) for q in questions]
    pairs = list(zip(qs, scores, strict=True))
    oos = [s for q, s in pairs if q.refuse]
    answerable = [s for q, s in pairs if not q.refuse]
    true_refusals = sum(s["refused"] for s in oos)
    wrong = sum(s["refused"] for s in answerable)
    metrics = {
        "top1": _mean(s["top1"] for s in scores),
        "top3": _mean(s["top3"] for s in scores),
        "mrr10": _mean(s["rr"] for s in scores),
        "dept_exact": _mean(s["dept_exact"] for s in scores),
        "list_recall": _mean(s["list_recall"] for s in scores),
        "must_contain": _mean(s["contains_ok"] for s in scores),
        # No refusal at all means no wrong refusal: precision 1; recall then shows the miss.
        "refusal_precision": round(true_refusals / (true_refusals + wrong), 4) if true_refusals + wrong else 1.0,
        "refusal_recall": round(true_refusals / len(oos), 4) if oos else None,
        "wrong_refusals": round(wrong / len(answerable), 4) if answerable else None,
        "english_top3": _mean(s["top3"] for q, s in pairs if q.lang == "en"),
        "task_number_acc": _mean(s["number_ok"] for s in scores),
        "not_stated_acc": _mean(s["not_stated_ok"] for s in scores),
        "n": len(qs),
    }
    by_kind: dict[str, dict] = {}
    for kind in sorted({q.kind for q in qs}):
        group = [s for q, s in pairs if q.kind == kind]
        by_kind[kind] = {**_group(group), "mrr10": _mean(s["rr"] for s in group)}
    by_category: dict[str, dict] = {}
    if categories:
        groups: dict[str, list[dict]] = {}
        for q, s in pairs:
            if q.tasks_any and q.tasks_any[0] in categories:
                groups.setdefault(categories[q.tasks_any[0]], []).append(s)
        order = {c: min(n for n, cat in categories.items() if cat == c) for c in groups}
        for cat in sorted(groups, key=order.get):
            group = groups[cat]
            by_category[cat] = {"n": len(group), "top1": _mean(s["top1"] for s in group), "top3": _mean(s["top3"] for s in group)}
    metrics["by_kind"] = by_kind
    metrics["by_category"] = by_category
    metrics["by_style"] = {
        style: _group([s for q, s in pairs if q.style == style]) for style in sorted({q.style for q in qs if q.style})
    }
    if verbatim is not None:
        metrics["by_wording"] = {
            label: _group([s for q, s in pairs if not q.refuse and verbatim(q) == flag])
            for label, flag in (("near_verbatim", True), ("own_words", False))
        }
    return metrics


def _group(group: list[dict]) -> dict:
    return {
        "n": len(group),
        "top1": _mean(s["top1"] for s in group),
        "top3": _mean(s["top3"] for s in group),
        "dept_exact": _mean(s["dept_exact"] for s in group),
        "list_recall": _mean(s["list_recall"] for s in group),
        "refused": _mean(s["refused"] for s in group),
    }
