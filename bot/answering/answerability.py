"""Answerability: whether the plan answers a question, states only a related measure, or does
not cover it, decided in one place from explicit features of the question and its retrieval.

The decision is learned: a multinomial logistic model over the features below (FEATURES) and the
question's own embedding, fitted on the dev split by `policybot calibrate` and read from
calibration.json beside this module (setting `calibration_file`), with the rule that chose its operating point and the figures
measured there. The service refuses a calibration made for another embedding model.

One feature is the hand-built relevance score of earlier versions (relevance_confidence): best
similarity to a task or to one of its example questions + a small bonus for lexical evidence + an
offset for short Chinese questions − penalties for question words no top task speaks of, for a
figure asked for that the best task does not state, and for a private person's own affairs.
English similarity is taken in domain-centred space (CentredSimilarity). Its constants were chosen
on the dev split (README, "How the numbers were chosen"); the list window below still reads it.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.answering.coverage import TaskVocabulary, asks_for_figure
from bot.answering.cues import FIGURE_DETAILS, QuestionFeatures
from bot.answering.malice import MaliceModel
from bot.errors import ModelError
from bot.storage import atomic_write_bytes, atomic_write_text
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
# The relevance level that separated answerable dev questions before the learned decision; the
# list window is placed around it.
RELEVANCE_LEVEL = 0.924
# A list question that names no topic ("开公司和关公司这块有哪些措施") asks for the topic its best
# matches share: when at least 2 of the top 3 tasks are in one category and the question is broad
# (confidence within [threshold - margin, threshold + upper)), not about one task in particular.
CATEGORY_VOTE_TOP = 3
CATEGORY_VOTE_MIN = 2
LIST_MARGIN = 0.03
LIST_UPPER = 0.04
OUTCOMES = ("answered", "not_stated", "out_of_scope")
# Retrieval and wording features, in the order the calibration's coefficients use.
FEATURES = (
    "relevance", "nearest", "nearest_policy_text", "nearest_centred", "dense_margin", "lexical_max",
    "lexical_margin", "fused_margin", "coverage", "asks_figure", "figure_missing", "asks_other_detail", "private",
    "other_year", "foreign_place", "illegal", "log_length", "english", "wants_list", "asks_who",
)
# Similarity to the calibration questions: the nearest answered and not answered ones, the mean of the
# three nearest of each, and the difference of the nearest two.
MEMORY_FEATURES = ("memory_refused", "memory_answered", "memory_refused_top3", "memory_answered_top3", "memory_margin")
MEMORY_TOP = 3


def memory_features(vectors: np.ndarray, memory: np.ndarray, refused: np.ndarray, skip: np.ndarray | None = None) -> np.ndarray:
    """MEMORY_FEATURES for each row of `vectors` (unit length) against a memory of unit vectors whose
    `refused` flags say which were not answered. `skip[i]`: the memory row that is question i itself,
    left out (so a question is never its own neighbour while fitting), or -1."""
    # In the memory's own dtype: promoting the memory to float64 on every ask cost more than the rest
    # of the features together.
    sims = np.atleast_2d(vectors).astype(memory.dtype, copy=False) @ memory.T
    if skip is not None:
        rows = np.flatnonzero(skip >= 0)
        sims[rows, skip[rows]] = -1.0
    out = np.empty((len(sims), len(MEMORY_FEATURES)))
    for j, side in enumerate((refused, ~refused)):
        k = min(MEMORY_TOP, int(side.sum()))
        top = np.partition(sims[:, side], -k, axis=1)[:, -k:]
        out[:, j] = top.max(axis=1)
        out[:, j + 2] = top.mean(axis=1)
    out[:, 4] = out[:, 0] - out[:, 1]
    return out


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


def _margin(values: np.ndarray) -> float:
    """Best minus second best: how clearly one task stands out."""
    top = np.partition(values, -2)[-2:]
    return float(top[1] - top[0])


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@dataclass(frozen=True)
class Calibration:
    """The fitted decision: standardisation, one coefficient row per outcome, and the threshold on
    P(answered) below which a question is not answered. `provenance` says how it was made."""

    model: str
    features: tuple[str, ...]
    embedding_dim: int  # 0 when the embedding itself is not an input
    memory: np.ndarray  # unit vectors of the calibration questions (empty: no memory features)
    memory_refused: np.ndarray  # which of them the plan does not answer
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # outcomes x inputs
    intercept: np.ndarray
    threshold: float
    review_below: float
    provenance: dict
    malice: MaliceModel | None = None  # injection / illegal detector (malice.py)

    @staticmethod
    def memory_path(path: Path) -> Path:
        return Path(path).with_suffix(".memory.npy")

    @staticmethod
    def malice_path(path: Path) -> Path:
        return Path(path).with_suffix(".malice.npy")

    @classmethod
    def load(cls, path: Path) -> "Calibration":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            refused = np.asarray(data.get("memory_refused") or [], dtype=bool)
            memory = (
                np.load(cls.memory_path(path), allow_pickle=False).astype(np.float32)
                if len(refused)
                else np.zeros((0, 0), dtype=np.float32)
            )
            if len(memory) != len(refused):
                raise ValueError(f"memory has {len(memory)} vectors for {len(refused)} labels")
            return cls(
                model=data["model"],
                features=tuple(data["features"]),
                embedding_dim=int(data["embedding_dim"]),
                memory=memory,
                memory_refused=refused,
                mean=np.asarray(data["mean"], dtype=np.float64),
                scale=np.asarray(data["scale"], dtype=np.float64),
                coef=np.asarray(data["coef"], dtype=np.float64),
                intercept=np.asarray(data["intercept"], dtype=np.float64),
                threshold=float(data["threshold"]),
                review_below=float(data["review_below"]),
                provenance=dict(data.get("provenance") or {}),
                malice=(
                    MaliceModel(
                        np.load(cls.malice_path(path), allow_pickle=False),
                        data["malice_intercept"],
                        data["malice_thresholds"],
                    )
                    if data.get("malice_thresholds")
                    else None
                ),
            )
        except FileNotFoundError as exc:
            raise ModelError(f"no answerability calibration at {exc.filename}; run `policybot calibrate`") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"answerability calibration {path} is unreadable: {exc}; run `policybot calibrate`") from None

    def check(self, model: str, dim: int) -> None:
        """Refuse a calibration made for another embedding model or another feature set."""
        if self.model != model:
            raise ModelError(
                f"the answerability calibration was made for {self.model}, but the index uses {model}: "
                "run `policybot calibrate` for this model"
            )
        if self.features != FEATURES or self.embedding_dim not in (0, dim):
            raise ModelError("the answerability calibration was made for other features: run `policybot calibrate`")
        if self.memory.size and self.memory.shape[1] != dim:
            raise ModelError("the answerability calibration's question memory has another dimension: run `policybot calibrate`")
        if len(self.mean) != self.input_size or self.coef.shape != (len(OUTCOMES), len(self.mean)):
            raise ModelError("the answerability calibration is inconsistent: run `policybot calibrate`")

    @property
    def input_size(self) -> int:
        return len(FEATURES) + (len(MEMORY_FEATURES) if self.memory.size else 0) + self.embedding_dim

    def inputs(self, features: np.ndarray, vectors: np.ndarray, skip: np.ndarray | None = None) -> np.ndarray:
        """The model's input rows: named features, memory features, then the embedding if used."""
        features, vectors = np.atleast_2d(features), np.atleast_2d(vectors).astype(np.float64)
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        parts = [features]
        if self.memory.size:
            parts.append(memory_features(vectors, self.memory, self.memory_refused, skip))
        if self.embedding_dim:
            parts.append(vectors)
        return np.hstack(parts)

    def save(self, path: Path) -> None:
        """calibration.json and, beside it, the question memory (float16)."""
        for array, target in ((self.memory, self.memory_path(path)), (self.malice and self.malice.coef, self.malice_path(path))):
            if array is not None and np.size(array):
                buffer = io.BytesIO()
                np.save(buffer, np.asarray(array).astype(np.float16), allow_pickle=False)
                atomic_write_bytes(target, buffer.getvalue())
        atomic_write_text(Path(path), self.to_json())

    def to_json(self) -> str:
        """One key a line, each value compact: readable in a diff, small on disk."""
        data = {
            "model": self.model,
            "features": list(self.features),
            "embedding_dim": self.embedding_dim,
            "threshold": round(self.threshold, 6),
            "review_below": round(self.review_below, 6),
            "provenance": self.provenance,
            "mean": self.mean.round(8).tolist(),
            "scale": self.scale.round(8).tolist(),
            "intercept": self.intercept.round(8).tolist(),
            "coef": self.coef.round(8).tolist(),
            "memory_refused": self.memory_refused.astype(int).tolist(),
            "malice_thresholds": self.malice.thresholds if self.malice else {},
            "malice_intercept": self.malice.intercept.round(8).tolist() if self.malice else [],
        }
        lines = [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in data.items()]
        return "{\n" + ",\n".join(lines) + "\n}\n"

    def probabilities(self, inputs: np.ndarray) -> np.ndarray:
        """P(outcome) for each row of inputs (features then embedding), outcomes in OUTCOMES order."""
        z = ((np.atleast_2d(inputs) - self.mean) / self.scale) @ self.coef.T + self.intercept
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class Judgement:
    outcome: str  # one of OUTCOMES
    p_answered: float
    relevance: float


