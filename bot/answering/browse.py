"""Browsing the plan for the console and the API: one task, every task, departments, topics, and
search-as-you-type."""

from __future__ import annotations

import unicodedata

import numpy as np

from bot.answering.compose import HOTLINE, departments_phrase, task_hit, task_reply
from bot.answering.types import TaskHit
from bot.corpus.records import Corpus
from bot.corpus.vocabulary import SurfaceMatcher
from bot.errors import InvalidInput, NotFound
from bot.retrieval.store import LoadedIndex


class Browser:
    def __init__(
        self,
        loaded: LoadedIndex,
        corpus: Corpus,
        task_chunk: dict[tuple[str, int], int],
        departments: SurfaceMatcher,
        max_chars: int,
        categories: SurfaceMatcher | None = None,
    ):
        self._index = loaded
        self.corpus = corpus
        self._docs = list(corpus.documents)
        self._titles = {d.id: d.title for d in corpus.documents}
        self._task_chunk = task_chunk
        self._departments = departments
        self._max_chars = max_chars
        self._topics = categories
        self._categories: dict[str, list[int]] = {}
        for doc in corpus.documents:
            for t in doc.tasks:
                self._categories.setdefault(t.category, []).append(t.number)

    def _hit(self, doc_id: str, number: int) -> TaskHit:
        return task_hit(self._index.chunks[self._task_chunk[(doc_id, number)]], self._titles[doc_id], 1.0)

    def task(self, number: int, doc_id: str | None = None) -> dict:
        for doc in self._docs:
            if (doc_id in (None, doc.id)) and (doc.id, number) in self._task_chunk:
                hit = self._hit(doc.id, number)
                task = doc.task(number)
                return {
                    "number": number,
                    "doc": doc.id,
                    "category": hit.category,
                    "part": task.part if task else "",
                    "section": hit.section,
                    "text": hit.text,
                    "departments": list(hit.departments),
                    "body": list(hit.body),
                    "reply": task_reply(hit),
                }
        raise NotFound(f"there is no task {number}")

    def _about(self, q: str) -> np.ndarray:
        lexical = self._index.lexical.scores(q).astype(np.float64)
        leaders = self._departments.find(q)
        topics = self._topics.find(q) if self._topics is not None else []
        return _about_scores(self._index.chunks, lexical, q, leaders, topics)

    def _read_out(self, chunk, q: str) -> str:
        """What an agent reads out for a hit: the task and who leads it, quoting the body sentence
        the query was found in when it is not in the task's own text; the plan's preamble, which
        is no task, with the hotline."""
        title = self._titles[chunk.doc]
        if not chunk.task:
            return f"《{title}》正文写道：「{chunk.text.rstrip('。')}」。具体事项可拨打{HOTLINE}咨询。"
        hit = self._hit(chunk.doc, chunk.task)
        sentence = next((b for b in hit.body if q and q in b and q not in hit.text), None)
        if sentence is None:
            return task_reply(hit)
        return (
            f"根据《{title}》第{hit.number}项的正文：「{sentence.rstrip('。')}」，"
            f"{departments_phrase(hit.departments)}。"
        )

    def tasks(self) -> list[dict]:
        return [self.task(t.number, d.id) for d in self._docs for t in d.tasks]

    def departments(self) -> list[dict]:
        return [{"name": d.name, "aliases": list(d.aliases), "tasks": list(d.tasks)} for d in self.corpus.departments]

    def categories(self) -> list[dict]:
        return [{"name": name, "tasks": list(numbers)} for name, numbers in self._categories.items()]

    def search(self, q: str = "", department: str | None = None, category: str | None = None, limit: int = 20) -> dict:
        """Console search: BM25 plus exact substring hits, fast enough for every keystroke."""
        q = unicodedata.normalize("NFKC", q or "").strip()
        if len(q) > self._max_chars:
            raise InvalidInput(f"q is longer than {self._max_chars} characters")
        if department and department not in {d.name for d in self.corpus.departments}:
            found = self._departments.find(department)
            if not found:
                raise InvalidInput(f"unknown department {department!r}")
            department = found[0]
        if category and category not in self._categories:
            raise InvalidInput(f"unknown category {category!r}")
        chunks = self._index.chunks
        scores = self._about(q) if q else np.zeros(len(chunks))
        terms = sorted({q, *self._index.tokenizer(q)} - {""}, key=len, reverse=True) if q else []
        matches = []
        for i in np.argsort(-scores, kind="stable"):
            c = chunks[i]
            if q and scores[i] <= 0:
                break
            if (department and department not in c.departments) or (category and c.category != category):
                continue
            if q or c.kind == "task":
                matches.append(i)
        if not q:
            matches.sort(key=lambda i: chunks[i].task)
        # Highlights and replies only for the rows shown: a one-character prefix matches most chunks.
        results = [
            {
                "task": chunks[i].task,
                "doc": chunks[i].doc,
                "category": chunks[i].category,
                "section": chunks[i].section,
                "departments": list(chunks[i].departments),
                "text": chunks[i].text,
                "highlights": _highlights(chunks[i].text, terms),
                "score": round(float(scores[i]), 4),
                "reply": self._read_out(chunks[i], q),
            }
            for i in matches[:limit]
        ]
        return {"query": q, "total": len(matches), "results": results}


# What a task is about, for console ranking: who leads it weighs most, then its topic, then its
# words. A department that is one of several co-leads, or a name met in the text, counts less.
LEAD_WEIGHT = 3.0
CO_LEAD_WEIGHT = 0.5
TOPIC_WEIGHT = 1.5
PHRASE_WEIGHT = 0.5


def _about_scores(chunks, lexical: np.ndarray, q: str, leaders: list[str], topics: list[str]) -> np.ndarray:
    """Lead department, topic and text, each on its own scale: BM25 is divided by its best so that
    no count of repeated words can outweigh who leads a task."""
    top = float(lexical.max()) if lexical.size else 0.0
    scores = lexical / top if top > 0 else np.zeros(len(chunks))
    for i, c in enumerate(chunks):
        if q in c.text:
            scores[i] += PHRASE_WEIGHT
        if c.departments and c.departments[0] in leaders:
            scores[i] += LEAD_WEIGHT
        elif any(d in leaders for d in c.departments[1:]):
            scores[i] += CO_LEAD_WEIGHT
        if c.category and any(c.category == t for t in topics):
            scores[i] += TOPIC_WEIGHT
    return scores


def _highlights(text: str, terms: list[str]) -> list[list[int]]:
    spans: list[list[int]] = []
    low = text.lower()
    for term in terms:
        start = low.find(term.lower())
        while start >= 0:
            spans.append([start, start + len(term)])
            start = low.find(term.lower(), start + len(term))
    spans.sort()
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return merged
