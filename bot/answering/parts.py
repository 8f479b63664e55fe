"""Multi-part questions: where a question asks about several things, its parts.

Splitting is conservative. A question is cut only at a sentence end, or at a comma followed by a
word that starts another request (还, 另外, 以及, also); after a verb of asking (了解, 咨询, 问问) a
short enumeration ("减税和招人") is cut into its items. A part that leans on the one before it
("…？归谁？") keeps the question whole, and whether the cut stands is decided after answering
(`accept`): only when the parts lead with different measures, so a single question with a comma
("企业注销，找哪个部门？") stays one question.
"""

from __future__ import annotations

import re

from bot.answering.cues import is_english
from bot.answering.types import Answer

MAX_PARTS = 4
MAX_ITEM_CHARS = 8

_SENTENCES = re.compile(r"[^。？！?!；;]+[。？！?!；;]*")
_CONNECTOR_ZH = r"(?:还有|另外|此外|以及|同时|顺便|并且|而且|再|还|也)"
_ASK_ZH = r"(?:想|要|需要)?(?:了解|咨询|问问|问一下|打听|请教|知道)(?:一下)?(?:关于)?"
_COMMA_SPLIT_ZH = re.compile(rf"[，,]\s*(?=(?:我们|我)?{_CONNECTOR_ZH})")
_SELF_ZH = r"(?:我们公司|我们企业|我们单位|我公司|本公司|我司|我们|我)"
_LEAD_ZH = re.compile(rf"^{_SELF_ZH}?{_CONNECTOR_ZH}*(?:想|要)?(?P<ask>{_ASK_ZH})?")
_ITEMS_ZH = re.compile(r"以及|[和、及与]")
_COMMA_SPLIT_EN = re.compile(r"[,;]\s*(?=and\s+also\b|also\b)|\s+and\s+also\s+", re.I)
_LEAD_EN = re.compile(r"^(?:and\s+)?also[,\s]+", re.I)


def _items(clause: str) -> list[str]:
    """The items of a short enumeration, or the clause itself."""
    items = [i.strip(" ，,") for i in _ITEMS_ZH.split(clause)]
    if len(items) > 1 and all(2 <= len(i) <= MAX_ITEM_CHARS for i in items):
        return items
    return [clause]


def candidate_parts(question: str) -> list[tuple[str, bool]]:
    """The parts a question may have, in order, each with whether it is an item of an enumeration
    (which names its own subject, so it is never read as a follow-up of the part before); [] when
    it has one."""
    text = question.strip()
    if is_english(text):
        pieces = [p for s in _SENTENCES.findall(text) for p in _COMMA_SPLIT_EN.split(s)]
        parts = [(_LEAD_EN.sub("", p).strip(" ,;"), False) for p in pieces]
    else:
        parts = []
        for sentence in _SENTENCES.findall(text):
            for clause in _COMMA_SPLIT_ZH.split(sentence):
                clause = clause.strip(" ，,")
                lead = _LEAD_ZH.match(clause)
                rest = clause[lead.end() :] if lead else clause
                if lead and lead.group("ask") and rest:
                    items = _items(rest.strip("。？！?!；;"))
                    parts.extend((item, len(items) > 1) for item in items)
                elif rest:
                    parts.append((rest, False))
    parts = [(p, item) for p, item in parts if len(p.strip("。？！?!；;，, ")) >= 2]
    if not 2 <= len(parts) <= MAX_PARTS:
        return []
    return parts


def accept(answers: list[Answer]) -> bool:
    """The cut stands when at least two parts find a measure of the plan (answered, or a related
    measure that does not state what is asked), one of them answered, and those parts lead with
    different tasks: then they were about different things."""
    grounded = [a for a in answers if a.answered or a.kind == "not_stated"]
    if len(grounded) < 2 or not any(a.answered for a in answers):
        return False
    leads = [a.tasks[0] for a in grounded if a.tasks]
    return len(set(leads)) == len(leads)