class Answerability:
    """Judges whether the plan answers a question, from its features, with a fitted calibration."""

    def __init__(
        self,
        loaded: LoadedIndex,
        task_rows: np.ndarray,
        categories_by_row: dict[int, str],
        calibration: Calibration | None,
    ):
        self._task_rows = task_rows
        self._category_of = categories_by_row
        by_category: dict[str, list[int]] = {}
        for row in task_rows:
            by_category.setdefault(categories_by_row[int(row)], []).append(int(row))
        self._category_rows = {cat: np.array(rows, dtype=np.int64) for cat, rows in by_category.items()}
        self.centred = CentredSimilarity(loaded, task_rows)
        self.calibration = calibration
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

    def features(
        self, q: QuestionFeatures, scores: Scores, fused: np.ndarray, ranked_rows: np.ndarray, category: str | None
    ) -> dict[str, float]:
        """The named features of one question. `ranked_rows`: task rows best first; `category`: the
        topic a list question asks about, whose tasks then account for its words as a whole."""
        rows = self._task_rows
        centred = self.centred.nearest(scores.vector)
        raw = float(scores.dense[rows].max())
        explaining = self._category_rows[category] if category is not None else ranked_rows[:COVERAGE_TASKS]
        coverage = self.vocabulary.coverage(q.text, q.lang, explaining)
        # The figure check is on the task the answer would lead with; a list answer has none.
        figure_missing = category is None and self.vocabulary.figure_missing(q.text, q.lang, int(explaining[0]))
        lexical = scores.lexical[rows]
        relevance = relevance_confidence(
            raw if q.lang == "zh" else centred, float(lexical.max()), q.lang, len(q.text), coverage, figure_missing,
            q.private,
        )
        return {
            "relevance": relevance,
            "nearest": raw,
            "nearest_policy_text": float(scores.policy_dense[rows].max()),
            "nearest_centred": centred,
            "dense_margin": _margin(scores.dense[rows]),
            "lexical_max": float(np.log1p(lexical.max())),
            "lexical_margin": float(np.log1p(_margin(lexical))),
            "fused_margin": _margin(fused[rows]),
            "coverage": coverage,
            "asks_figure": float(asks_for_figure(q.text, q.lang)),
            "figure_missing": float(figure_missing),
            "asks_other_detail": float(any(d not in FIGURE_DETAILS for d in q.details)),
            "private": float(q.private),
            "other_year": float(q.other_year),
            "foreign_place": float(q.foreign_place),
            "illegal": float(q.illegal),
            "log_length": float(np.log(max(1, len(q.text)))),
            "english": float(q.lang == "en"),
            "wants_list": float(q.wants_list),
            "asks_who": float(q.asks_who),
        }

    def judge(self, features: dict[str, float], vector: np.ndarray) -> Judgement:
        cal = self.calibration
        if cal is None:
            raise ModelError("no answerability calibration loaded; run `policybot calibrate`")
        named = np.array([features[name] for name in FEATURES])
        p = cal.probabilities(cal.inputs(named, np.asarray(vector).reshape(1, -1)))[0]
        if p[0] >= cal.threshold:
            outcome = "answered"
        else:
            outcome = "not_stated" if p[1] >= p[2] else "out_of_scope"
        return Judgement(outcome, float(p[0]), features["relevance"])

    @property
    def review_below(self) -> float:
        """Answers under this P(answered) are worth a staff review."""
        return self.calibration.review_below if self.calibration is not None else 1.0

    def list_window(self, relevance: float) -> bool:
        """Broad enough to be a topic's list rather than one task's answer."""
        return RELEVANCE_LEVEL - LIST_MARGIN <= relevance < RELEVANCE_LEVEL + LIST_UPPER
