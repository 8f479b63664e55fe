"""The service object: holds the loaded index and model, and answers questions.

Flow of a question (PolicyBot.ask → _answer):
  reading.QuestionReader.read (invisible characters, traditional script, misspelt policy words) →
  cues.read_question (its wording, once) → routing.route (what it asks for) →
  Retriever.scores/fused (BM25 + dense over the policy text and the example questions) →
  Answerability.features/judge (the learned decision) → routing.decide (the final kind, once) →
  compose.* (quotes and templates around structured fields) → a typed Answer.
The HTTP API, the CLI and the eval runner all call this one object.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np

from bot.answering import compose, followup, parts
from bot.answering.answerability import Answerability, Calibration
from bot.answering.browse import Browser
from bot.answering.cues import LAST_TASK, QuestionFeatures, is_english, read_question
from bot.answering.reading import PlaceNames, QuestionReader, strip_invisible
from bot.answering.routing import NameMatchers, Route, decide, needs_answerability, route
from bot.answering.types import SYSTEMS, Answer, TaskHit
from bot.corpus.english import load_english_names
from bot.corpus.records import Corpus
from bot.corpus.vocabulary import SurfaceMatcher, abbreviation, load_vocabulary
from bot.embedding import model
from bot.embedding.encoder import QueryEncoder
from bot.errors import InvalidInput
from bot.retrieval import store
from bot.retrieval.chunks import category_title
from bot.retrieval.retriever import Retriever, Scores
from bot.settings import Settings

log = logging.getLogger(__name__)

ANSWER_CACHE_SIZE = 2048


def _name_matchers(corpus: Corpus, settings: Settings) -> tuple[NameMatchers, SurfaceMatcher]:
    """Department and topic matchers for routing, and the English→Chinese glossary for retrieval."""
    vocab = load_vocabulary(settings.corpus_dir)
    categories = dict.fromkeys(t.category for d in corpus.documents for t in d.tasks)
    cat_forms = {cat: [category_title(cat), *vocab.categories.get(category_title(cat), [])] for cat in categories}
    # A spoken department form that is also a topic's name ("市场监管") names the topic, except
    # in a list of what a department leads (routing.route).
    topic_forms = {f for forms in cat_forms.values() for f in forms}
    dept_forms = {d.name: [*d.aliases, *vocab.departments.get(d.name, [])] for d in corpus.departments}
    taken = {f for forms in dept_forms.values() for f in forms} | set(dept_forms)
    for name, forms in dept_forms.items():
        short = abbreviation(name)
        if short is not None and short not in taken:
            forms.append(short)
    names = NameMatchers(
        departments=SurfaceMatcher({n: [f for f in forms if f not in topic_forms] for n, forms in dept_forms.items()}),
        departments_any=SurfaceMatcher(dept_forms),
        categories=SurfaceMatcher(cat_forms),
    )
    return names, SurfaceMatcher(vocab.glossary)


def _policy_words(loaded: store.LoadedIndex, corpus: Corpus, settings: Settings) -> set[str]:
    """The words misspellings are recovered towards: the policy's text, its quoted names, and the
    names of its departments and topics (not the example questions, whose everyday words would
    pull everyday words towards them)."""
    words: set[str] = set()
    for chunk in loaded.chunks:
        words.update(loaded.tokenizer(chunk.text))
        words.update(re.findall(r"“([^”]{2,8})”", chunk.text))
    for d in corpus.departments:
        words.update((d.name, *d.aliases))
        words.update(filter(None, [abbreviation(d.name)]))
    vocab = load_vocabulary(settings.corpus_dir)
    for section in (vocab.departments, vocab.categories):
        for name, forms in section.items():
            words.update((name, *forms))
    words.update(vocab.glossary)
    return words


@dataclass(frozen=True)
class Evidence:
    """One question's retrieval, and the answerability features of a question that needs them."""

    scores: Scores
    fused: np.ndarray
    ranked: np.ndarray  # task rows, best first
    category: str | None  # the topic a list question naming none is taken to ask about
    features: dict[str, float] | None


