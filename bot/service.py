"""The service object: holds the loaded index and model, and answers questions.

Flow of a question: ask() -> _answer(): _scores() (BM25 + dense over the policy text and the
example questions) -> routing.route() -> fusion.convex() -> list/topic routing -> refusal check
-> answer.* (quotes + templates).
The HTTP API, the CLI and the eval runner all call this one object.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from collections import Counter, OrderedDict
from pathlib import Path

import numpy as np
import yaml

from bot import answer, index, model
from bot.answer import TaskHit
from bot.chunks import category_title
from bot.coverage import TaskVocabulary
from bot.encoder import QueryEncoder
from bot.errors import InvalidInput, NotFound
from bot.fusion import convex
from bot.routing import Route, SurfaceMatcher, is_english, private_matter, route, wants_list
from bot.settings import Settings

log = logging.getLogger(__name__)

SYSTEMS = ("full", "bm25", "dense")
# Chosen by measurement on the dev split of the eval set (README, "How the numbers were chosen").
# Weight of BM25 in the hybrid score: for Chinese questions, and for English ones, whose
# lexical side is only their glossary terms (corpus/vocabulary.yaml).
LEXICAL_WEIGHT = 0.4
ENGLISH_LEXICAL_WEIGHT = 0.3
ENGLISH_GLOSS_WEIGHT = 0.3
# Relevance confidence = best similarity to a task or to one of its example questions + a small
# bonus for lexical evidence + an offset for short Chinese questions ("开票找谁"), which share
# fewer words with anything, - a penalty for question words no top task speaks of (below).
# Below the threshold a question is taken as not covered by the policy.
# English questions are measured in domain-centred space (_CentredSimilarity), mapped onto the
# Chinese scale by matching answerable dev questions' 10th and 50th percentiles.
ENGLISH_SCALE = 0.273
ENGLISH_SHIFT = 0.803
SHORT_OFFSET = 0.02  # full at one character, tapering to 0 at SHORT_CHARS
SHORT_CHARS = 25
LEXICAL_BONUS = 0.02
LEXICAL_CAP = 8.0
# The penalty: COVERAGE_WEIGHT x the share of the question's words that none of its top
# COVERAGE_TASKS tasks (text and examples) contains (bot/coverage.py); and FIGURE_WEIGHT when
# the question asks for a figure that the best task's policy text does not state; and
# PRIVATE_WEIGHT when it is about a private person's own affairs (bot/routing.py).
COVERAGE_TASKS = 3
COVERAGE_WEIGHT = 0.06
FIGURE_WEIGHT = 0.02
PRIVATE_WEIGHT = 0.03
REFUSAL_THRESHOLD = 0.924
# A list question that names no topic ("开公司和关公司这块有哪些措施") asks for the topic its best
# matches share: when at least 2 of the top 3 tasks are in one category and the question is broad
# (confidence within [threshold - margin, threshold + upper)), not about one task in particular.
CATEGORY_VOTE_TOP = 3
CATEGORY_VOTE_MIN = 2
LIST_MARGIN = 0.03
LIST_UPPER = 0.04
# Answers this close above the refusal threshold are worth a staff review.
LOW_CONFIDENCE = round(REFUSAL_THRESHOLD + 0.02, 3)


def relevance_confidence(
    nearest: float,
    lexical_max: float,
    lang: str,
    length: int,
    coverage: float = 1.0,
    figure_missing: bool = False,
    private: bool = False,
) -> float:
    """`nearest`: for Chinese the best raw cosine, for English the best domain-centred cosine;
    `coverage`: the share of the question's words its top tasks account for;
    `figure_missing`: it asks for a figure its best task does not state;
    `private`: it is about a private person's own affairs."""
    if lang == "en":
        similarity = ENGLISH_SHIFT + ENGLISH_SCALE * nearest
    else:
        similarity = nearest + SHORT_OFFSET * max(0.0, 1.0 - length / SHORT_CHARS)
    lexical = LEXICAL_BONUS * min(lexical_max, LEXICAL_CAP) / LEXICAL_CAP
    penalties = COVERAGE_WEIGHT * (1.0 - coverage)
    penalties += (FIGURE_WEIGHT if figure_missing else 0.0) + (PRIVATE_WEIGHT if private else 0.0)
    return similarity + lexical - penalties


def _load_vocabulary(corpus_dir: Path) -> dict:
    path = Path(corpus_dir) / "vocabulary.yaml"
    if not path.exists():
        return {"departments": {}, "categories": {}, "glossary": {}}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {key: data.get(key) or {} for key in ("departments", "categories", "glossary")}


