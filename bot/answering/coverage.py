"""Word coverage: how much of a question the best-matching tasks account for.

An out-of-scope question often sits close to a task on the whole yet carries words no nearby
task speaks of: a private matter asked in the terms of an enterprise one, or a service the
policy does not touch asked in the words of one it does. A question word counts as covered when
it is among the candidate tasks' own words (what BM25 indexes for them: task text, linked body
sentences, topic, departments, example questions); for Chinese, also when each of its characters
is, since synonyms and abbreviations share characters (注销/销户, 开票/发票).

A question that asks for a figure (how much, how long, which deadline) is answered only by a
passage that states one. The plan states figures in a few tasks alone (10亿元, 200千瓦, 3个月内), so
"发明专利授权奖多少钱" near the patent tasks is asking for something the policy does not say.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from bm25s.stopwords import STOPWORDS_EN_PLUS

from bot.retrieval.lexical import STOPWORDS, Tokenizer

_LATIN_WORD = re.compile(r"[a-z]+")
# Asking for an amount, a duration, a date or time, a rate. Not bare 几 (几天, 几年), which in
# "电费晚交了几天" or "过几年上市" describes rather than asks.
_ASKS_FIGURE_ZH = re.compile(r"多少|多久|多长时间|几点|几号|哪天|什么时候|何时|期限|截止|起征点|税率|利率|费率|比例")
_ASKS_FIGURE_EN = re.compile(
    r"\bhow\s+(?:much|long|many|soon)\b|\bdeadline\b|\bwhat\s+(?:rate|time|date)\b|^\s*when\b"
    r"|\bwhen\s+(?:will|does|do|is|are|can|should|would)\b",
    re.I,
)
# A figure in policy text: digits other than a year, or a Chinese numeral with a unit.
_STATES_FIGURE = re.compile(
    r"(?<![0-9])(?!20[0-9]{2}年)[0-9]+|[一二两三四五六七八九十百千万]+(?:个|项|天|日|年|分钟|小时|千瓦|元|亿|万|%|成|倍)"
)
_ENGLISH_STOPWORDS = STOPWORDS | frozenset(STOPWORDS_EN_PLUS)


def english_words(text: str) -> list[str]:
    """Content words of English text: letters only, three or more, stopwords dropped."""
    return [w for w in _LATIN_WORD.findall(text.lower()) if len(w) > 2 and w not in _ENGLISH_STOPWORDS]


def asks_for_figure(question: str, lang: str) -> bool:
    return bool((_ASKS_FIGURE_EN if lang == "en" else _ASKS_FIGURE_ZH).search(question))


def states_figure(text: str) -> bool:
    return bool(_STATES_FIGURE.search(text))


class TaskVocabulary:
    def __init__(
        self,
        tokenizer: Tokenizer,
        terms_by_row: Mapping[int, Iterable[str]],
        text_by_row: Mapping[int, str],
    ):
        """`terms_by_row`: each task row's BM25 terms; `text_by_row`: the policy text it quotes."""
        self._tokenizer = tokenizer
        self._words = {row: frozenset(terms) for row, terms in terms_by_row.items()}
        self._characters = {row: frozenset("".join(words)) for row, words in self._words.items()}
        self._states_figure = {row: states_figure(text) for row, text in text_by_row.items()}

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

    def figure_missing(self, question: str, lang: str, row: int) -> bool:
        """The question asks for a figure and the task's policy text states none."""
        return asks_for_figure(question, lang) and not self._states_figure[row]