class PolicyBot:
    def __init__(
        self, settings: Settings, loaded: store.LoadedIndex, encoder, corpus: Corpus, calibration: Calibration | None
    ):
        """`calibration` None builds a service that cannot judge answerability: only for fitting one."""
        self.settings = settings
        self.index = loaded
        self.corpus = corpus
        self.encoder = QueryEncoder(encoder)
        self.ready = True
        self._titles = {d.id: d.title for d in corpus.documents}
        self._docs = list(corpus.documents)
        self.names, glossary = _name_matchers(corpus, settings)
        self.retriever = Retriever(loaded, self.encoder, glossary)
        rows = self.retriever.task_rows
        categories = {int(r): loaded.chunks[r].category for r in rows}
        self.answerability = Answerability(loaded, rows, categories, calibration)
        self.places = PlaceNames("\n".join(c.text for c in loaded.chunks))
        self.reader = QuestionReader(_policy_words(loaded, corpus, settings))
        self.english = load_english_names(settings.corpus_dir)
        self.browse = Browser(
            loaded, corpus, self.retriever.task_chunk, self.names.departments_any, settings.max_question_chars,
            self.names.categories,
        )
        self._answers: OrderedDict[tuple, Answer] = OrderedDict()
        self._answers_lock = threading.Lock()

    @classmethod
    def load(cls, settings: Settings, calibrated: bool = True) -> "PolicyBot":
        """The service from the built index and the prepared model; with `calibrated`, the
        answerability calibration too, which must have been made for the index's model."""
        from bot.corpus import load_corpus

        started = time.perf_counter()
        loaded = store.load(settings)
        calibration = None
        if calibrated:
            calibration = Calibration.load(settings.calibration_file)
            calibration.check(loaded.manifest["model"], int(loaded.manifest["dim"]))
        encoder = model.load(settings)
        corpus = load_corpus(settings.corpus_dir)
        bot = cls(settings, loaded, encoder, corpus, calibration)
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
        # Invisible characters out first, so they change neither the answer nor the cache key.
        q = unicodedata.normalize("NFKC", strip_invisible(question)).strip()
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

    def _cached(self, key: tuple[str, int, str]) -> Answer | None:
        with self._answers_lock:
            cached = self._answers.get(key)
            if cached is not None:
                self._answers.move_to_end(key)
            return cached

    def cached_answer(self, question: str, top_k: int = 3, system: str = "full") -> Answer | None:
        """The answer if this question, asked alone, was answered recently; never computes (cheap
        enough for an event loop). None for a question that may have parts."""
        key = self._answer_key(question, top_k, system)
        if parts.candidate_parts(key[0]):
            return None
        cached = self._cached(key)
        return None if cached is None else self._named(cached, question)

    def validate_history(self, history: object) -> list[followup.Turn]:
        """Earlier turns of the conversation, oldest first: each a question (checked like one) and
        the task numbers its answer cited."""
        if history is None:
            return []
        if not isinstance(history, (list, tuple)):
            raise InvalidInput("history must be a list of {question, tasks} turns")
        if len(history) > followup.MAX_TURNS:
            raise InvalidInput(f"history has more than {followup.MAX_TURNS} turns")
        count = len(self._docs[0].tasks) if self._docs else 0
        turns = []
        for turn in history:
            question, tasks = (turn.get("question"), turn.get("tasks", [])) if isinstance(turn, dict) else (turn, [])
            if not isinstance(tasks, (list, tuple)) or not all(
                isinstance(t, int) and not isinstance(t, bool) and 1 <= t <= count for t in tasks
            ):
                raise InvalidInput(f"history tasks must be task numbers between 1 and {count}")
            turns.append(followup.Turn(self.validate_question(question), tuple(tasks)))
        return turns

    def ask(self, question: str, top_k: int = 3, system: str = "full", history: object = None) -> Answer:
        """One question, read with the conversation's earlier turns when it leans on them, and cut
        into its parts when it asks about several things."""
        turns = self.validate_history(history)
        text, top_k, system = self._answer_key(question, top_k, system)
        if system != "full":
            return self._named(self._ask_one(text, top_k, system), question)

        def one(t: str) -> Answer:
            return self._ask_one(t, top_k, system)

        pieces = parts.candidate_parts(text)
        # A part that leans on the one before it (归谁？, 能网上办吗？) shares its subject: one question.
        if pieces and all(item or followup.form_of(piece).kind is None for piece, item in pieces):
            answers = [self._named(one(piece), piece) for piece, _ in pieces]
            if parts.accept(answers):
                lang = "en" if is_english(text) else "zh"
                return self._named(compose.combined(answers, lang), question)
        _, answer = followup.resolve(text, turns, one)
        return self._named(answer, question)

    def _named(self, answer: Answer, question: str) -> Answer:
        """Labelled with the caller's own wording of the question, with English department names."""
        english = tuple(self.english.department(d) for d in answer.departments)
        return replace(answer, question=question, departments_en=english)

    def _ask_one(self, question: str, top_k: int = 3, system: str = "full") -> Answer:
        key = self._answer_key(question, top_k, system)
        result = self._cached(key)
        if result is None:
            result = self._answer(*key)
            with self._answers_lock:
                self._answers[key] = result
                if len(self._answers) > ANSWER_CACHE_SIZE:
                    self._answers.popitem(last=False)
        # Cached without the caller's own wording of the question, which it is labelled with here.
        return replace(result, question=question)

    def _hits(self, rows, scores) -> list[TaskHit]:
        chunks = self.index.chunks
        return [compose.task_hit(chunks[r], self._titles[chunks[r].doc], float(scores[r])) for r in rows]

    def evidence(self, text: str) -> tuple[Route, Evidence | None]:
        """What the answerability decision sees for one question (None for questions answered by
        their structure): used to fit the decision on the eval set, and by _answer."""
        q = self._read(text)
        r = route(q, self.names)
        if r.instruction or r.kind in ("task_number", "out_of_scope"):
            return r, None
        return r, self._evidence(q, r)

    def _evidence(self, q: QuestionFeatures, r: Route) -> Evidence:
        scores = self.retriever.scores(q.text, q.lang)
        fused = self.retriever.fused(q.text, scores, q.lang)
        ranked = self.retriever.ranked_task_rows(fused)
        features, category = None, None
        if needs_answerability(r):
            # A list that names no topic is inferred from structure; never for another place or year.
            broad = r.kind == "content" and q.wants_list and not q.elsewhere
            category = self.answerability.dominant_category(ranked) if broad else None
            features = self.answerability.features(q, scores, fused, ranked, category)
        return Evidence(scores, fused, ranked, category, features)

    def _read(self, text: str) -> QuestionFeatures:
        """The question as read (typing slips mended) and every cue of its wording, once."""
        read = self.reader.read(text)
        malice = self.answerability.calibration.malice if self.answerability.calibration else None
        return replace(
            read_question(read),
            foreign_place=self.places.names_foreign_place(read),
            malice=malice.judge(read) if malice is not None else None,
        )

    def _answer(self, text: str, top_k: int, system: str) -> Answer:
        q = self._read(text)
        if system != "full":
            # Baselines: one ranking, no routing, no refusal.
            scores = self.retriever.scores(q.text, "zh")
            ranking = scores.lexical if system == "bm25" else scores.dense
            rows = self.retriever.ranked_task_rows(ranking)[:top_k]
            return compose.single("content", self._hits(rows, ranking), "zh", top_k)
        r = route(q, self.names)
        if r.instruction:
            return compose.refusal(list(self._titles.values()), r.lang, instruction=True)
        if r.kind == "out_of_scope":  # refused by its wording alone
            return compose.refusal(list(self._titles.values()), r.lang)
        if r.kind == "task_number":
            return self._task_number(r)
        e = self._evidence(q, r)
        confidence = None
        if e.features is not None:
            judgement = self.answerability.judge(e.features, e.scores.vector)
            confidence = round(judgement.p_answered, 4)
            in_window = e.category is not None and self.answerability.list_window(judgement.relevance)
            r = decide(r, judgement.outcome, e.category if in_window else None)
        if r.kind == "department_tasks":
            hits = [h for h in self._hits(e.ranked, e.fused) if r.department in h.departments]
            heading = f"{r.department}牵头（含共同牵头）的任务"
            en = self.english.department(r.department)
            return compose.task_list(r.kind, heading, hits, [r.department], r.lang, f"Tasks led by {en} ({r.department})", self.english)
        if r.kind == "category_tasks":
            hits = [h for h in self._hits(e.ranked, e.fused) if h.category == r.category]
            depts = list(dict.fromkeys(d for h in hits for d in h.departments))
            heading = f"{r.category}方面的任务"
            en = self.english.category(category_title(r.category))
            return compose.task_list(r.kind, heading, hits, depts, r.lang, f"Measures on {en} ({category_title(r.category)})", self.english)
        if r.kind == "out_of_scope":
            return compose.refusal(list(self._titles.values()), r.lang, confidence)
        best = self._hits(e.ranked[:top_k], e.fused)
        if r.kind == "not_stated":
            return compose.not_stated(best[0], q.text, r.lang, confidence, self.english)
        return compose.single(r.kind, best, r.lang, top_k, confidence, self.english)

    def _task_number(self, r: Route) -> Answer:
        doc = self._docs[0]
        count = len(doc.tasks)
        # Negative numbers count from the end: LAST_TASK (-1) is the last task, -2 the one before it.
        numbers = [count + 1 + n if n <= LAST_TASK else n for n in r.tasks]
        known = [n for n in numbers if (doc.id, n) in self.retriever.task_chunk]
        if not known:
            return compose.unknown_task(numbers[0], count, doc.title, r.lang)
        chunks = self.index.chunks
        hits = [compose.task_hit(chunks[self.retriever.task_chunk[(doc.id, n)]], doc.title, 1.0) for n in known]
        if len(hits) == 1:
            return compose.single("task_number", hits, r.lang, 1, names=self.english)
        return compose.numbered_tasks(hits, r.lang, self.english)
