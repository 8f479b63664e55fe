"""Lexical search: BM25 (bm25s) over jieba tokens, with a user dictionary built from the corpus."""

from __future__ import annotations

import re
import threading
from collections import ChainMap
from collections.abc import Iterable
from pathlib import Path

import bm25s
import jieba
import numpy as np
from bm25s.stopwords import STOPWORDS_CHINESE

jieba.setLogLevel(60)  # jieba prints its dictionary loading to stderr otherwise

# Words that carry the question's form, not its topic. Kept short and reviewable.
QUESTION_WORDS = frozenset(
    """
    请问 你好 您好 我们 我 我司 公司 企业 单位 咱们 这边 那边 现在 想 想要 需要 可以 能 能不能 可不可以 有没有 是否
    怎么 怎么办 怎样 如何 哪个 哪些 哪里 哪儿 什么 啥 谁 吗 呢 吧 啊 呀 哦 嘛 么 找 问 问一下 一下 下 部门 负责 管
    政策 园区 方面 相关 关于 这个 那个 事 事情 情况 帮 帮忙 办 办理 the a an of to for in on is are do does what which who
    how can i we our my and or with about any there
    """.split()
)
STOPWORDS = frozenset(STOPWORDS_CHINESE) | QUESTION_WORDS

_QUOTED = re.compile(r"[“‘\"《]([^”’\"》]{2,20})[”’\"》]")
_KEEP = re.compile(r"[\w\u4e00-\u9fff]")


def corpus_terms(texts: Iterable[str]) -> set[str]:
    """Quoted policy terms such as 全链通、拿地即开工、桩基先行, kept whole by the tokenizer."""
    terms: set[str] = set()
    for text in texts:
        for m in _QUOTED.finditer(text):
            term = m.group(1).strip()
            if term and len(term) <= 12:
                terms.add(term)
    return terms


_DEFAULT_LOCK = threading.Lock()  # jieba's lazy initialisation is not thread-safe


def _overlay_tokenizer() -> jieba.Tokenizer:
    """A jieba tokenizer that reads jieba's default dictionary in place and keeps its own additions apart.

    A second jieba.Tokenizer would load its own copy of the 350k-word dictionary (~56 MB per
    process); the questions' reader already holds the default one. Words added here go to the
    first map of the ChainMap only, so the default dictionary, and every other user of it, is
    unchanged, and this tokenizer segments exactly as a fresh one with the same words added.
    """
    with _DEFAULT_LOCK:
        jieba.dt.check_initialized()
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ = ChainMap({}, jieba.dt.FREQ)
    tokenizer.total = jieba.dt.total
    tokenizer.initialized = True
    return tokenizer


class Tokenizer:
    """jieba search-mode tokens (a word and its parts), lower-cased, stopwords and punctuation dropped."""

    def __init__(self, user_words: Iterable[str] = ()):
        self._jieba = _overlay_tokenizer()
        self._lock = threading.Lock()
        self.user_words = sorted(set(user_words))
        for word in self.user_words:
            # High frequency so jieba keeps the term whole, while search mode still yields its parts.
            self._jieba.add_word(word, freq=50000)

    def __call__(self, text: str) -> list[str]:
        with self._lock:  # jieba's lazy initialisation is not thread-safe
            words = self._jieba.lcut_for_search(text.lower())
        return _content(words)

    def words(self, text: str) -> list[str]:
        """jieba precise-mode words (no parts), filtered as above."""
        with self._lock:
            words = self._jieba.lcut(text.lower())
        return _content(words)


def _content(words: list[str]) -> list[str]:
    return [w for w in (w.strip() for w in words) if w and _KEEP.search(w) and w not in STOPWORDS]


class LexicalIndex:
    def __init__(self, tokenizer: Tokenizer, retriever: bm25s.BM25, n_docs: int):
        self.tokenizer = tokenizer
        self.retriever = retriever
        self.n_docs = n_docs

    @classmethod
    def build(cls, texts: list[str], tokenizer: Tokenizer) -> "LexicalIndex":
        retriever = bm25s.BM25()
        # A document with no tokens still needs one, or bm25s drops it and shifts every id.
        retriever.index([tokenizer(t) or ["∅"] for t in texts], show_progress=False)
        return cls(tokenizer, retriever, len(texts))

    def save(self, directory: Path) -> None:
        self.retriever.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path, tokenizer: Tokenizer, n_docs: int) -> "LexicalIndex":
        retriever = bm25s.BM25.load(str(directory), show_progress=False)
        return cls(tokenizer, retriever, n_docs)

    def document_terms(self) -> list[frozenset[str]]:
        """Each document's distinct tokens, read back from the stored BM25 matrix (a token has a
        stored score exactly where it occurs), so nothing is tokenized twice."""
        matrix = self.retriever.scores  # CSC: column t lists the documents that hold token t
        term_of = {i: t for t, i in self.retriever.vocab_dict.items()}
        per_column = np.diff(matrix["indptr"])
        columns = np.repeat(np.arange(len(per_column)), per_column)
        terms: list[set[str]] = [set() for _ in range(self.n_docs)]
        for column, doc in zip(columns.tolist(), matrix["indices"].tolist()):
            terms[doc].add(term_of[column])
        return [frozenset(t) for t in terms]

    def scores(self, query: str) -> np.ndarray:
        tokens = [t for t in self.tokenizer(query) if t in self.retriever.vocab_dict]
        if not tokens:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self.retriever.get_scores(tokens), dtype=np.float32)
