"""POST /api/ask over real HTTP: the contract, pass-through of the service's answer, and the question log."""

import random
import string
import time

import httpx
import pytest

KINDS = {"department", "content", "department_tasks", "category_tasks", "task_number", "out_of_scope"}
TITLE = "《苏州工业园区2023年营商环境建设行动方案》"


def ask(base, question, **extra):
    return httpx.post(f"{base}/api/ask", json={"question": question, **extra}, timeout=30)


FIELDS = {"id", "question", "answered", "kind", "answer", "reply", "departments", "departments_en", "citations", "confidence", "tasks"}


def check_contract(body):
    assert set(body) == FIELDS
    assert isinstance(body["id"], str) and len(body["id"]) >= 16
    assert len(body["departments_en"]) == len(body["departments"])
    assert body["tasks"] == list(dict.fromkeys(c["task"] for c in body["citations"] if c["task"] is not None))
    assert body["confidence"] is None or isinstance(body["confidence"], float)
    assert isinstance(body["answered"], bool)
    assert body["kind"] in KINDS
    assert isinstance(body["answer"], str) and body["answer"]
    assert isinstance(body["reply"], str) and body["reply"]
    assert all(isinstance(d, str) for d in body["departments"])
    for c in body["citations"]:
        assert set(c) == {"doc", "section", "task", "text", "score"}
        assert c["task"] is None or isinstance(c["task"], int)
        assert isinstance(c["score"], float)


@pytest.mark.parametrize(
    "question",
    ["企业开办可以在家门口的便民服务中心办吗？", "第6项是什么", "税务局牵头哪些任务？", "Who leads the work on cross-border trade?"],
)
def test_answer_follows_the_contract_and_equals_the_service(live_server, policy_bot, question):
    r = ask(live_server, question)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    check_contract(body)
    # The id is new for every answer handed out; everything else is the service's answer.
    expected = policy_bot.ask(question).to_dict()
    assert {k: v for k, v in body.items() if k != "id"} == {k: v for k, v in expected.items() if k != "id"}


def test_task_number_question_cites_that_task(live_server, policy_bot):
    body = ask(live_server, "第6项是什么").json()
    assert body["kind"] == "task_number"
    assert body["citations"][0]["task"] == 6
    assert body["departments"] == policy_bot.browse.task(6)["departments"]
    assert TITLE in body["reply"] and "第6项" in body["reply"]


def test_top_k_bounds_the_cited_tasks(live_server):
    # A cited task may come with its quoted body sentence, so top_k counts tasks, not citations.
    def cited_tasks(body):
        return list(dict.fromkeys(c["task"] for c in body["citations"]))

    one = ask(live_server, "企业开办可以在家门口的便民服务中心办吗？", top_k=1).json()
    five = ask(live_server, "企业开办可以在家门口的便民服务中心办吗？", top_k=5).json()
    assert len(cited_tasks(one)) == 1
    # A ceiling: related tasks are cited only when near the best one (the relevance floor).
    assert 1 <= len(cited_tasks(five)) <= 5
    assert cited_tasks(five)[0] == cited_tasks(one)[0]


def test_surrounding_whitespace_is_ignored(live_server):
    padded = ask(live_server, "  \n 第6项是什么 \t").json()
    assert padded["question"] == "第6项是什么"
    assert padded["citations"][0]["task"] == 6


def test_answers_are_not_cached_by_intermediaries(live_server):
    r = ask(live_server, "第6项是什么")
    assert r.headers["cache-control"] == "no-store"


def test_markup_in_a_question_comes_back_only_as_json_text(live_server):
    r = ask(live_server, "<script>alert(1)</script><img src=x onerror=alert(2)>企业开办找谁")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "text/html" not in r.headers["content-type"]
    assert r.json()["question"].startswith("<script>")  # data, returned as a JSON string


def test_each_question_is_logged_with_personal_data_masked(live_server, live_settings):
    # Letters only: a long run of digits would itself be masked as a card number.
    tag = "".join(random.choices(string.ascii_lowercase, k=12))
    marker = f"企业开办在哪里办理 {tag}"
    r = ask(live_server, f"我的手机13812345678，{marker}")
    assert r.status_code == 200
    auth = {"Authorization": f"Bearer {live_settings.admin_token}"}
    deadline = time.monotonic() + 10
    while True:
        items = httpx.get(f"{live_server}/api/admin/log", params={"q": tag}, headers=auth).json()["items"]
        if items or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(items) == 1
    item = items[0]
    assert "13812345678" not in item["question"]
    assert marker in item["question"]
    assert item["kind"] == r.json()["kind"]
    assert item["answered"] == r.json()["answered"]
    assert item["latency_ms"] > 0
    assert item["client"] and item["client"] != "127.0.0.1"  # pseudonymised
