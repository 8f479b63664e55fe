"""Cues in a question's wording, read once per question: language, a task number, a list, who, a private matter."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.answering.types import Lang
from bot.corpus.numerals import parse_chinese_number

_NUM = r"[0-9]+|[零〇一二两三四五六七八九十百]+"
_TASK_NUMBER_ZH = re.compile(rf"第\s*({_NUM})\s*(?:项|条|号|个任务|个事项)|([0-9]+)\s*号(?:任务|事项)|(?:任务|事项|序号)\s*(?:清单)?\s*(?:第|编号|序号|#)?\s*([0-9]+)\s*(?:项|条|号)?(?![0-9])")
_TASK_NUMBER_EN = re.compile(r"\b(?:task|item|measure|entry|no\.?|number)\s*(?:no\.?|number|#)?\s*#?\s*(\d{1,4})\b|#\s*(\d{1,4})\b", re.I)

# Cues that the caller wants a whole list rather than one answer ("要交哪些材料" asks about a
# procedure, not for a list of measures).
_LIST_ZH = re.compile(r"哪些(?!材料|资料|证件|证明|手续|条件|文件|费用|步骤|流程|要求)|(?:负责|牵头|承担)的(?:任务|工作|事项|事情)|都有(?:啥|什么)|有(?:啥|什么)(?:措施|举措|政策|任务|工作|事项|内容)|(?:负责|牵头|管|承担)(?:了)?(?:什么|啥|哪)|全部|所有|列(?:一下|出)|一共|几项|多少项")
_LIST_EN = re.compile(r"\b(?:which|what)\s+(?:tasks|measures|items|things|policies|actions)\b|\blist\b|\ball\s+(?:the\s+)?(?:[\w-]+\s+){0,3}?(?:tasks|measures|policies|actions)\b|\bresponsible\s+for\s+(?:what|which)\b|\bwhat\s+(?:does|do|is)\b.*\b(?:lead|handle|responsible|in charge)\b|\bmeasures\s+(?:on|for|about)\b|\b(?:what|which)\s+(?:are|were)\s+the\b.*\b(?:measures|tasks|policies|actions|items)\b", re.I)
# Cues that the list is of what someone leads: a name here is a department even if a topic shares it.
_LEAD_ZH = re.compile(r"(?:牵头|负责|承担)(?:了)?(?:的)?(?:任务|工作|事项|事情|什么|啥|哪)")
_LEAD_EN = re.compile(r"\b(?:lead|leads|led|responsible|in charge)\b", re.I)
# Cues that the question is about a private person's own affairs (credit card, mortgage, personal
# pension or bankruptcy), which the plan, written for enterprises, does not cover even where an
# enterprise task shares the words (信用修复, 破产, 年金). 个人独资企业 is an enterprise form.
_PRIVATE_ZH = re.compile(r"个人(?!独资)|私人|信用卡|房贷|车贷|网贷")
_PRIVATE_EN = re.compile(
    r"\bpersonal(?:ly)?\b|\bmy\s+own\b|\bmy\s+(?:wife|husband|kids?|children|child's|family|parents)\b"
    r"|\bcredit\s+cards?\b|\bmortgages?\b",
    re.I,
)
# Cues that the caller wants to know who is responsible.
_WHO_ZH = re.compile(r"哪个部门|哪些部门|哪几个部门|什么部门|哪个单位|哪个局|哪家|找谁|找哪|归谁|谁(?:来)?(?:负责|管|牵头|办|受理|处理)|谁家|哪(?:里|儿)(?:办|问|申请|咨询)|去哪|部门是|牵头部门|主管部门")
_WHO_EN = re.compile(r"\bwho\b|\bwhich\s+(?:department|office|bureau|agency|authority)\b|\bwhere\s+(?:do|can|should)\b|\bresponsible\b|\bin\s+charge\b|\bcontact\b", re.I)


def is_english(question: str) -> bool:
    cjk = sum(1 for ch in question if "\u4e00" <= ch <= "\u9fff")
    latin = sum(1 for ch in question if ch.isascii() and ch.isalpha())
    return latin > 2 * cjk and latin >= 3


def task_number(question: str) -> int | None:
    q = unicodedata.normalize("NFKC", question)
    for pattern in (_TASK_NUMBER_ZH, _TASK_NUMBER_EN):
        m = pattern.search(q)
        if m:
            raw = next(g for g in m.groups() if g)
            return parse_chinese_number(raw)
    return None


def wants_list(question: str) -> bool:
    return bool(_LIST_ZH.search(question) or _LIST_EN.search(question))


def private_matter(question: str, lang: str) -> bool:
    return bool((_PRIVATE_EN if lang == "en" else _PRIVATE_ZH).search(question))


def asks_who(question: str) -> bool:
    return bool(_WHO_ZH.search(question) or _WHO_EN.search(question))


def leads_cue(question: str) -> bool:
    """The list asked for is of what someone leads ("X牵头的工作", "what does X lead")."""
    return bool(_LEAD_ZH.search(question) or _LEAD_EN.search(question))


@dataclass(frozen=True)
class QuestionFeatures:
    """What the wording of one question says, computed once and read by every later step."""

    text: str
    lang: Lang
    task_number: int | None
    wants_list: bool
    asks_who: bool
    names_leader: bool
    private: bool


def read_question(question: str) -> QuestionFeatures:
    lang: Lang = "en" if is_english(question) else "zh"
    return QuestionFeatures(
        text=question,
        lang=lang,
        task_number=task_number(question),
        wants_list=wants_list(question),
        asks_who=asks_who(question),
        names_leader=leads_cue(question),
        private=private_matter(question, lang),
    )
