"""Conversations over real HTTP: follow-ups read with `history`, multi-part questions, and feedback
on an answer (stored with its logged question, listed in admin)."""

import httpx
import pytest

from bot.api.app import create_app
from tests.conftest import ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def ask(base, question, history=None, **extra):
    body = {"question": question, **extra}
    if history is not None:
        body["history"] = history
    return httpx.post(f"{base}/api/ask", json=body, timeout=60)


def chain(base, questions):
    """Ask each question with the turns before it, as the widget does; the answers in order."""
    history, answers = [], []
    for question in questions:
        r = ask(base, question, history)
        assert r.status_code == 200, r.text
        body = r.json()
        answers.append(body)
        history.append({"question": question, "tasks": body["tasks"]})
    return answers


def test_a_follow_up_chain_keeps_its_subject(live_server):
    first, online, who = chain(live_server, ["企业注销找哪个部门？", "能网上办吗？", "这个找谁？"])
    assert first["tasks"][0] == 6
    # Alone, "能网上办吗" has no subject; with the thread it is about deregistration online (task 4).
    assert online["answered"] and online["tasks"][0] == 4
    assert "注销" in online["citations"][0]["text"] and "网上" in online["citations"][0]["text"]
    # "这个" is the task just discussed: its lead department.
    assert who["answered"] and who["tasks"][0] == 4 and who["departments"][0] == "行政审批局"
    assert all(a["question"] == q for a, q in zip((first, online, who), ["企业注销找哪个部门？", "能网上办吗？", "这个找谁？"]))


def test_follow_up_without_history_is_not_resolved(live_server):
    alone = ask(live_server, "这个找谁？").json()
    with_thread = ask(live_server, "这个找谁？", [{"question": "第32项是什么", "tasks": [32]}]).json()
    assert with_thread["answered"] and with_thread["tasks"] == [32] and with_thread["departments"] == ["园区海关"]
    assert alone["tasks"] != [32] or not alone["answered"]


def test_a_topic_shift_keeps_the_question(live_server):
    taxes, hr = chain(live_server, ["税务局牵头哪些任务？", "那人社局呢？"])
    assert taxes["kind"] == hr["kind"] == "department_tasks"
    assert hr["departments"] == ["人社局"] and set(hr["tasks"]) != set(taxes["tasks"])
    _, plain = chain(live_server, ["企业注销找哪个部门？", "普通注销呢？"])
    # Read as "普通注销找哪个部门": a who-question, and the task on 企业普通注销程序 (7) is cited.
    assert plain["kind"] == "department" and 7 in plain["tasks"][:2]


def test_a_follow_up_is_refused_on_its_own_merits(live_server):
    _, rate = chain(live_server, ["企业注销找哪个部门？", "那利率是多少呢？"])
    assert rate["answered"] is False and rate["kind"] in ("out_of_scope", "not_stated")


def test_a_new_question_in_a_thread_stands_alone(live_server):
    alone = ask(live_server, "企业设立登记找谁").json()
    _, in_thread = chain(live_server, ["企业注销找哪个部门？", "企业设立登记找谁"])
    assert in_thread["tasks"][0] == alone["tasks"][0] != 6


@pytest.mark.parametrize(
    "history",
    [
        "企业注销",
        [{"question": ""}],
        [{"question": "企业注销找谁", "tasks": [0]}],
        [{"question": "企业注销找谁", "tasks": ["6"]}],
        [{"question": "企业注销找谁", "tasks": [6], "answer": "x"}],
        [{"question": "企业注销找谁", "tasks": [108]}],
        [{"question": "企业注销找谁"}] * 11,
        [{"question": "长" * 501}],
    ],
)
def test_bad_history_is_422(live_server, history):
    r = ask(live_server, "能网上办吗？", history)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_input"


