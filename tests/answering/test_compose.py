"""Answer composition on hand-made tasks: not-stated replies, several numbered tasks, instruction refusals."""

from __future__ import annotations

import pytest

from bot.answering import compose
from bot.answering.types import TaskHit

TITLE = "苏州工业园区2023年营商环境建设行动方案"


def hit(number: int, text: str, departments: tuple[str, ...]) -> TaskHit:
    return TaskHit("doc", TITLE, number, "（四）金融服务", "一、… > （四）金融服务", text, departments, (), 0.9)


CREDIT = hit(23, "推广创新积分贷，引导更多银行参与使用，扩大对科技型企业的贷款规模。", ("科创委", "金融局"))


@pytest.mark.parametrize(
    "question, lang, detail",
    [
        ("创新积分贷利率是多少", "zh", "利率"),
        ("创新积分贷有哪些银行参与", "zh", "参与的银行"),
        ("申请要交什么材料", "zh", "所需材料"),
        ("What is the interest rate of the innovation points loan?", "en", "the rate"),
        ("积分贷怎么样", "zh", "您问的具体细节"),
    ],
)
def test_not_stated_says_what_the_plan_does_not_state(question, lang, detail):
    a = compose.not_stated(CREDIT, question, lang, confidence=0.1)
    assert not a.answered and a.kind == "not_stated" and a.confidence == 0.1
    assert detail in a.answer
    assert [c.task for c in a.citations] == [23] and a.departments == ("科创委", "金融局")
    # The reply names the measure, what is missing and where to ask (the hotline once); it invents no figure.
    assert a.reply.count("12345") == 1 and a.answer.count("12345") == 1
    if lang == "zh":
        assert a.reply.startswith("方案第23项提到") and "咨询科创委" in a.reply
        assert not any(ch.isdigit() for ch in a.reply.replace("12345", "").replace("第23项", ""))
    else:
        # English throughout: only the quoted measure stays Chinese.
        assert a.reply.startswith("Task 23 ") and "ask 科创委" in a.reply


def test_several_numbered_tasks_are_each_quoted_with_their_lead():
    a = compose.numbered_tasks([hit(48, "完善评估机制。", ("政法委", "经发委")), CREDIT], "zh")
    assert a.answered and a.kind == "task_number"
    assert [c.task for c in a.citations] == [48, 23]
    assert "第48项由政法委牵头" in a.reply and "第23项由科创委牵头，金融局共同负责" in a.reply
    assert a.departments == ("政法委", "经发委", "科创委", "金融局")


@pytest.mark.parametrize("lang, marker", [("zh", "不能执行指令"), ("en", "cannot follow instructions")])
def test_instructions_are_refused_plainly(lang, marker):
    a = compose.refusal([TITLE], lang, instruction=True)
    assert not a.answered and a.kind == "out_of_scope" and marker in a.answer and not a.citations
