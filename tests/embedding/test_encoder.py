"""Tests for bot/embedding/encoder.py with the real model: same vectors as the model, shared forward passes under load."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from bot.embedding.encoder import QueryEncoder

QUESTIONS = [
    "企业注销找哪个部门？",
    "如何压缩通关时间",
    "拿地即开工是什么意思",
    "人社局负责哪些任务？",
    "出口退税多久能到账",
    "How can companies apply for tax refunds online?",
    "知识产权保护有哪些措施",
    "招投标哪个部门管",
]


@pytest.fixture(scope="module")
def model(policy_bot):
    return policy_bot.encoder.model


def _reference(model, texts: list[str]) -> np.ndarray:
    """Each text encoded on its own, straight from the model."""
    return np.vstack(
        [model.encode_query([t], convert_to_numpy=True, normalize_embeddings=True) for t in texts]
    ).astype(np.float32)


def test_encode_matches_the_model(model):
    encoder = QueryEncoder(model)
    vector = encoder.encode(QUESTIONS[0])
    assert vector.shape == (384,) and vector.dtype == np.float32
    np.testing.assert_allclose(vector, _reference(model, QUESTIONS[:1])[0], atol=1e-5)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-4)


def test_repeated_text_is_served_from_the_cache(model):
    encoder = QueryEncoder(model)
    first = encoder.encode(QUESTIONS[1])
    batches = encoder.batches
    again = encoder.encode(QUESTIONS[1])
    assert encoder.batches == batches
    np.testing.assert_array_equal(again, first)


def test_encode_many_matches_the_model(model):
    encoder = QueryEncoder(model)
    np.testing.assert_allclose(encoder.encode_many(QUESTIONS[:3]), _reference(model, QUESTIONS[:3]), atol=1e-4)


def test_concurrent_calls_share_forward_passes(model):
    expected = _reference(model, QUESTIONS)
    encoder = QueryEncoder(model)
    start = threading.Barrier(len(QUESTIONS))
    results: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []

    def call(i: int) -> None:
        try:
            start.wait()
            results[i] = encoder.encode(QUESTIONS[i])
        except BaseException as exc:  # surfaced below, in the test's own thread
            errors.append(exc)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(QUESTIONS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(results) == list(range(len(QUESTIONS)))
    for i, question in enumerate(QUESTIONS):
        # Each caller gets its own text's vector (padding in a shared batch moves only rounding).
        np.testing.assert_allclose(results[i], expected[i], atol=1e-4, err_msg=question)
    assert 1 <= encoder.batches < len(QUESTIONS)


class _ThreadRecorder:
    """The real model, noting which thread runs each forward pass."""

    def __init__(self, model) -> None:
        self.model = model
        self.threads: list[str] = []

    def encode_query(self, texts, **kw):
        self.threads.append(threading.current_thread().name)
        return self.model.encode_query(texts, **kw)


def test_a_lone_caller_runs_its_own_forward_pass(model):
    recorder = _ThreadRecorder(model)
    encoder = QueryEncoder(recorder)
    vector = encoder.encode(QUESTIONS[2])
    np.testing.assert_allclose(vector, _reference(model, QUESTIONS[2:3])[0], atol=1e-5)
    assert recorder.threads == [threading.current_thread().name]  # no hand-off to the worker thread
