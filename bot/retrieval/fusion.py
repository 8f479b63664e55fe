"""Score fusion for hybrid search. Pure functions over numpy arrays."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def max_normalise(scores: np.ndarray) -> np.ndarray:
    """Scale to [0, 1] by the best score; all-zero stays zero (no lexical match at all)."""
    top = float(scores.max()) if scores.size else 0.0
    return scores / top if top > 0 else np.zeros_like(scores)


def minmax(scores: np.ndarray) -> np.ndarray:
    if not scores.size:
        return scores
    lo, hi = float(scores.min()), float(scores.max())
    return (scores - lo) / (hi - lo) if hi > lo else np.zeros_like(scores)


def convex(lexical: np.ndarray, dense: np.ndarray, alpha: float) -> np.ndarray:
    """alpha * lexical + (1 - alpha) * dense, each first brought to [0, 1]."""
    return alpha * max_normalise(lexical) + (1.0 - alpha) * minmax(dense)


def rrf(*rankings: np.ndarray, k: float = 60.0) -> np.ndarray:
    """Reciprocal rank fusion of score arrays over the same items."""
    total = np.zeros_like(rankings[0], dtype=np.float64)
    for scores in rankings:
        ranks = rankdata(-np.asarray(scores, dtype=np.float64), method="min")  # ties share a rank
        total += 1.0 / (k + ranks)
    return total
