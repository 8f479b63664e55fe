"""Tests for bot/retrieval/fusion.py: score normalisation and fusion on small hand-made arrays."""

from __future__ import annotations

import numpy as np
import pytest

from bot.retrieval.fusion import convex, max_normalise, minmax, rrf


def test_max_normalise_scales_by_the_best_score():
    out = max_normalise(np.array([0.0, 2.0, 4.0]))
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0])


@pytest.mark.parametrize("scores", [np.zeros(4), np.array([-3.0, -1.0]), np.array([], dtype=float)])
def test_max_normalise_without_positive_evidence_is_zero(scores):
    out = max_normalise(scores)
    assert out.shape == scores.shape
    assert not out.any()


def test_max_normalise_ties_and_single_element():
    np.testing.assert_allclose(max_normalise(np.array([2.0, 2.0, 1.0])), [1.0, 1.0, 0.5])
    np.testing.assert_allclose(max_normalise(np.array([3.0])), [1.0])


def test_max_normalise_leaves_its_input_alone():
    scores = np.array([1.0, 4.0])
    max_normalise(scores)
    np.testing.assert_array_equal(scores, [1.0, 4.0])


def test_minmax_spans_zero_to_one():
    np.testing.assert_allclose(minmax(np.array([1.0, 3.0, 5.0])), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(minmax(np.array([-1.0, 1.0])), [0.0, 1.0])


@pytest.mark.parametrize("scores", [np.zeros(3), np.full(3, 0.7), np.array([0.42])])
def test_minmax_of_constant_scores_is_zero(scores):
    out = minmax(scores)
    assert out.shape == scores.shape
    assert not out.any()


def test_minmax_of_empty_is_empty():
    assert minmax(np.array([], dtype=float)).size == 0


def test_convex_endpoints_are_the_normalised_inputs():
    lexical = np.array([0.0, 5.0, 10.0])
    dense = np.array([0.2, 0.8, 0.5])
    np.testing.assert_allclose(convex(lexical, dense, 1.0), max_normalise(lexical))
    np.testing.assert_allclose(convex(lexical, dense, 0.0), minmax(dense))


def test_convex_mixes_and_stays_in_unit_range():
    lexical = np.array([0.0, 5.0, 10.0])
    dense = np.array([0.2, 0.8, 0.5])
    out = convex(lexical, dense, 0.5)
    np.testing.assert_allclose(out, [0.0, 0.75, 0.75])
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_convex_with_no_lexical_match_ranks_by_dense_alone():
    dense = np.array([0.3, 0.9, 0.6])
    out = convex(np.zeros(3), dense, 0.5)
    assert list(np.argsort(-out)) == [1, 2, 0]
    np.testing.assert_allclose(out, 0.5 * minmax(dense))


def test_rrf_single_ranking_is_reciprocal_rank():
    out = rrf(np.array([0.1, 0.9, 0.5]), k=60.0)
    np.testing.assert_allclose(out, [1 / 63, 1 / 61, 1 / 62])


def test_rrf_agreeing_rankings_add_up_and_keep_the_order():
    a = np.array([3.0, 1.0, 2.0])
    b = np.array([30.0, 10.0, 20.0])
    out = rrf(a, b, k=1.0)
    np.testing.assert_allclose(out, [2 / 2, 2 / 4, 2 / 3])
    assert list(np.argsort(-out)) == [0, 2, 1]


def test_rrf_opposite_rankings_balance_out():
    a = np.array([1.0, 2.0])
    out = rrf(a, -a)
    assert out[0] == pytest.approx(out[1])


def test_rrf_single_element():
    np.testing.assert_allclose(rrf(np.array([0.0]), np.array([5.0]), k=60.0), [2 / 61])


def test_rrf_tied_scores_share_a_rank():
    tied = rrf(np.array([1.0, 1.0, 0.0]))
    assert tied[0] == pytest.approx(tied[1])
    dense = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    fused = rrf(np.zeros(5), dense)
    assert list(np.argsort(-fused, kind="stable")) == [4, 3, 2, 1, 0]
