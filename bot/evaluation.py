"""Evaluation runner: ask every eval question of each retrieval system and score the answers."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from bot.corpus import Corpus
from bot.errors import InvalidInput, PolicyBotError
from bot.parse import load_corpus
from bot.evalset import (
    EvalQuestion,
    all_tasks,
    canonical_department,
    department_aliases,
    load_evalset,
    validate,
)

SYSTEMS = ("bm25", "dense", "full")
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
)
# Kinds whose expected departments are those of one task; a department_tasks record names
# the department asked about instead, which the answer need not echo.
DEPARTMENT_KINDS = ("department", "content", "task_number")
LIST_KINDS = ("department_tasks", "category_tasks")
TOP_K = 10

Canonicaliser = Callable[[str], str]


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
    }
    if q.tasks_any:
        rank = task_rank(q.tasks_any, result)
        s.update(rank=rank, top1=rank == 1, top3=rank is not None and rank <= 3, rr=1.0 / rank if rank else 0.0)
    if q.departments and q.kind in DEPARTMENT_KINDS:
        want = {canon(d) for d in q.departments}
        got = set(got_depts)
        s.update(dept_exact=answered and got == want, dept_extra=sorted(got - want), dept_missing=sorted(want - got))
    if q.kind in LIST_KINDS:
        cited = set(ranking if answered else [])
        cited |= {int(c["task"]) for c in result.get("citations") or [] if answered and c.get("task") is not None}
        want_all = set(q.tasks_all)
        s.update(list_recall=len(cited & want_all) / len(want_all), list_missing=sorted(want_all - cited))
    if q.contains:
        text = _squash(f"{result.get('answer') or ''}\n{result.get('reply') or ''}")
        s["contains_ok"] = all(_squash(p) in text for p in q.contains)
    return s


def failure_reasons(q: EvalQuestion | dict, s: dict) -> list[str]:
    q = _record(q)
    reasons = []
    if q.kind == "out_of_scope":
        if not s["refused"]:
            reasons.append("answered an out-of-scope question")
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
    questions: Sequence[EvalQuestion | dict], scores: Sequence[dict], categories: dict[int, str] | None = None
) -> dict:
    """The metric table for one system. A metric with no question to measure it is None."""
    qs = [_record(q) for q in questions]
    pairs = list(zip(qs, scores, strict=True))
    oos = [s for q, s in pairs if q.kind == "out_of_scope"]
    answerable = [s for q, s in pairs if q.kind != "out_of_scope"]
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
        "task_number_acc": _mean(s["top1"] for q, s in pairs if q.kind == "task_number"),
        "n": len(qs),
    }
    by_kind: dict[str, dict] = {}
    for kind in sorted({q.kind for q in qs}):
        group = [s for q, s in pairs if q.kind == kind]
        by_kind[kind] = {
            "n": len(group),
            "top1": _mean(s["top1"] for s in group),
            "top3": _mean(s["top3"] for s in group),
            "mrr10": _mean(s["rr"] for s in group),
            "dept_exact": _mean(s["dept_exact"] for s in group),
            "list_recall": _mean(s["list_recall"] for s in group),
            "refused": _mean(s["refused"] for s in group),
        }
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
    return metrics


# ---------------------------------------------------------------- running


def make_canonicaliser(corpus: Corpus) -> Canonicaliser:
    """Department spelling → canonical name, from the corpus directory (which carries the alias table)."""
    spellings = department_aliases(corpus)
    return lambda name: canonical_department(name, spellings)


def _ask(bot, question: str, system: str) -> dict:
    try:
        return bot.ask(question, top_k=TOP_K, system=system)
    except PolicyBotError as exc:
        # A question the service rejects is scored as a refusal, and shown with the reason.
        return {"question": question, "answered": False, "kind": "error", "answer": "", "reply": "",
                "departments": [], "citations": [], "error": str(exc)}


def evaluate(
    bot,
    questions: Sequence[EvalQuestion],
    corpus: Corpus,
    systems: Sequence[str] = SYSTEMS,
    canon: Canonicaliser | None = None,
    progress: bool = False,
) -> dict:
    """Ask each question of each system; metrics and failures per system."""
    canon = canon or make_canonicaliser(corpus)
    categories = {n: t.category for n, t in all_tasks(corpus).items()}
    out: dict = {"systems": {}, "n": len(questions), "failures": {}}
    for system in systems:
        items: Iterable[EvalQuestion] = questions
        if progress:
            from tqdm import tqdm

            items = tqdm(questions, desc=f"eval {system}", file=sys.stderr, leave=False)
        scores, failures = [], []
        for q in items:
            result = _ask(bot, q.question, system)
            s = score_question(q, result, canon)
            scores.append(s)
            f = failure_record(q, result, s)
            if f:
                failures.append(f)
        out["systems"][system] = aggregate(questions, scores, categories)
        out["failures"][system] = failures
    return out


def select_split(questions: Sequence[EvalQuestion], split: str) -> list[EvalQuestion]:
    if split not in ("dev", "test", "all"):
        raise InvalidInput("split must be dev, test or all")
    return [q for q in questions if split == "all" or q.split == split]


def load_checked(set_file: Path, corpus: Corpus) -> list[EvalQuestion]:
    questions = load_evalset(set_file)
    problems = validate(questions, corpus)
    if problems:
        raise InvalidInput(f"{set_file} fails validation:\n  " + "\n  ".join(problems))
    return questions


def run_evaluation(
    settings, split: str = "all", systems: Sequence[str] = SYSTEMS, set_file: Path | None = None, bot=None, progress: bool = False
) -> dict:
    """Load the set, the corpus and (unless given) the service; evaluate one split."""
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        raise InvalidInput(f"unknown system(s) {unknown}; choose from {', '.join(SYSTEMS)}")
    corpus = load_corpus(settings.corpus_dir)
    questions = select_split(load_checked(Path(set_file or settings.eval_file), corpus), split)
    if bot is None:
        from bot.service import PolicyBot

        bot = PolicyBot.load(settings)
    results = evaluate(bot, questions, corpus, systems, make_canonicaliser(corpus), progress)
    return {"systems": results["systems"], "n": results["n"], "split": split, "failures": results["failures"]}


# ---------------------------------------------------------------- output


def _fmt(v) -> str:
    return "   —  " if v is None else f"{v:6.3f}"


def format_table(results: dict) -> str:
    systems = list(results["systems"])
    head = f"{'':22}" + "".join(f"{s:>10}" for s in systems)
    lines = [f"eval split={results['split']} n={results['n']}", head, "-" * len(head)]
    for m in METRICS:
        lines.append(f"{m:22}" + "".join(f"{_fmt(results['systems'][s][m]):>10}" for s in systems))
    kinds = sorted({k for s in systems for k in results["systems"][s]["by_kind"]})
    lines += ["", "top1 / top3 (or refused rate) by kind", head]
    for k in kinds:
        cells = []
        for s in systems:
            b = results["systems"][s]["by_kind"].get(k, {})
            cell = f"{b['refused']:.2f} ref" if k == "out_of_scope" else (
                f"{b['top1']:.2f}/{b['top3']:.2f}" if b.get("top1") is not None else f"rec {b['list_recall']:.2f}"
            )
            cells.append(f"{cell:>10}")
        lines.append(f"{k + ' (' + str(results['systems'][systems[0]]['by_kind'][k]['n']) + ')':22}" + "".join(cells))
    cats = list(results["systems"][systems[0]]["by_category"])
    if cats:
        lines += ["", "top3 by category", head]
        for c in cats:
            lines.append(f"{c[:10]:<18}" + "".join(f"{_fmt(results['systems'][s]['by_category'][c]['top3']):>10}" for s in systems))
    for s in systems:
        fails = results["failures"][s]
        lines += ["", f"failures of {s}: {len(fails)}"]
        for f in fails:
            got = f["got"]
            lines.append(f"  {f['id']} [{f['kind']}/{f['lang']}] {f['question']}")
            lines.append(
                f"      expected {json.dumps(f['expected'], ensure_ascii=False)}; got kind={got['kind']} "
                f"answered={got['answered']} tasks={got['top_tasks']} depts={got['departments']}"
            )
            lines.append(f"      {'; '.join(f['reasons'])}")
    return "\n".join(lines)


def run_cli(args, settings) -> int:
    set_file = Path(args.set_file) if getattr(args, "set_file", None) else settings.eval_file
    split = getattr(args, "split", None) or "all"
    try:
        corpus = load_corpus(settings.corpus_dir)
        load_checked(set_file, corpus)
    except InvalidInput as exc:
        print(f"policybot eval: {exc}", file=sys.stderr)
        return 1
    results = run_evaluation(settings, split=split, set_file=set_file, progress=sys.stderr.isatty())
    if getattr(args, "json", False):
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        print(format_table(results))
    if getattr(args, "report", None):
        from bot.eval_report import write_report

        path = write_report(Path(args.report), results)
        print(f"report: {path}", file=sys.stderr)
    return 0
