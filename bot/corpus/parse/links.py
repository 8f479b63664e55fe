"""Body <-> task links: which body sentences state each task of the list."""

from __future__ import annotations

import re
from dataclasses import replace
from difflib import SequenceMatcher

from bot.corpus.parse.text import SECTION_RE
from bot.corpus.records import Document, Part, Section, Sentence

_PUNCT_RE = re.compile(r"[\s\W_]+")
MIN_COVERAGE = 0.5  # share of a task's characters found in its body sentences
MAX_SPAN = 3  # sentences; a task plus its paragraph's lead and a "；" split can reach three


def _norm(text: str) -> str:
    return _PUNCT_RE.sub("", text)


def _matched(a: str, b: str) -> int:
    """Characters of a found in b, in order, in runs of two or more (single-character hits
    between unrelated texts would inflate long spans)."""
    blocks = SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    return sum(bl.size for bl in blocks if bl.size >= 2)


def best_span(task_text: str, paragraphs: list[list[Sentence]]) -> tuple[tuple[str, ...], float]:
    """Consecutive sentences (within one paragraph) that state the task: the span covering the
    most of the task's characters, and of near-equal spans the most precise one, so a lead
    sentence is included only when the task's text really contains it."""
    t = _norm(task_text)
    if not t:
        return (), 0.0
    scored: list[tuple[float, float, tuple[str, ...]]] = []
    for sents in paragraphs:
        normed = [_norm(s.text) for s in sents]
        for i in range(len(sents)):
            for k in range(1, MAX_SPAN + 1):
                if i + k > len(sents):
                    break
                span = "".join(normed[i:i + k])
                if not span:
                    continue
                m = _matched(t, span)
                scored.append((m / len(t), m / len(span), tuple(s.id for s in sents[i:i + k])))
    if not scored:
        return (), 0.0
    top = max(c for c, _, _ in scored)
    coverage, _, ids = max((x for x in scored if x[0] >= top - 0.05), key=lambda x: (x[1], x[0]))
    return ids, coverage


def _title_ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, _norm(a), _norm(b), autojunk=False).ratio()


def match_section(category: str, part_heading: str, parts: tuple[Part, ...]) -> Section | None:
    """The body section a task-list category belongs to, by title similarity (the body restarts
    its numbering in each part while the list runs on, so numbers cannot be used)."""
    m = SECTION_RE.match(category)
    title = m.group(2) if m else category
    best, best_key = None, (0.0, 0.0)
    for part in parts:
        pr = _title_ratio(part_heading, part.heading) if part_heading else 0.0
        for sec in part.sections:
            key = (_title_ratio(title, sec.title), pr)
            if key > best_key:
                best, best_key = sec, key
    return best if best_key[0] >= 0.6 else None


def link_tasks(doc: Document) -> Document:
    """Fill Task.section_id and Task.body (ids of the body sentences stating the task)."""
    if not doc.tasks:
        return doc
    everything = [list(p.sentences) for p in doc.paragraphs()]
    linked = []
    for task in doc.tasks:
        sec = match_section(task.category, task.part, doc.parts)
        ids, coverage = ((), 0.0)
        if sec is not None:
            ids, coverage = best_span(task.text, [list(p.sentences) for p in sec.paragraphs])
        if coverage < MIN_COVERAGE:
            # The body may state a task outside its category's section.
            ids, coverage = best_span(task.text, everything)
        body = ids if coverage >= MIN_COVERAGE else ()
        linked.append(replace(task, body=body, section_id=sec.id if sec else ""))
    return replace(doc, tasks=tuple(linked))
