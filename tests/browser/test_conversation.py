"""The widget as a conversation, desk and phone: follow-ups carry the thread, multi-part questions are answered
part by part, lists are lists, English questions get English labels, and feedback reaches the admin page."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.conftest import DESKTOP, PHONE, ask_in_widget, shot
from tests.conftest import ADMIN_TOKEN

SIZES = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture(params=list(SIZES))
def size(request) -> tuple[str, dict]:
    return request.param, SIZES[request.param]


def _open_widget(new_page, live_server, viewport):
    page = new_page(**viewport)
    asked: list[dict] = []
    page.context.on(
        "request", lambda r: asked.append(r.post_data_json) if r.url.endswith("/api/ask") and r.method == "POST" else None
    )
    page.goto(live_server.rstrip("/") + "/")
    page.locator("policybot-widget").locator("button.btn").click()
    page.locator("policybot-widget iframe").wait_for(state="visible")
    return page, page.frame_locator("policybot-widget iframe"), asked


def _ask(frame, question: str):
    answer = ask_in_widget(frame, question)
    assert "error" not in (answer.get_attribute("class") or ""), answer.text_content()
    return answer


def test_follow_up_chain_sends_the_thread_and_is_answered(new_page, live_server, size):
    name, viewport = size
    page, frame, asked = _open_widget(new_page, live_server, viewport)
    first = _ask(frame, "企业注销找哪个部门？")
    assert "行政审批局" in first.locator(".dept.lead").text_content()
    # The lead department and the next step come before the quoted policy text.
    order = first.evaluate(
        "b => [b.querySelector('.lead-first'), b.querySelector('.next-step, .answer')].map(n => n ? "
        "n.getBoundingClientRect().top : 1e9)"
    )
    assert order[0] <= order[1], order
    assert "history" not in asked[0]

    second = _ask(frame, "能网上办吗？")
    assert "uncovered" not in second.get_attribute("class"), second.text_content()
    assert asked[1]["history"] == [{"question": "企业注销找哪个部门？", "tasks": asked[1]["history"][0]["tasks"]}]
    assert 6 in asked[1]["history"][0]["tasks"], asked[1]
    third = _ask(frame, "这个找谁")
    assert "uncovered" not in third.get_attribute("class"), third.text_content()
    assert third.locator(".dept.lead").count() == 1
    assert [h["question"] for h in asked[2]["history"]] == ["企业注销找哪个部门？", "能网上办吗？"]
    shot(page, f"widget-follow-up-{name}")

    # The thread lives for this tab: after a reload it is shown again and still sent.
    page.reload()
    page.locator("policybot-widget").locator("button.btn").click()
    frame = page.frame_locator("policybot-widget iframe")
    frame.locator(".msg.you").nth(2).wait_for()
    assert frame.locator(".msg.bot").count() == 3
    _ask(frame, "普通注销呢？")
    assert len(asked[-1]["history"]) == 3
    # 新对话 forgets it.
    frame.locator("#restart").click()
    assert frame.locator(".msg").count() == 0
    _ask(frame, "知识产权纠纷找谁调解？")
    assert "history" not in asked[-1]


def test_multi_part_question_is_answered_part_by_part(new_page, live_server, size):
    name, viewport = size
    page, frame, _ = _open_widget(new_page, live_server, viewport)
    answer = _ask(frame, "厂房要扩建，还想了解减税和招人")
    parts = answer.locator(".part")
    assert parts.count() >= 2, answer.text_content()
    titles = answer.locator(".part .part-title").all_text_contents()
    assert any("扩建" in t for t in titles), titles
    assert all(t.strip() for t in titles)
    shot(page, f"widget-multi-part-{name}")


def test_a_list_is_a_grouped_list_collapsed_past_eight(new_page, live_server, size):
    name, viewport = size
    page, frame, _ = _open_widget(new_page, live_server, viewport)
    answer = _ask(frame, "行政审批局牵头哪些任务？")
    rows = answer.locator(".task-list .row")
    total = rows.count()
    assert total > 8, answer.text_content()
    assert answer.locator(".task-list .row:visible").count() == 8
    assert answer.locator(".task-list .group-title").count() >= 2
    first = answer.locator(".task-list .row").first
    assert first.locator(".task-no").text_content().startswith("第")
    # One line per task.
    line = first.locator(".one-line").bounding_box()
    assert line["height"] < 30, line
    more = answer.locator("button.more")
    assert more.get_attribute("aria-expanded") == "false"
    shot(page, f"widget-list-{name}")
    more.click()
    assert answer.locator(".task-list .row:visible").count() == total
    assert more.get_attribute("aria-expanded") == "true"


def test_english_question_gets_english_labels(new_page, live_server, size):
    name, viewport = size
    page, frame, _ = _open_widget(new_page, live_server, viewport)
    answer = _ask(frame, "Which department handles company deregistration?")
    assert answer.get_attribute("lang") == "en"
    assert answer.locator(".dept .lead-tag").text_content() == "Lead"
    assert answer.locator(".fb-btn").all_text_contents() == ["Helpful", "Not helpful"]
    # The panel's own words follow the question's language.
    assert frame.locator("#send").text_content() == "Send"
    assert frame.locator("textarea#question").get_attribute("placeholder").startswith("Type your question")
    refusal = _ask(frame, "What is the weather like in Paris today?")
    assert refusal.locator(".badge-uncovered").text_content() == "Not covered by the plan"
    assert refusal.text_content().count("12345") == 1, refusal.text_content()
    shot(page, f"widget-english-{name}")


def _admin_get(live_server: str, path: str) -> dict:
    r = httpx.get(f"{live_server.rstrip('/')}{path}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=60)
    r.raise_for_status()
    return r.json()


def test_feedback_end_to_end_into_admin_and_promote(new_page, live_server):
    question = "注销公司要先清税吗，找谁？"
    comment = "想知道先后顺序"
    page, frame, _ = _open_widget(new_page, live_server, DESKTOP)
    answer = _ask(frame, question)
    posted: list[dict] = []
    page.context.on("request", lambda r: posted.append(r.post_data_json) if r.url.endswith("/api/feedback") else None)
    answer.locator(".fb-btn", has_text="没帮助").click()
    assert answer.locator(".fb-btn", has_text="没帮助").get_attribute("aria-pressed") == "true"
    answer.locator(".fb-comment").fill(comment)
    answer.locator(".fb-send").click()
    answer.locator(".fb-done", has_text="感谢").wait_for()
    assert posted and posted[0]["helpful"] is False and posted[0]["comment"] == comment and posted[0]["id"]
    shot(page, "widget-feedback-sent")

    items = _admin_get(live_server, "/api/admin/feedback")["items"]
    assert items[0]["question"] == question and items[0]["comment"] == comment

    admin = new_page(**DESKTOP)
    admin.goto(live_server.rstrip("/") + "/admin")
    admin.locator("#token").fill(ADMIN_TOKEN)
    admin.locator("#login-form button[type=submit]").click()
    admin.locator("#q-table tbody tr[data-id]").first.wait_for()
    admin.locator("#tab-feedback").click()
    row = admin.locator("#fb-table tbody tr").first
    row.wait_for()
    assert question in row.text_content() and comment in row.text_content() and "没帮助" in row.text_content()
    shot(admin, "admin-feedback")
    before = {q["id"] for q in _admin_get(live_server, "/api/admin/questions")["questions"]}
    admin.get_by_role("button", name=f"加入评测集：{question}").first.click()
    admin.locator("dialog#editor").wait_for(state="visible")
    # The expected answer starts empty; the bot's answer is beside it for reference.
    assert admin.locator("#f-kind").input_value() == ""
    assert admin.locator("#f-tasks-any").input_value() == "" and admin.locator("#f-departments").input_value() == ""
    assert comment in admin.locator("#editor-reference").text_content()
    admin.locator("#f-kind").select_option("department")
    admin.locator("#f-tasks-any").fill("6")
    admin.locator("#f-tasks-any").dispatch_event("change")
    admin.locator("#fill-departments").click()
    shot(admin, "admin-feedback-promote")
    admin.locator("#editor-save").click()
    admin.locator("#notice", has_text="已加入评测集").wait_for()
    added = [q for q in _admin_get(live_server, "/api/admin/questions")["questions"] if q["id"] not in before]
    assert len(added) == 1 and added[0]["question"] == question and added[0]["tasks_any"] == [6]
    etag = _admin_get(live_server, "/api/admin/questions")["etag"]
    httpx.delete(
        f"{live_server.rstrip('/')}/api/admin/questions/{added[0]['id']}",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "If-Match": etag},
        timeout=60,
    ).raise_for_status()
