"""Evaluation runner: ask every eval question of each retrieval system and score the answers."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.answering.types import SYSTEMS
from bot.corpus import load_corpus
from bot.corpus.records import Corpus
from bot.errors import InvalidInput, PolicyBotError
from bot.evaluation.evalset import (
    EvalQuestion,
    all_tasks,
    canonical_department,
    department_aliases,
    load_evalset,
    validate,
)
from bot.evaluation.metrics import (
    METRICS,
    TOP_K,
    Canonicaliser,
    aggregate,
    failure_record,
    near_verbatim,
    score_question,
)


# ---------------------------------------------------------------- running


def make_canonicaliser(corpus: Corpus) -> Canonicaliser:
    """Department spelling → canonical name, from the corpus directory (which carries the alias table)."""
    spellings = department_aliases(corpus)
    return lambda name: canonical_department(name, spellings)


def _ask(bot, question: str, system: str) -> dict:
    try:
        return bot.ask(question, top_k=TOP_K, system=system).to_dict()
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
    tasks = all_tasks(corpus)
    categories = {n: t.category for n, t in tasks.items()}

    def verbatim(q: EvalQuestion) -> bool:
        single_task = q.kind in ("department", "content") and q.lang == "zh"
        return single_task and near_verbatim(q.question, [tasks[n].text for n in q.tasks_any if n in tasks])

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
        out["systems"][system] = aggregate(questions, scores, categories, verbatim)
        out["failures"][system] = failures
    return out


def select_split(questions: Sequence[EvalQuestion], split: str) -> list[EvalQuestion]:
    if split not in ("dev", "test", "blind", "all"):
        raise InvalidInput("split must be dev, test, blind or all")
    # "all" is the working set (dev and test): the blind split is measured only when asked for by name.
    return [q for q in questions if q.split == split or (split == "all" and q.split != "blind")]


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
        from bot.answering.pipeline import PolicyBot

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
            cell = f"{b['refused']:.2f} ref" if k in ("out_of_scope", "not_stated") else (
                f"{b['top1']:.2f}/{b['top3']:.2f}" if b.get("top1") is not None else f"rec {b['list_recall']:.2f}"
            )
            cells.append(f"{cell:>10}")
        lines.append(f"{k + ' (' + str(results['systems'][systems[0]]['by_kind'][k]['n']) + ')':22}" + "".join(cells))
    for group in ("by_style", "by_wording"):
        labels = sorted({k for sys_ in systems for k in results["systems"][sys_].get(group, {})})
        if labels:
            lines += ["", f"top1 / refused rate {group.replace('_', ' ')}", head]
            for label in labels:
                cells = []
                for sys_ in systems:
                    b = results["systems"][sys_][group].get(label, {})
                    cell = "—" if not b else f"{_fmt(b['top1']).strip()}/{b['refused']:.2f}"
                    cells.append(f"{cell:>10}")
                n = results["systems"][systems[0]][group].get(label, {}).get("n", 0)
                lines.append(f"{label + ' (' + str(n) + ')':22}" + "".join(cells))
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
        from bot.evaluation.report import write_report

        path = write_report(Path(args.report), results)
        print(f"report: {path}", file=sys.stderr)
    return 0
