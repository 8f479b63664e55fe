"""Cues in a question's wording: task numbers, language, lists, who-questions, private matters."""

from __future__ import annotations

import pytest

from bot.answering.cues import asks_who, is_english, private_matter, read_question, task_number, wants_list


@pytest.mark.parametrize(
    "question, expected",
    [
        ("第32项是什么？", 32),
        ("第三十二条讲的什么", 32),
        ("任务清单第107项", 107),
        ("任务清单第一百零七项由谁负责", 107),
        ("第 5 项", 5),
        ("第２０项", 20),
        ("5号任务是什么", 5),
        ("序号12的事项", 12),
        ("第三十二个任务", 32),
        ("task 45", 45),
        ("What does Task No. 7 say?", 7),
        ("item #12", 12),
        ("Tell me about measure 3", 3),
    ],
)
def test_task_number_phrasings(question, expected):
    assert task_number(question) == expected


@pytest.mark.parametrize(
    "question",
    [
        "12345热线能帮我什么",
        "拨打12345",
        "2023年的营商环境方案",
        "园区给了10亿元补贴吗",
        "200千瓦以下的电力接入",
        "事项一共有多少个",
        "任务清单共107项吗",
        "第一批企业怎么申报",
        "What is the 12345 hotline number?",
        "3号楼的企业找谁",
        "#12345",
    ],
)
def test_task_number_ignores_other_numbers(question):
    assert task_number(question) is None


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Which department handles company deregistration?", True),
        ("who leads task 6", True),
        ("企业注销找哪个部门", False),
        ("全链通 is what", False),  # as many Latin letters as twice the Chinese ones: not English
        ("ok", False),  # too short to tell
        ("SIP海关", False),
    ],
)
def test_is_english(question, expected):
    assert is_english(question) is expected


@pytest.mark.parametrize(
    "question, expected",
    [
        ("经发委负责哪些任务？", True),
        ("纳税方面都有什么措施", True),
        ("列出所有任务", True),
        ("一共几项", True),
        ("list all the tasks of customs", True),
        ("Which measures are there on tax?", True),
        ("Show me all the customs clearance policies", True),
        ("I lost all my tax records", False),
        ("企业注销找哪个部门？", False),
        ("全链通平台是什么", False),
        ("How do I close my company?", False),
        # "哪些" before a procedural noun asks how to do one thing, not for a list of measures.
        ("二类医疗器械备案要交哪些材料？", False),
        ("申请需要满足哪些条件", False),
        ("跨境贸易有哪些便利措施", True),
    ],
)
def test_wants_list(question, expected):
    assert wants_list(question) is expected


@pytest.mark.parametrize(
    "question, expected",
    [
        ("企业注销找哪个部门？", True),
        ("这个事归谁管", True),
        ("谁负责招投标", True),
        ("去哪办理营业执照", True),
        ("Who is responsible for customs clearance?", True),
        ("Which department handles tax refunds?", True),
        ("全链通平台是什么", False),
        ("What is the one-stop service?", False),
    ],
)
def test_asks_who(question, expected):
    assert asks_who(question) is expected


@pytest.mark.parametrize(
    "question, lang, expected",
    [
        ("我个人征信有逾期记录，能修复吗", "zh", True),
        ("房贷断供会怎样", "zh", True),
        ("Can I file for personal bankruptcy here?", "en", True),
        ("My credit card is overdue", "en", True),
        # An enterprise's own matter, and the sole-proprietorship enterprise form.
        ("公司上了失信名单，信用怎么修复", "zh", False),
        ("想办个个人独资企业，找谁", "zh", False),
        ("Our company wants to repair its credit record", "en", False),
    ],
)
def test_private_matter(question, lang, expected):
    assert private_matter(question, lang) is expected


def test_read_question_computes_every_cue_once():
    q = read_question("经发委牵头的任务有哪些")
    assert (q.lang, q.task_number, q.wants_list, q.names_leader, q.asks_who, q.private) == ("zh", None, True, True, False, False)
    q = read_question("Who handles task 32 for my own company?")
    assert (q.lang, q.task_number, q.asks_who, q.private) == ("en", 32, True, True)