def test_a_multi_part_question_is_answered_part_by_part(live_server):
    body = ask(live_server, "厂房要扩建，还想了解减税和招人").json()
    parts = body["parts"]
    assert [p["question"] for p in parts] == ["厂房要扩建", "减税", "招人"]
    assert parts[0]["answered"] and parts[0]["tasks"][0] == 11  # 存量用地改扩建
    assert parts[1]["answered"] and "园区税务局" in parts[1]["departments"]
    for part in parts:
        assert {"id", "question", "answer", "reply", "kind", "departments", "departments_en", "citations", "tasks"} <= set(part)
        assert part["id"] == body["id"]
    # The top level covers every part, in order.
    assert body["tasks"] == list(dict.fromkeys(t for p in parts for t in p["tasks"]))
    assert body["departments"] == list(dict.fromkeys(d for p in parts for d in p["departments"]))
    positions = [body["answer"].index(p["question"]) for p in parts]
    assert positions == sorted(positions)


def test_a_question_with_a_comma_is_one_question(live_server):
    body = ask(live_server, "企业注销，找哪个部门？").json()
    assert "parts" not in body
    assert body["kind"] == "department" and body["tasks"][0] == 6
    # A second sentence that only asks who (or asks more about the same topic) is the same question.
    for question in ["企业注销能不能网上一次办完？哪个部门管？", "店里申请用电大概150千瓦，是走低压吗？外面接电的工程要不要我们自己找人建？"]:
        assert "parts" not in ask(live_server, question).json(), question


def test_an_enumeration_after_a_verb_of_asking_is_split(live_server):
    body = ask(live_server, "我们公司想了解检验检测、通关和贷款").json()
    leads = [p["departments"][0] for p in body["parts"]]
    assert [p["question"] for p in body["parts"]] == ["检验检测", "通关", "贷款"]
    assert leads[:2] == ["市场监管局", "园区海关"]


# ---------------------------------------------------------------- feedback


def feedback(base, body):
    return httpx.post(f"{base}/api/feedback", json=body, timeout=30)


def test_feedback_round_trip_into_admin(live_server):
    answer = ask(live_server, "企业注销找哪个部门？我的电话13912345678").json()
    r = feedback(live_server, {"id": answer["id"], "helpful": False, "comment": "没说材料，回电13912345678"})
    assert r.status_code == 201 and r.json() == {"ok": True}
    other = ask(live_server, "第32项是什么").json()
    assert feedback(live_server, {"id": other["id"], "helpful": True}).status_code == 201
    items = httpx.get(f"{live_server}/api/admin/feedback", headers=ADMIN, timeout=30).json()["items"]
    newest, older = items[0], next(i for i in items if i["id"] == answer["id"])
    assert newest["id"] == other["id"] and newest["helpful"] is True and newest["tasks"] == [32]
    assert newest["answer_kind"] == "task_number" and newest["comment"] == ""
    assert older["helpful"] is False and older["tasks"] == answer["tasks"]
    # Masked like the question: no phone number is stored.
    assert "13912345678" not in older["comment"] and "没说材料" in older["comment"]
    assert "13912345678" not in older["question"] and older["question"].startswith("企业注销找哪个部门")
    log = httpx.get(f"{live_server}/api/admin/log", headers=ADMIN, timeout=30).json()["items"]
    assert any(item["id"] == older["log_id"] and item["answer_id"] == answer["id"] for item in log)


def test_feedback_needs_admin_to_be_read(live_server):
    assert httpx.get(f"{live_server}/api/admin/feedback", timeout=30).status_code == 401


def test_feedback_on_an_unknown_answer_is_404(live_server):
    r = feedback(live_server, {"id": "no-such-answer", "helpful": True})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "body",
    [{}, {"id": "x"}, {"id": "x", "helpful": "yes"}, {"id": "", "helpful": True}, {"id": "x", "helpful": True, "comment": "长" * 501},
     {"id": "x", "helpful": True, "extra": 1}, {"id": 5, "helpful": True}],
)
def test_bad_feedback_is_422(live_server, body):
    r = feedback(live_server, body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"


def test_feedback_is_rate_limited(api_settings, policy_bot, start_server):
    base = start_server(create_app(api_settings(rate_limit_per_minute=2), bot=policy_bot)).url
    answer = ask(base, "第6项是什么").json()
    statuses = [feedback(base, {"id": answer["id"], "helpful": True}).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
