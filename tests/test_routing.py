"""Tests for bot/routing.py: numbers, task references, question cues and routing, on hand-written questions."""

from __future__ import annotations

import pytest

from bot.routing import (
    Route,
    SurfaceMatcher,
    asks_who,
    is_english,
    parse_chinese_number,
    private_matter,
    route,
    task_number,
    wants_list,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("107", 107),
        ("7", 7),
        ("三十二", 32),
        ("一百零七", 107),
        ("十", 10),
        ("十五", 15),
        ("二十", 20),
        ("两", 2),
        ("一百", 100),
        ("１０７", 107),  # full-width digits
        ("３２", 32),
    ],
)
def test_parse_chinese_number(text, expected):
    assert parse_chinese_number(text) == expected


@pytest.mark.parametrize("text", ["abc", "三十x", "第三", "12a"])
def test_parse_chinese_number_rejects_non_numbers(text):
    assert parse_chinese_number(text) is None


def test_parse_chinese_number_empty_is_not_a_number():
    assert parse_chinese_number("") is None


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


def test_surface_matcher_longest_form_wins():
    matcher = SurfaceMatcher({"园区海关": [], "海关总署": ["海关"]})
    assert matcher.find("园区海关负责什么") == ["园区海关"]
    assert matcher.find("海关负责什么") == ["海关总署"]


def test_surface_matcher_alias_maps_to_canonical_name_once():
    matcher = SurfaceMatcher({"园区税务局": ["税务局", "税务"], "园区海关": ["海关"]})
    assert matcher.find("税务局和海关，还有税务") == ["园区税务局", "园区海关"]
    assert matcher.find("人社局") == []


def test_surface_matcher_english_forms_need_word_boundaries():
    matcher = SurfaceMatcher({"园区海关": ["customs"], "园区": ["SIP"]})
    assert matcher.find("Where is the Customs office?") == ["园区海关"]
    assert matcher.find("customsx and gossip") == []
    assert matcher.find("SIP tax") == ["园区"]


def test_surface_matcher_normalises_full_width_text():
    matcher = SurfaceMatcher({"园区海关": ["customs"]})
    assert matcher.find("ＣＵＳＴＯＭＳ") == ["园区海关"]


@pytest.fixture
def matchers():
    departments = SurfaceMatcher({"经发委": [], "园区海关": ["海关"], "园区税务局": ["税务局"]})
    categories = SurfaceMatcher({"（五）纳税": ["纳税"], "（六）跨境贸易": ["跨境贸易", "cross-border trade"]})
    return departments, categories


@pytest.mark.parametrize(
    "question, expected",
    [
        ("第32项是什么", Route("task_number", "zh", task=32)),
        ("What does task 45 say?", Route("task_number", "en", task=45)),
        ("经发委负责哪些任务？", Route("department_tasks", "zh", department="经发委")),
        ("海关牵头的任务有哪些", Route("department_tasks", "zh", department="园区海关")),
        ("纳税方面都有什么措施", Route("category_tasks", "zh", category="（五）纳税")),
        ("What are the measures on cross-border trade?", Route("category_tasks", "en", category="（六）跨境贸易")),
        ("纳税的事找哪个部门", Route("department", "zh")),
        ("企业注销找哪个部门？", Route("department", "zh")),
        ("Who is responsible for company deregistration?", Route("department", "en")),
        ("全链通平台是什么", Route("content", "zh")),
        ("How fast is customs clearance?", Route("content", "en")),
    ],
)
def test_route_kinds(matchers, question, expected):
    assert route(question, *matchers) == expected


def test_route_list_naming_two_departments_is_not_one_departments_list(matchers):
    r = route("经发委和税务局负责哪些任务", *matchers)
    assert r.kind != "department_tasks"
    assert r.department is None


@pytest.mark.parametrize(
    "question, expected",
    [
        # A name shared by a department and a topic: a list of what it leads is the department's.
        ("市场监管这边牵头了什么任务？", Route("department_tasks", "zh", department="市场监管局")),
        ("What tasks does market regulation lead?", Route("department_tasks", "en", department="市场监管局")),
        # Without a lead cue the shared name stays the topic.
        ("市场监管方面有哪些措施", Route("category_tasks", "zh", category="（十二）市场监管")),
    ],
)
def test_route_shared_name_by_lead_cue(question, expected):
    # Mirrors the service: the plain matcher leaves out department forms that are topic names.
    departments = SurfaceMatcher({"市场监管局": ["市场监管局"]})
    any_name = SurfaceMatcher({"市场监管局": ["市场监管", "market regulation"]})
    categories = SurfaceMatcher({"（十二）市场监管": ["市场监管", "market regulation"]})
    assert route(question, departments, categories, any_name) == expected


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
