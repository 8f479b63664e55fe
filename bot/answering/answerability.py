"""Answerability: whether the plan covers a question, decided in one place from explicit features
of the question and its retrieval.

Confidence = best similarity to a task or to one of its example questions + a small bonus for
lexical evidence + an offset for short Chinese questions ("开票找谁"), which share fewer words with
anything, − penalties for question words no top task speaks of, for a figure asked for that the
best task does not state, and for a private person's own affairs. Below the threshold a question
is taken as not covered by the policy. English questions are measured in domain-centred space
(CentredSimilarity), mapped onto the Chinese scale by matching answerable dev questions' 10th and
50th percentiles. Every number here was chosen on the dev split (README, "How the numbers were
chosen").
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from bot.answering.coverage import TaskVocabulary
from bot.answering.cues import QuestionFeatures
from bot.retrieval.retriever import Scores
from bot.retrieval.store import LoadedIndex

ENGLISH_SCALE = 0.273
ENGLISH_SHIFT = 0.803
SHORT_OFFSET = 0.02  # full at one character, tapering to 0 at SHORT_CHARS
SHORT_CHARS = 25
LEXICAL_BONUS = 0.02
LEXICAL_CAP = 8.0
# The penalties: COVERAGE_WEIGHT x the share of the question's words that none of its top
# COVERAGE_TASKS tasks (text and examples) contains (coverage.py); FIGURE_WEIGHT when the question
# asks for a figure that the best task's policy text does not state; PRIVATE_WEIGHT when it is
# about a private person's own affairs (cues.py).
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


class CentredSimilarity:
    """Cosine similarity after subtracting the mean of the index's own vectors (policy text and
    example questions). Raw cosine counts the phrasing English questions share ("how do I ... in
    Suzhou") as closeness; centred, out-of-scope English questions fall away from answerable
    ones (dev AUC 0.95 -> 0.99). Chinese questions keep raw cosine, which separates them better."""

    def __init__(self, loaded: LoadedIndex, task_rows: np.ndarray):
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


class Answerability:
    """Scores how surely the plan covers a question, and says whether that is enough to answer."""

    threshold = REFUSAL_THRESHOLD
    low_confidence = LOW_CONFIDENCE

    def __init__(self, loaded: LoadedIndex, task_rows: np.ndarray, categories_by_row: dict[int, str]):
        self._task_rows = task_rows
        self._category_of = categories_by_row
        by_category: dict[str, list[int]] = {}
        for row in task_rows:
            by_category.setdefault(categories_by_row[int(row)], []).append(int(row))
        self._category_rows = {cat: np.array(rows, dtype=np.int64) for cat, rows in by_category.items()}
        self.centred = CentredSimilarity(loaded, task_rows)
        terms = loaded.lexical.document_terms()
        self.vocabulary = TaskVocabulary(
            loaded.lexical.tokenizer,
            {row: terms[row] for row in task_rows},
            {row: " ".join((loaded.chunks[row].text, *loaded.chunks[row].body)) for row in task_rows},
        )

    def dominant_category(self, ranked_rows: np.ndarray) -> str | None:
        """The topic a list question is about when it names none: the category most of the
        best-matching tasks share, if they agree."""
        votes = Counter(self._category_of[int(i)] for i in ranked_rows[:CATEGORY_VOTE_TOP])
        category, count = votes.most_common(1)[0]
        return category if count >= CATEGORY_VOTE_MIN else None

    def confidence(self, q: QuestionFeatures, scores: Scores, ranked_rows: np.ndarray, category: str | None) -> float:
        """`ranked_rows`: task rows best first; `category`: the topic a list question asks about,
        whose tasks then account for its words as a whole."""
        rows = self._task_rows
        nearest = float(scores.dense[rows].max()) if q.lang == "zh" else self.centred.nearest(scores.vector)
        explaining = self._category_rows[category] if category is not None else ranked_rows[:COVERAGE_TASKS]
        coverage = self.vocabulary.coverage(q.text, q.lang, explaining)
        # The figure check is on the task the answer would lead with; a list answer has none.
        figure_missing = category is None and self.vocabulary.figure_missing(q.text, q.lang, int(explaining[0]))
        return relevance_confidence(
            nearest, float(scores.lexical[rows].max()), q.lang, len(q.text), coverage, figure_missing, q.private
        )

    def covered(self, confidence: float) -> bool:
        return confidence >= self.threshold

    def list_window(self, confidence: float) -> bool:
        """Broad enough to be a topic's list rather than one task's answer."""
        return self.threshold - LIST_MARGIN <= confidence < self.threshold + LIST_UPPER