class _CentredSimilarity:
    """Cosine similarity after subtracting the mean of the index's own vectors (policy text and
    example questions). Raw cosine counts the phrasing English questions share ("how do I ... in
    Suzhou") as closeness; centred, out-of-scope English questions fall away from answerable
    ones (dev AUC 0.95 -> 0.99). Chinese questions keep raw cosine, which separates them better."""

    def __init__(self, loaded: index.LoadedIndex, task_rows: np.ndarray):
        chunk_vectors = loaded.dense.index.reconstruct_n(0, loaded.dense.size)
        example_vectors = (
            loaded.example_dense.index.reconstruct_n(0, loaded.example_dense.size)
            if loaded.example_dense is not None
            else chunk_vectors[:0]
        )
        self._mean = np.vstack([chunk_vectors, example_vectors]).mean(axis=0)
        # What a question is compared with: the task chunks and every example question.
        self._targets = _unit(np.vstack([chunk_vectors[task_rows], example_vectors]) - self._mean)

    def nearest(self, vector: np.ndarray) -> float:
        """The best centred cosine to a task's text or to any example question."""
        q = _unit(_unit(np.asarray(vector, dtype=np.float32).reshape(1, -1)) - self._mean)[0]
        return float((self._targets @ q).max())


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class PolicyBot:
    def __init__(self, settings: Settings, loaded: index.LoadedIndex, encoder, corpus):
        self.settings = settings
        self.index = loaded
        self.corpus = corpus
        self.encoder = QueryEncoder(encoder)
        self.ready = True
        self._titles = {d.id: d.title for d in corpus.documents}
        self._docs = list(corpus.documents)
        self._task_chunk: dict[tuple[str, int], int] = {
            (c.doc, c.task): i for i, c in enumerate(loaded.chunks) if c.kind == "task"
        }
        self._task_rows = np.array(sorted(self._task_chunk.values()), dtype=np.int64)
        # The task chunk row each example question stands for.
        self._example_rows = np.array([self._task_chunk[(e.doc, e.task)] for e in loaded.examples], dtype=np.int64)
        vocab = _load_vocabulary(settings.corpus_dir)
        self._categories: dict[str, list[tuple[str, int]]] = {}
        for doc in corpus.documents:
            for t in doc.tasks:
                self._categories.setdefault(t.category, []).append((doc.id, t.number))
        cat_forms = {
            cat: [category_title(cat), *vocab["categories"].get(category_title(cat), [])] for cat in self._categories
        }
        self.category_matcher = SurfaceMatcher(cat_forms)
        # A spoken department form that is also a topic's name ("市场监管") names the topic, except
        # in a list of what a department leads (routing.route).
        topic_forms = {f for forms in cat_forms.values() for f in forms}
        dept_forms = {d.name: [*d.aliases, *vocab["departments"].get(d.name, [])] for d in corpus.departments}
        self.department_matcher = SurfaceMatcher(
            {name: [f for f in forms if f not in topic_forms] for name, forms in dept_forms.items()}
        )
        self.department_matcher_any = SurfaceMatcher(dept_forms)
        self.glossary = SurfaceMatcher(vocab["glossary"])
        self._centred = _CentredSimilarity(loaded, self._task_rows)
        self._category_rows = {
            cat: np.array([self._task_chunk[key] for key in keys], dtype=np.int64)
            for cat, keys in self._categories.items()
        }
        terms = loaded.lexical.document_terms()
        self._vocabulary = TaskVocabulary(
            loaded.lexical.tokenizer,
            {row: terms[row] for row in self._task_rows},
            {row: " ".join((loaded.chunks[row].text, *loaded.chunks[row].body)) for row in self._task_rows},
        )
        self._answers: OrderedDict[tuple, dict] = OrderedDict()
        self._answers_lock = threading.Lock()

    @classmethod
    def load(cls, settings: Settings) -> "PolicyBot":
        from bot.parse import load_corpus

        started = time.perf_counter()
        loaded = index.load(settings)
        encoder = model.load(settings)
        corpus = load_corpus(settings.corpus_dir)
        bot = cls(settings, loaded, encoder, corpus)
        bot.encoder.encode("warm-up")  # first forward pass allocates; keep it off the first request
        log.info("policybot ready in %.1fs", time.perf_counter() - started)
        return bot

    def info(self) -> dict:
        m = self.index.manifest
        return {
            "model": m["model"],
            "dim": m["dim"],
            "chunks": m["chunks"],
            "tasks": m.get("tasks"),
            "examples": m.get("examples", 0),
            "built_at": m["built_at"],
            "documents": m["documents"],
        }

    # ---- questions -------------------------------------------------------------------------

    def validate_question(self, question: object) -> str:
        if not isinstance(question, str):
            raise InvalidInput("question must be a string")
        q = unicodedata.normalize("NFKC", question).strip()
        if not q:
            raise InvalidInput("question is empty")
        if len(q) > self.settings.max_question_chars:
            raise InvalidInput(f"question is longer than {self.settings.max_question_chars} characters")
        return re.sub(r"\s+", " ", q)

    def _answer_key(self, question: str, top_k: int, system: str) -> tuple[str, int, str]:
        q = self.validate_question(question)
        if system not in SYSTEMS:
            raise InvalidInput(f"system must be one of {', '.join(SYSTEMS)}")
        if not 1 <= int(top_k) <= 20:
            raise InvalidInput("top_k must be between 1 and 20")
        return q, int(top_k), system

    def _cached(self, key: tuple[str, int, str]) -> dict | None:
        with self._answers_lock:
            cached = self._answers.get(key)
            if cached is not None:
                self._answers.move_to_end(key)
            return cached

    def cached_answer(self, question: str, top_k: int = 3, system: str = "full") -> dict | None:
        """The answer if this question was answered recently; never computes (cheap enough for an event loop)."""
        cached = self._cached(self._answer_key(question, top_k, system))
        return None if cached is None else {"question": question, "confidence": None, **cached}

    def ask(self, question: str, top_k: int = 3, system: str = "full") -> dict:
        key = self._answer_key(question, top_k, system)
        result = self._cached(key)
        if result is None:
            result = self._answer(*key)
            with self._answers_lock:
                self._answers[key] = result
                if len(self._answers) > 2048:
                    self._answers.popitem(last=False)
        return {"question": question, "confidence": None, **result}

    def _scores(self, q: str, lang: str = "zh") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """BM25 scores, dense scores (per chunk row) and the question's vector."""
        vector = self.encoder.encode(q)
        dense = self.index.dense.scores(vector)[0]
        if self.index.example_dense is not None:
            # A task is as close as its policy text or the nearest way users ask about it.
            np.maximum.at(dense, self._example_rows, self.index.example_dense.scores(vector)[0])
        # English shares no words with the Chinese text: search lexically on its glossary terms.
        lexical_query = " ".join(self.glossary.find(q)) if lang == "en" else q
        return self.index.lexical.scores(lexical_query), dense, vector

    def _glossed(self, q: str, dense: np.ndarray) -> np.ndarray:
        """English ranking: blend in the similarity of its glossary terms read as a Chinese query
        (a dictionary translation), which matches the policy's own words more closely."""
        terms = " ".join(self.glossary.find(q))
        if not terms:
            return dense
        gloss = self.index.dense.scores(self.encoder.encode(terms))[0]
        return (1.0 - ENGLISH_GLOSS_WEIGHT) * dense + ENGLISH_GLOSS_WEIGHT * gloss

    def _hit(self, doc_id: str, number: int, score: float) -> TaskHit:
        chunk = self.index.chunks[self._task_chunk[(doc_id, number)]]
        return TaskHit(
            doc=doc_id,
            doc_title=self._titles[doc_id],
            number=number,
            category=chunk.category,
            section=chunk.section,
            text=chunk.text,
            departments=chunk.departments,
            body=chunk.body,
            score=score,
        )

    def _ranked_tasks(self, scores: np.ndarray) -> list[TaskHit]:
        rows = self._task_rows[np.argsort(-scores[self._task_rows], kind="stable")]
        return [self._hit(self.index.chunks[r].doc, self.index.chunks[r].task, float(scores[r])) for r in rows]

    def _answer(self, q: str, top_k: int, system: str) -> dict:
        lang = "en" if is_english(q) else "zh"
        lexical, dense, vector = self._scores(q, lang if system == "full" else "zh")
        if system != "full":
            # Baselines: one ranking, no routing, no refusal.
            ranked = self._ranked_tasks(lexical if system == "bm25" else dense)
            return answer.single("content", ranked[:top_k], "zh", top_k)
        r = route(q, self.department_matcher, self.category_matcher, self.department_matcher_any)
        if r.lang == "zh":
            fused = convex(lexical, dense, LEXICAL_WEIGHT)
        else:
            fused = convex(lexical, self._glossed(q, dense), ENGLISH_LEXICAL_WEIGHT)
        if r.kind == "task_number":
            return self._task_number(r)
        if r.kind == "department_tasks":
            hits = [h for h in self._ranked_tasks(fused) if r.department in h.departments]
            if hits:
                heading = f"{r.department}牵头（含共同牵头）的任务"
                english = f"Tasks led by {r.department}"
                return answer.task_list(r.kind, heading, hits, [r.department], r.lang, english)
            r = Route("content", r.lang)
        rows = self._task_rows
        nearest = float(dense[rows].max()) if r.lang == "zh" else self._centred.nearest(vector)
        category = self._dominant_category(fused) if r.kind == "content" and wants_list(q) else None
        # A list question's words are accounted for by the whole topic it asks about.
        if category is not None:
            explaining = self._category_rows[category]
        else:
            explaining = rows[np.argsort(-fused[rows], kind="stable")[:COVERAGE_TASKS]]
        coverage = self._vocabulary.coverage(q, r.lang, explaining)
        # The figure check is on the task the answer would lead with; a list answer has none.
        figure_missing = category is None and self._vocabulary.figure_missing(q, r.lang, int(explaining[0]))
        confidence = relevance_confidence(
            nearest, float(lexical[rows].max()), r.lang, len(q), coverage, figure_missing, private_matter(q, r.lang)
        )
        if category is not None and REFUSAL_THRESHOLD - LIST_MARGIN <= confidence < REFUSAL_THRESHOLD + LIST_UPPER:
            r = Route("category_tasks", r.lang, category=category)
        if r.kind == "category_tasks":
            hits = [h for h in self._ranked_tasks(fused) if h.category == r.category]
            depts = list(dict.fromkeys(d for h in hits for d in h.departments))
            heading = f"{r.category}方面的任务"
            return answer.task_list(r.kind, heading, hits, depts, r.lang, f"Measures on {r.category}")
        if confidence < REFUSAL_THRESHOLD:
            result = answer.refusal(list(self._titles.values()), r.lang)
        else:
            result = answer.single(r.kind, self._ranked_tasks(fused)[:top_k], r.lang, top_k)
        return {**result, "confidence": round(confidence, 4)}

    def _dominant_category(self, fused: np.ndarray) -> str | None:
        """The topic a list question is about when it names none: the category most of the
        best-matching tasks share, if they agree."""
        top = self._task_rows[np.argsort(-fused[self._task_rows], kind="stable")[:CATEGORY_VOTE_TOP]]
        votes = Counter(self.index.chunks[i].category for i in top)
        category, count = votes.most_common(1)[0]
        return category if count >= CATEGORY_VOTE_MIN else None

    def _task_number(self, r: Route) -> dict:
        for doc in self._docs:
            if (doc.id, r.task) in self._task_chunk:
                hit = self._hit(doc.id, r.task, 1.0)
                result = answer.single("task_number", [hit], r.lang, 1)
                return result
        doc = self._docs[0]
        return answer.unknown_task(r.task, len(doc.tasks), doc.title, r.lang)

    # ---- browsing (console, API) --------------------------------------------------------------

    def task(self, number: int, doc_id: str | None = None) -> dict:
        for doc in self._docs:
            if (doc_id in (None, doc.id)) and (doc.id, number) in self._task_chunk:
                hit = self._hit(doc.id, number, 1.0)
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
                    "reply": answer.task_reply(hit),
                }
        raise NotFound(f"there is no task {number}")

    def tasks(self) -> list[dict]:
        return [self.task(t.number, d.id) for d in self._docs for t in d.tasks]

    def departments(self) -> list[dict]:
        return [{"name": d.name, "aliases": list(d.aliases), "tasks": list(d.tasks)} for d in self.corpus.departments]

    def categories(self) -> list[dict]:
        return [{"name": name, "tasks": [n for _, n in items]} for name, items in self._categories.items()]

    def search(self, q: str = "", department: str | None = None, category: str | None = None, limit: int = 20) -> dict:
        """Console search: BM25 plus exact substring hits, fast enough for every keystroke."""
        q = unicodedata.normalize("NFKC", q or "").strip()
        if len(q) > self.settings.max_question_chars:
            raise InvalidInput(f"q is longer than {self.settings.max_question_chars} characters")
        if department and department not in {d.name for d in self.corpus.departments}:
            found = self.department_matcher.find(department)
            if not found:
                raise InvalidInput(f"unknown department {department!r}")
            department = found[0]
        if category and category not in self._categories:
            raise InvalidInput(f"unknown category {category!r}")
        chunks = self.index.chunks
        if q:
            scores = self.index.lexical.scores(q).astype(np.float64)
            for i, c in enumerate(chunks):
                if q in c.text:
                    scores[i] += 10.0
        else:
            scores = np.zeros(len(chunks))
        terms = sorted({q, *self.index.tokenizer(q)} - {""}, key=len, reverse=True) if q else []
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
                "reply": answer.task_reply(self._hit(chunks[i].doc, chunks[i].task, 1.0)) if chunks[i].task else "",
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
