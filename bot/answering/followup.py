"""Follow-up questions: a question that leans on the conversation is read again with the earlier turn.

A follow-up is recognised by its form, not by a list of examples: it points back (这个找谁？, can
it be done online?), it shifts the topic and keeps the question (普通注销呢？, 那人社局呢？, what about
exports?), or it is short and has no subject of its own (能网上办吗？). Each is re-read in the ways
that form allows, with the previous turn's subject, its question or its task, and the pipeline
answers every reading; the reading it answers best is kept, and answered or refused on its own
merits. Nothing is remembered between requests: the client sends the thread.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from bot.answering.cues import asking_spans, asks_who, is_english
from bot.answering.types import Answer

MAX_TURNS = 10
# A question this short, with no marker, may still lean on the thread (能网上办吗？); longer ones
# are taken to carry their own subject.
SHORT_CHARS = 8
SHORT_WORDS = 5

_PUNCT = "？?！!。.，,；;：:、 \t"
# Pointing back at what was just discussed.
_POINTER_ZH = re.compile(r"这个|那个|这项|那项|该项|这些|那些|这事|此事|它|上述|上面(?:说|提)的|刚才(?:说|提)的")
_POINTER_EN = re.compile(r"\b(?:it|this|that|these|those|they|them)\b", re.I)
# Keeping the question and changing its topic: "(那)X呢", "what about X", "and X?".
_SHIFT_ZH = re.compile(r"^(?:那么?|那|还有|另外|而)?(?P<x>.+?)(?:呢|怎么样|如何)$")
_SHIFT_LEAD_ZH = re.compile(r"^(?:那么|那)(?!个|些|项)(?P<x>.+)$")
_SHIFT_EN = re.compile(r"^(?:and\s+)?(?:what|how)\s+about\s+(?P<x>.+)$|^and\s+(?P<y>[^?]+)$", re.I)
_LEADING_ZH = re.compile(r"^(?:那么|那|还有|另外|而且|再问一下|再问|顺便问一下|顺便问|请问)")
_TRAILING_MODAL = re.compile(r"(?:需要|要|得|能|可以|会)+$")


@dataclass(frozen=True)
class Turn:
    """An earlier turn of the conversation: its question and the tasks its answer cited."""

    question: str
    tasks: tuple[int, ...] = ()


@dataclass(frozen=True)
class Form:
    """How a question leans on the thread: `pointer` (points back), `shift` (new topic, same
    question; `topic` is the new topic), `short` (no marker, short), or None (stands alone)."""

    kind: str | None
    text: str  # the question without its pointer or shift words
    topic: str = ""


def _core(question: str) -> str:
    return question.strip(_PUNCT)


def form_of(question: str) -> Form:
    core = _core(question)
    if is_english(core):
        shifted = _SHIFT_EN.match(core)
        if shifted:
            topic = (shifted.group("x") or shifted.group("y") or "").strip(_PUNCT)
            return Form("shift", topic, topic)
        if _POINTER_EN.search(core):
            return Form("pointer", core)
        return Form("short" if len(core.split()) <= SHORT_WORDS else None, core)
    if _POINTER_ZH.search(core):
        return Form("pointer", _LEADING_ZH.sub("", _POINTER_ZH.sub("", core)))
    shifted = _SHIFT_ZH.match(core) or _SHIFT_LEAD_ZH.match(core)
    if shifted:
        rest = shifted.group("x").strip(_PUNCT)
        topic = subject(rest)
        if topic:
            return Form("shift", rest, topic)
    text = _LEADING_ZH.sub("", core)
    return Form("short" if len(core) <= SHORT_CHARS and not has_noun(subject(text)) else None, text)


_NOUN_TAGS = ("n", "nr", "ns", "nt", "nz", "vn", "eng")
_POS_LOCK = threading.Lock()


def has_noun(text: str) -> bool:
    """Whether the words left after the asking words name a thing (jieba's part-of-speech tags):
    企业开办 does, 能网上办 and 要什么 do not."""
    import jieba.posseg

    with _POS_LOCK:  # jieba's lazy initialisation is not thread-safe
        return any(w.flag in _NOUN_TAGS for w in jieba.posseg.cut(text))


def subject(question: str) -> str:
    """What a Chinese question is about: the question without its asking words."""
    core = _LEADING_ZH.sub("", _core(question))
    kept, last = [], 0
    for start, end in asking_spans(core):
        kept.append(core[last:start])
        last = end
    kept.append(core[last:])
    return _TRAILING_MODAL.sub("", _core("".join(kept)))


_ASKING_EN = frozenset(
    "who which what where when how do does did can could should would will is are was were i we my our "
    "you me us handles handle handled leads lead led responsible for in charge of the a an department "
    "office bureau agency authority to".split()
)


def english_subject(question: str) -> str:
    """What an English question is about: its words other than the asking ones."""
    return " ".join(w for w in re.findall(r"[\w'-]+", question) if w.lower() not in _ASKING_EN)


def english_frame(question: str) -> str:
    """The asking words of an English question, up to where its subject starts."""
    words = re.findall(r"[\w'-]+", question)
    kept = []
    for w in words:
        if w.lower() not in _ASKING_EN:
            break
        kept.append(w)
    return " ".join(kept)


def frame(question: str) -> str:
    """What a Chinese question asks (its asking words), the complement of its subject."""
    core = _core(question)
    return "".join(core[a:b] for a, b in asking_spans(core))


def _substitute(previous: str, topic: str) -> str | None:
    """The previous question with its subject's word that the new topic resembles replaced by the
    topic, aligned on their longest shared stretch: 出口 for 进口, 普通注销 for 企业注销."""
    prev_subject = subject(previous)
    base = previous.find(prev_subject) if prev_subject else -1
    if base < 0 or not topic:
        return None
    for size in range(min(len(prev_subject), len(topic)), 0, -1):
        for i in range(len(prev_subject) - size + 1):
            j = topic.find(prev_subject[i : i + size])
            # One shared character aligns only as the head of a two-character word (进口/出口).
            if j >= 0 and (size >= 2 or (len(topic) == 2 and j == 1)):
                start = max(0, i - j)
                end = min(len(prev_subject), start + len(topic))
                return previous[: base + start] + topic + previous[base + end :]
    return None


def readings(question: str, previous: Turn) -> list[str]:
    """The ways the question can be read with the previous turn, most literal first; [] when it
    stands alone."""
    form = form_of(question)
    if form.kind is None:
        return []
    prev = previous.question
    if is_english(form.text) or is_english(prev):
        about = english_subject(prev) if is_english(prev) else subject(prev)
        if form.kind == "shift":
            return [f"{form.topic} {english_frame(prev)}".strip(), f"{form.topic}: {_core(prev)}"]
        if form.kind == "pointer":
            return [_POINTER_EN.sub(about, form.text, count=1)]
        return [f"{form.text} ({about})"]
    out: list[str] = []
    if form.kind == "pointer":
        if previous.tasks and asks_who(form.text):
            out.append(f"第{previous.tasks[0]}项{form.text}")  # the same task: who leads it
        out.append(subject(prev) + form.text)
    elif form.kind == "shift":
        swapped = _substitute(prev, form.topic)
        if swapped:
            out.append(swapped)
        asked = frame(form.text) or frame(prev)
        out.append(form.topic + asked)
    else:
        out.append(subject(prev) + form.text)
    return [r for r in dict.fromkeys(out) if r and r != question]


def strength(answer: Answer) -> float:
    """How well a reading is answered: answered by structure 1, by the decision its confidence;
    a related measure that does not state what is asked counts a little; not covered, nothing."""
    if answer.answered:
        return 1.0 if answer.confidence is None else float(answer.confidence)
    return 0.1 if answer.kind == "not_stated" else 0.0


def resolve(question: str, history: list[Turn], answer: Callable[[str], Answer]) -> tuple[str, Answer]:
    """The reading of `question` in this thread, and its answer. Earlier follow-ups are resolved
    first, so a chain (企业注销找哪个部门？ → 能网上办吗？ → 这个找谁？) keeps its subject."""
    alone = answer(question)
    if not history:
        return question, alone
    previous = history[-1]
    if len(history) > 1 and form_of(previous.question).kind is not None:
        read, _ = resolve(previous.question, history[:-1], answer)
        previous = Turn(read, previous.tasks)
    form = form_of(question)
    candidates = readings(question, previous)
    if not candidates:
        return question, alone
    scored = [(strength(a), i, r, a) for i, (r, a) in enumerate((r, answer(r)) for r in candidates)]
    best_strength, _, best_reading, best_answer = max(scored, key=lambda s: (s[0], -s[1]))
    if form.kind == "pointer":
        return best_reading, best_answer  # "this" has no meaning alone
    # A shift or a short question keeps its own reading when that is answered as well.
    if strength(alone) >= best_strength:
        return question, alone
    return best_reading, best_answer
