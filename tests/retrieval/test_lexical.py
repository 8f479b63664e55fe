"""Tests for bot/retrieval/lexical.py: the jieba tokenizer, quoted-term extraction and the BM25 index on disk."""

from __future__ import annotations

import numpy as np
import pytest

from bot.retrieval.lexical import LexicalIndex, Tokenizer, corpus_terms

USER_WORDS = ["全链通", "拿地即开工", "园区税务局"]

TEXTS = [
    "积极推广应用全省企业注销“全链通”平台，通过平台“注销专区”在线申请营业执照、税务、社保、海关等注销业务。",
    "深化“拿地即开工”审批模式，推进桩基先行。",
    "进一步推广“两步申报”“提前申报”改革，巩固压缩整体通关时间工作成效。",
    "的",  # only a stopword: must keep its place in the index all the same
    "园区税务局优化出口退税服务，缩短退税办理时间。",
]


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer(USER_WORDS)


@pytest.mark.parametrize("word, text", [("全链通", TEXTS[0]), ("拿地即开工", TEXTS[1])])
def test_user_words_are_kept_whole(tokenizer, word, text):
    assert word in tokenizer(text)
    # Without the user dictionary jieba cuts the term, which is why the corpus terms are added.
    assert word not in Tokenizer()(text)


def test_stopwords_and_punctuation_are_dropped(tokenizer):
    tokens = tokenizer("请问，我们公司怎么办理注销？！The customs, please.")
    assert "注销" in tokens
    assert "customs" in tokens
    for dropped in ("请问", "我们", "公司", "怎么", "办理", "，", "？", "！", ".", "the"):
        assert dropped not in tokens
    assert all(t.strip() for t in tokens)


def test_tokens_are_lower_cased(tokenizer):
    assert tokenizer("ERP System") == ["erp", "system"]


def test_corpus_terms_from_quotes_and_title_marks():
    terms = corpus_terms(
        [
            "推广“全链通”平台，落实《优化营商环境条例》",
            "推进‘桩基先行’和“拿地即开工”",
            "过长的书名《" + "长" * 13 + "》不算",
            "单字“一”不算",
        ]
    )
    assert terms == {"全链通", "优化营商环境条例", "桩基先行", "拿地即开工"}


def test_corpus_terms_of_plain_text_is_empty():
    assert corpus_terms(["没有引号的一句话。", ""]) == set()


@pytest.fixture(scope="module")
def index(tokenizer) -> LexicalIndex:
    return LexicalIndex.build(TEXTS, tokenizer)


def test_scores_cover_every_text_and_rank_the_matching_one_first(index):
    for query, best in [("全链通注销", 0), ("拿地即开工", 1), ("通关时间", 2), ("出口退税", 4)]:
        scores = index.scores(query)
        assert scores.shape == (len(TEXTS),)
        assert int(np.argmax(scores)) == best, query
    # The stopword-only text kept its slot: nothing matches it, and ids after it did not shift.
    assert index.scores("园区税务局")[3] == 0.0


@pytest.mark.parametrize("query", ["", "请问怎么办？", "完全无关的火星文字", "xyzzy"])
def test_query_without_known_tokens_scores_zero(index, query):
    scores = index.scores(query)
    assert scores.shape == (len(TEXTS),)
    assert scores.dtype == np.float32
    assert not scores.any()


def test_save_and_load_round_trip_gives_identical_scores(index, tokenizer, tmp_path):
    index.save(tmp_path / "lexical")
    assert not list(tmp_path.rglob("*.pkl")) and not list(tmp_path.rglob("*.pickle"))
    loaded = LexicalIndex.load(tmp_path / "lexical", Tokenizer(USER_WORDS), len(TEXTS))
    assert loaded.n_docs == len(TEXTS)
    for query in ["全链通注销", "拿地即开工 桩基先行", "通关 申报", "园区税务局 退税", "xyzzy"]:
        np.testing.assert_array_equal(loaded.scores(query), index.scores(query))


def test_document_terms_are_each_texts_tokens(index, tokenizer, tmp_path):
    expected = [frozenset(tokenizer(t) or ["∅"]) for t in TEXTS]
    assert index.document_terms() == expected
    index.save(tmp_path / "lexical")
    loaded = LexicalIndex.load(tmp_path / "lexical", Tokenizer(USER_WORDS), len(TEXTS))
    assert loaded.document_terms() == expected


def test_document_terms_of_the_real_index_match_its_chunks(policy_bot):
    lexical = policy_bot.index.lexical
    terms = lexical.document_terms()
    for chunk, held in zip(policy_bot.index.chunks, terms, strict=True):
        assert held == frozenset(lexical.tokenizer(chunk.lexical_text) or ["∅"])


def test_added_words_segment_as_a_fresh_tokenizer_and_leave_the_default_dictionary_alone():
    import jieba

    from bot.evaluation.evalset import load_evalset
    from bot.settings import PROJECT_ROOT

    words = ["企业注销", "全链通", "园区海关", "拿地即开工", "综合协调局"]
    ours = Tokenizer(words)
    fresh = jieba.Tokenizer()
    for word in words:
        fresh.add_word(word, freq=50000)
    texts = [q.question.lower() for q in load_evalset(PROJECT_ROOT / "eval" / "questions.yaml")][:3000]
    differing = [t for t in texts if ours._jieba.lcut_for_search(t) != fresh.lcut_for_search(t)]
    assert not differing, differing[:3]
    assert jieba.dt.FREQ.get("全链通") != 50000 and jieba.dt.FREQ.get("拿地即开工") is None
