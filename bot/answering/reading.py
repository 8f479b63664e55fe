"""Reading a question as typed: invisible characters and pasted formatting out, traditional
characters to simplified, and misspellings of the policy's own words recovered, before anything
else looks at it.

Users type with pinyin input methods and through voice input: 「公司想注消」 (注销), 「保服同2.0」
(保服通), 繁體字, 「waimai骑手」. A piece of text that is not a known word but sounds exactly like one of
the policy's own words (the same toneless pinyin) and shares a character with it is read as that
word. Near-form typos (one character wrong, another sound) are left alone: a one-character change
turns too many real words into policy words (知识产权纠纷 would become 知识产权局纷).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

import jieba
import jieba.posseg
import opencc
from pypinyin import lazy_pinyin

from bot.corpus.invisible import strip_invisible

__all__ = ["PlaceNames", "QuestionReader", "strip_invisible"]

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
# Formatting that comes along when a question is copied from a web page ("<p style=…>", "<a href=…>",
# "&lt;strong&gt;"). Only HTML's presentational elements: made-up tags ("</context>", "<admin>")
# are how text poses as instructions, and stay for the malice detector to see.
_FORMATTING = re.compile(
    r"</?(?:p|div|span|a|b|strong|em|i|u|s|br|hr|font|small|big|mark|li|ul|ol|td|tr|th|table|h[1-6]|"
    r"section|article|label|blockquote|code|pre)(?:\s+[^<>=]{1,40}=[^<>]{0,300})?\s*/?>",
    re.IGNORECASE,
)
# Only complete entities: html.unescape alone also reads legacy ones without ";" ("&reg" in "&registration").
_ENTITY = re.compile(r"&(?:[A-Za-z]{2,10}|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});")
_LATIN_RUN = re.compile(r"[A-Za-z]{4,}")
MIN_WORD = 2
MAX_WORD = 6
# jieba's dictionary holds some misspellings too, as very rare words (注消 3, 分种 3; 注销 80).
RARE_WORD = 10


def _key(word: str) -> str:
    return "".join(lazy_pinyin(word))


class QuestionReader:
    """Built once from the policy's own words (its text, department and topic names)."""

    def __init__(self, words: Iterable[str]):
        self._t2s = opencc.OpenCC("t2s")
        self.words = {w for w in words if MIN_WORD <= len(w) <= MAX_WORD and _CJK_RUN.fullmatch(w)}
        by_sound: dict[str, set[str]] = {}
        for w in self.words:
            by_sound.setdefault(_key(w), set()).add(w)
        # Only an unambiguous sound names a word.
        self._by_sound = {k: next(iter(ws)) for k, ws in by_sound.items() if len(ws) == 1}
        jieba.dt.check_initialized()
        self._dictionary = jieba.dt.FREQ

    def read(self, text: str) -> str:
        text = _FORMATTING.sub(" ", _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)).strip()
        text = unicodedata.normalize("NFKC", strip_invisible(text))
        text = self._t2s.convert(text)
        if not _CJK_RUN.search(text):
            return text
        text = _CJK_RUN.sub(lambda m: self._recover(m.group(0)), text)
        # Pinyin typed inside a Chinese question ("waimai骑手") stands for the word it spells.
        return _LATIN_RUN.sub(lambda m: self._by_sound.get(m.group(0).lower(), m.group(0)), text)

    def _is_word(self, text: str) -> bool:
        return text in self.words or self._dictionary.get(text, 0) >= RARE_WORD

    def _recover(self, run: str) -> str:
        """Replace misspelt words in one run of Chinese characters, longest first, left to right."""
        sounds = lazy_pinyin(run)  # one syllable per character
        out, i = [], 0
        while i < len(run):
            for n in range(min(MAX_WORD, len(run) - i), MIN_WORD - 1, -1):
                piece = run[i : i + n]
                if self._is_word(piece):
                    out.append(piece)
                    i += n
                    break
                fixed = self._correct(piece, "".join(sounds[i : i + n]))
                if fixed is not None:
                    out.append(fixed)
                    i += n
                    break
            else:
                out.append(run[i])
                i += 1
        return "".join(out)

    def _correct(self, piece: str, sound: str) -> str | None:
        word = self._by_sound.get(sound)
        # A homophone shares at least one character with the word it stands for (注消 / 注销).
        if word is not None and word != piece and set(word) & set(piece):
            return word
        return None


class PlaceNames:
    """Whether a question names a place the policy never names: another district, city or province
    ("苏州高新区", "昆山", "上海") points at another government's policy. Place names are found by
    jieba's part-of-speech tagger (ns)."""

    def __init__(self, policy_text: str):
        self._policy_text = policy_text

    def names_foreign_place(self, question: str) -> bool:
        if not _CJK_RUN.search(question):
            return False
        return any(
            pair.flag.startswith("ns") and len(pair.word) >= 2 and pair.word not in self._policy_text
            for pair in jieba.posseg.cut(question)
        )
