"""Word coverage: how much of a question the best-matching tasks account for.

An out-of-scope question often sits close to a task on the whole yet carries words no nearby
task speaks of: a private matter asked in the terms of an enterprise one, or a service the
policy does not touch asked in the words of one it does. A question word counts as covered when
it is among the candidate tasks' own words (what BM25 indexes for them: task text, linked body
sentences, topic, departments, example questions); for Chinese, also when each of its characters
is, since synonyms and abbreviations share characters (注销/销户, 开票/发票).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from bm25s.stopwords import STOPWORDS_EN_PLUS

from bot.lexical import STOPWORDS, Tokenizer

_LATIN_WORD = re.compile(r"[a-z]+")
_ENGLISH_STOPWORDS = STOPWORDS | frozenset(STOPWORDS_EN_PLUS)


def english_words(text: str) -> list[str]:
    """Content words of English text: letters only, three or more, stopwords dropped."""
    return [w for w in _LATIN_WORD.findall(text.lower()) if len(w) > 2 and w not in _ENGLISH_STOPWORDS]


class TaskVocabulary:
    def __init__(self, tokenizer: Tokenizer, terms_by_row: Mapping[int, Iterable[str]]):
        self._tokenizer = tokenizer
        self._words = {row: frozenset(terms) for row, terms in terms_by_row.items()}
        self._characters = {row: frozenset("".join(words)) for row, words in self._words.items()}

    def question_words(self, question: str, lang: str) -> list[str]:
        return english_words(question) if lang == "en" else self._tokenizer.words(question)

    def coverage(self, question: str, lang: str, rows: Iterable[int]) -> float:
        """Share of the question's content words found among the given task rows' words (1.0
        for a question with none)."""
        words = self.question_words(question, lang)
        if not words:
            return 1.0
        rows = list(rows)
        vocabulary = frozenset().union(*(self._words[r] for r in rows))
        characters = frozenset().union(*(self._characters[r] for r in rows))
        covered = sum(
            1 for w in words if w in vocabulary or (lang == "zh" and all(ch in characters for ch in w))
        )
        return covered / len(words)
