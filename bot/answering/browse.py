"""Browsing the plan for the console and the API: one task, every task, departments, topics, and
search-as-you-type."""

from __future__ import annotations

import unicodedata

import numpy as np

from bot.answering.compose import task_hit, task_reply
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
    ):
        self._index = loaded
        self.corpus = corpus
        self._docs = list(corpus.documents)
        self._titles = {d.id: d.title for d in corpus.documents}
        self._task_chunk = task_chunk
        self._departments = departments
        self._max_chars = max_chars
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
        if q:
            scores = self._index.lexical.scores(q).astype(np.float64)
            for i, c in enumerate(chunks):
                if q in c.text:
                    scores[i] += 10.0
        else:
            scores = np.zeros(len(chunks))
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
                "reply": task_reply(self._hit(chunks[i].doc, chunks[i].task)) if chunks[i].task else "",
            }
            for i in matches[:limit]
        ]
        return {"query": q, "total": len(matches), "results": results}


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
