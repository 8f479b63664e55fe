"""The answerability calibration: saved and loaded alike, refused when made for something else, judged by its threshold."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bot.answering.answerability import (
    FEATURES,
    MEMORY_FEATURES,
    OUTCOMES,
    Answerability,
    Calibration,
    memory_features,
)
from bot.errors import ModelError

MODEL = "multilingual-e5-small@test"


def calibration(threshold: float = 0.5, embedding_dim: int = 0, memory: int = 0, **changes) -> Calibration:
    vectors = np.eye(memory, 3 if memory else 0, dtype=np.float32)
    n = len(FEATURES) + (len(MEMORY_FEATURES) if memory else 0) + embedding_dim
    coef = np.zeros((len(OUTCOMES), n))
    coef[0, FEATURES.index("relevance")] = 4.0  # more relevant: more likely answered
    coef[1, FEATURES.index("asks_other_detail")] = 3.0  # asks a detail: not stated rather than not covered
    values = dict(
        model=MODEL, features=FEATURES, embedding_dim=embedding_dim, memory=vectors,
        memory_refused=np.arange(memory) % 2 == 1, mean=np.zeros(n), scale=np.ones(n), coef=coef,
        intercept=np.array([0.0, 0.0, 0.5]), threshold=threshold, review_below=threshold + 0.15,
        provenance={"split": "dev"},
    )
    values.update(changes)
    return Calibration(**values)


def features(relevance: float, asks_detail: bool = False) -> dict[str, float]:
    row = dict.fromkeys(FEATURES, 0.0)
    row.update(relevance=relevance, asks_other_detail=float(asks_detail))
    return row


def test_save_and_load_mirror_each_other(tmp_path):
    cal = calibration(embedding_dim=3, memory=3)
    path = tmp_path / "calibration.json"
    cal.save(path)
    again = Calibration.load(path)
    assert again.model == cal.model and again.features == FEATURES and again.embedding_dim == 3
    assert np.allclose(again.coef, cal.coef) and again.threshold == cal.threshold
    assert np.array_equal(again.memory, cal.memory) and list(again.memory_refused) == [False, True, False]
    named, vector = np.arange(len(FEATURES), dtype=float) / 10, np.array([[0.6, 0.8, 0.0]])
    x = cal.inputs(named, vector)
    assert x.shape == (1, cal.input_size)
    assert np.allclose(again.probabilities(again.inputs(named, vector)), cal.probabilities(x))
    assert np.isclose(cal.probabilities(x).sum(), 1.0)


def test_memory_features_never_count_a_question_as_its_own_neighbour():
    memory = np.eye(3)
    refused = np.array([True, False, False])
    own = memory_features(memory[:1], memory, refused)
    assert own[0, 0] == 1.0  # itself, as the nearest refused question
    skipped = memory_features(memory[:1], memory, refused, skip=np.array([0]))
    assert skipped[0, 0] == -1.0 and skipped[0, 1] == 0.0


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"model": "BAAI/bge-small-zh-v1.5"}, "made for BAAI/bge-small-zh-v1.5"),
        ({"features": FEATURES[:-1]}, "other features"),
        ({"embedding_dim": 768}, "other features"),
    ],
)
def test_a_calibration_for_something_else_is_refused(changes, message):
    with pytest.raises(ModelError, match=message):
        calibration(**changes).check(MODEL, 384)


def test_unreadable_or_missing_calibration_names_the_fix(tmp_path):
    with pytest.raises(ModelError, match="policybot calibrate"):
        Calibration.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"model": MODEL}), encoding="utf-8")
    with pytest.raises(ModelError, match="unreadable"):
        Calibration.load(bad)


def test_judgement_follows_the_threshold_and_tells_not_stated_from_not_covered():
    judge = Answerability.__new__(Answerability)  # judge() reads only the calibration
    judge.calibration = calibration(threshold=0.5)
    vector = np.zeros(384)
    assert judge.judge(features(2.0), vector).outcome == "answered"
    assert judge.judge(features(-2.0), vector).outcome == "out_of_scope"
    assert judge.judge(features(-2.0, asks_detail=True), vector).outcome == "not_stated"
    low = judge.judge(features(0.0), vector)
    assert low.outcome != "answered" and 0 < low.p_answered < 0.5


def test_the_malice_detector_is_saved_and_loaded_with_the_calibration(tmp_path):
    from bot.answering.malice import CLASSES, N_FEATURES, MaliceModel

    coef = np.zeros((len(CLASSES), N_FEATURES))
    coef[1, :10] = 1.0
    cal = calibration(malice=MaliceModel(coef, np.array([0.0, -1.0, -2.0]), {"injection": 0.7, "illegal": 0.9}))
    path = tmp_path / "calibration.json"
    cal.save(path)
    again = Calibration.load(path).malice
    assert again is not None and again.thresholds == {"injection": 0.7, "illegal": 0.9}
    assert np.allclose(again.coef, coef) and np.allclose(again.intercept, [0.0, -1.0, -2.0])
