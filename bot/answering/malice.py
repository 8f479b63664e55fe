"""Malicious input: text addressed to the service (instructions, role play, orders to change data)
and requests for help breaking the law, told from ordinary questions by a model learned from the
eval set's dev split.

Character 1–3-grams of the question are hashed into a fixed-size vector (so no vocabulary is
stored) and a multinomial logistic model gives P(injection) and P(illegal). Each is refused above
its own threshold, chosen by `policybot calibrate` so that almost no ordinary dev question is
refused for it. The written class rule for instructions (cues.instructs_system) stays beside it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sklearn
from sklearn.feature_extraction.text import HashingVectorizer

CLASSES = ("benign", "injection", "illegal")
# Too short to instruct or to ask how to cheat: on the dev split no injection and 2 of 209 illegal
# requests are under 12 characters, against 17 % of the answerable questions ("task 32").
MIN_CHARS = 12
N_FEATURES = 2**16
_VECTORISER = HashingVectorizer(
    analyzer="char", ngram_range=(1, 3), n_features=N_FEATURES, alternate_sign=False, norm="l2", lowercase=True
)


def vectorise(texts: Sequence[str]):
    """Sparse rows of hashed character n-grams, the same at fitting and at serving."""
    # Parameter validation is half the cost of one short question, and the parameters are fixed above.
    with sklearn.config_context(skip_parameter_validation=True):
        return _VECTORISER.transform(list(texts))


class MaliceModel:
    def __init__(self, coef: np.ndarray, intercept: np.ndarray, thresholds: dict[str, float]):
        # Kept as N_FEATURES x len(CLASSES): sparse @ a transposed view would copy the whole
        # 65,536 x 3 matrix on every call (0.4 ms a question).
        self._coef_t = np.ascontiguousarray(np.asarray(coef, dtype=np.float32).T)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.thresholds = dict(thresholds)

    @property
    def coef(self) -> np.ndarray:
        """len(CLASSES) x N_FEATURES, as fitted and saved."""
        return self._coef_t.T

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        z = np.asarray(vectorise(texts) @ self._coef_t, dtype=np.float64) + self.intercept
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def judge(self, text: str) -> str | None:
        """"injection" or "illegal" when the question is one above its threshold, else None."""
        if len("".join(text.split())) < MIN_CHARS:
            return None
        p = self.probabilities([text])[0]
        flagged = [(p[i], name) for i, name in enumerate(CLASSES) if name in self.thresholds and p[i] >= self.thresholds[name]]
        return max(flagged)[1] if flagged else None
