"""Scores of every chunk for one question: BM25 and dense (over the policy text and the example
questions), fused into one ranking."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.corpus.vocabulary import SurfaceMatcher
from bot.embedding.encoder import QueryEncoder
from bot.retrieval.fusion import convex
from bot.retrieval.store import LoadedIndex

# Chosen by measurement on the dev split of the eval set (README, "How the numbers were chosen").
# Weight of BM25 in the hybrid score: for Chinese questions, and for English ones, whose
# lexical side is only their glossary terms (corpus/vocabulary.yaml).
LEXICAL_WEIGHT = 0.4
ENGLISH_LEXICAL_WEIGHT = 0.3
ENGLISH_GLOSS_WEIGHT = 0.3


@dataclass(frozen=True)
class Scores:
    """One question's scores, one entry per chunk row."""

    lexical: np.ndarray
    dense: np.ndarray  # a task is as close as its policy text or its nearest example question
    policy_dense: np.ndarray  # the policy text alone
    vector: np.ndarray  # the question's embedding


class Retriever:
    def __init__(self, loaded: LoadedIndex, encoder: QueryEncoder, glossary: SurfaceMatcher):
        self.index = loaded
        self.encoder = encoder
        self.glossary = glossary
        self.task_chunk: dict[tuple[str, int], int] = {
            (c.doc, c.task): i for i, c in enumerate(loaded.chunks) if c.kind == "task"
        }
        self.task_rows = np.array(sorted(self.task_chunk.values()), dtype=np.int64)
        # The task chunk row each example question stands for.
        self._example_rows = np.array([self.task_chunk[(e.doc, e.task)] for e in loaded.examples], dtype=np.int64)

    def scores(self, question: str, lang: str = "zh") -> Scores:
        vector = self.encoder.encode(question)
        policy_dense = self.index.dense.scores(vector)[0]
        dense = policy_dense.copy()
        if self.index.example_dense is not None:
            # A task is as close as its policy text or the nearest way users ask about it.
            np.maximum.at(dense, self._example_rows, self.index.example_dense.scores(vector)[0])
        # English shares no words with the Chinese text: search lexically on its glossary terms.
        lexical_query = " ".join(self.glossary.find(question)) if lang == "en" else question
        return Scores(self.index.lexical.scores(lexical_query), dense, policy_dense, vector)

    def fused(self, question: str, scores: Scores, lang: str) -> np.ndarray:
        """The hybrid ranking score of every chunk."""
        if lang == "zh":
            return convex(scores.lexical, scores.dense, LEXICAL_WEIGHT)
        return convex(scores.lexical, self._glossed(question, scores.dense), ENGLISH_LEXICAL_WEIGHT)

    def _glossed(self, question: str, dense: np.ndarray) -> np.ndarray:
        """English ranking: blend in the similarity of its glossary terms read as a Chinese query
        (a dictionary translation), which matches the policy's own words more closely."""
        terms = " ".join(self.glossary.find(question))
        if not terms:
            return dense
        gloss = self.index.dense.scores(self.encoder.encode(terms))[0]
        return (1.0 - ENGLISH_GLOSS_WEIGHT) * dense + ENGLISH_GLOSS_WEIGHT * gloss

    def ranked_task_rows(self, scores: np.ndarray) -> np.ndarray:
        """Task chunk rows, best first (ties keep corpus order)."""
        return self.task_rows[np.argsort(-scores[self.task_rows], kind="stable")]
