"""The staff admin page: token login, the eval-question list, one add and delete round trip, the other tabs."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.conftest import shot
from tests.conftest import ADMIN_TOKEN


def _questions(live_server) -> list[dict]:
    r = httpx.get(
        f"{live_server.rstrip('/')}/api/admin/questions", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=60
    )
    r.raise_for_status()
    return r.json()["questions"]


def _login(page, live_server, token: str) -> None:
    page.goto(live_server.rstrip("/") + "/admin")
    page.locator("#token").fill(token)
    page.locator("#login-form button[type=submit]").click()


def test_login_and_list_questions(new_page, live_server, page_errors):
    page = new_page()
    _login(page, live_server, "not-the-token")
    page.locator("#login-error", has_text="令牌不正确").wait_for()
    assert page.locator("#app").is_hidden()

    page.locator("#token").fill(ADMIN_TOKEN)
    page.locator("#login-form button[type=submit]").click()
    expected = _questions(live_server)
    assert expected, "the eval set should not be empty"
    page.locator("#q-table tbody tr[data-id]").first.wait_for()
    assert page.locator("#q-table tbody tr[data-id]").count() == len(expected)
    assert page.locator("#q-count").text_content() == f"共 {len(expected)} 条"
    shot(page, "admin-questions")

    # The token lives in this tab only: a reload keeps the session.
    page.reload()
    page.locator("#q-table tbody tr[data-id]").first.wait_for()

    # Filtering by kind asks the server and shows only that kind.
    page.locator("#q-kind").select_option("out_of_scope")
    page.wait_for_function(
        "n => document.querySelectorAll('#q-table tbody tr[data-id]').length === n",
        arg=sum(q["kind"] == "out_of_scope" for q in expected),
    )

    page.locator("#tab-log").click()
    page.locator("#panel-log").wait_for(state="visible")
    page.locator("#log-table tbody tr").first.wait_for()
    page.locator("#topic-tasks li").first.wait_for()
    shot(page, "admin-log")
    page.locator("#tab-eval").click()
    page.locator("#runs-table tbody tr").first.wait_for()
    shot(page, "admin-eval")
    assert not page_errors, page_errors


def test_add_with_validation_then_delete(new_page, live_server):
    page = new_page()
    _login(page, live_server, ADMIN_TOKEN)
    page.locator("#q-table tbody tr[data-id]").first.wait_for()
    before = {q["id"] for q in _questions(live_server)}

    page.locator("#q-add").click()
    page.locator("#f-question").fill("")
    page.locator("#f-tasks-any").fill("6, 第七")
    page.locator("#editor-save").click()
    errors = page.locator("#editor-errors li").all_text_contents()
    assert any("第七" in e for e in errors) and any("问题" in e for e in errors), errors
    shot(page, "admin-editor-errors")

    page.locator("#f-question").fill("营业执照注销能网上办吗？")
    page.locator("#f-tasks-any").fill("4, 6")
    page.locator("#f-departments").fill("行政审批局")
    page.locator("#editor-save").click()
    page.locator("#notice", has_text="已新增").wait_for()
    added = [q for q in _questions(live_server) if q["id"] not in before]
    assert len(added) == 1 and added[0]["question"] == "营业执照注销能网上办吗？"
    assert added[0]["tasks_any"] == [4, 6] and added[0]["departments"] == ["行政审批局"]

    row = page.locator(f"#q-table tbody tr[data-id={added[0]['id']}]")
    row.wait_for()
    page.once("dialog", lambda d: d.accept())
    row.locator("button", has_text="删除").click()
    row.wait_for(state="detached", timeout=60_000)  # the list of 7,000 questions reloads
    assert {q["id"] for q in _questions(live_server)} == before


def _log_row(page, question: str):
    row = page.locator("#log-table tbody tr", has_text=question)
    # The log is written by a background thread: look again until the question shows up.
    for _ in range(20):
        page.locator("#tab-log").click()
        try:
            row.first.wait_for(timeout=500)
            break
        except Exception:
            page.locator("#tab-questions").click()
    return row.first


def test_promote_starts_empty_and_asks_before_the_test_split(new_page, live_server):
    question = "公司不想干了，注销流程在哪里办？"
    r = httpx.post(f"{live_server.rstrip('/')}/api/ask", json={"question": question}, timeout=60)
    assert r.status_code == 200
    before = {q["id"] for q in _questions(live_server)}

    page = new_page(width=1366, height=768)
    _login(page, live_server, ADMIN_TOKEN)
    page.locator("#q-table tbody tr[data-id]").first.wait_for()
    row = _log_row(page, question)
    row.get_by_role("button", name=f"加入评测集：{question}").click()
    dialog = page.locator("dialog#editor")
    dialog.wait_for(state="visible")
    assert question in page.locator("#editor-source").text_content()
    # Nothing of the bot's answer is pre-filled as the expected one; it is shown beside the form instead.
    assert page.locator("#f-kind").input_value() == ""
    for field in ("#f-tasks-any", "#f-tasks-all", "#f-departments", "#f-contains"):
        assert page.locator(field).input_value() == "", field
    reference = page.locator("#editor-reference")
    assert reference.is_visible() and "已回答" in reference.text_content()
    form = page.locator(".form-grid").bounding_box()
    ref = reference.bounding_box()
    assert ref["x"] + ref["width"] <= form["x"] + 1, (ref, form)  # beside it, at a desk

    # Saving without a kind says which field to fill.
    page.locator("#editor-save").click()
    assert page.locator("#f-kind").get_attribute("aria-invalid") == "true"
    assert any("题型" in e for e in page.locator("#editor-errors li").all_text_contents())

    page.locator("#f-kind").select_option("department")
    page.locator("#f-tasks-any").fill("6")
    page.locator("#f-tasks-any").dispatch_event("change")
    page.locator("#fill-departments").click()
    page.locator("#f-split").select_option("test")
    shot(page, "admin-promote-editor")
    # Declining the confirmation keeps the dialog open and saves nothing.
    messages: list[str] = []

    def dismiss(d):
        messages.append(d.message)
        d.dismiss()

    page.once("dialog", dismiss)
    page.locator("#editor-save").click()
    assert messages and "test" in messages[0]
    assert dialog.is_visible()
    assert {q["id"] for q in _questions(live_server)} == before

    page.once("dialog", lambda d: d.accept())
    page.locator("#editor-save").click()
    page.locator("#notice", has_text="已加入评测集").wait_for()
    added = [q for q in _questions(live_server) if q["id"] not in before]
    assert len(added) == 1 and added[0]["question"] == question and added[0]["split"] == "test"
    assert added[0]["tasks_any"] == [6] and added[0]["departments"][0] == "行政审批局"
    shot(page, "admin-promoted")

    # Leave the shared eval-set copy as it was.
    etag = httpx.get(
        f"{live_server.rstrip('/')}/api/admin/questions", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=60
    ).json()["etag"]
    httpx.delete(
        f"{live_server.rstrip('/')}/api/admin/questions/{added[0]['id']}",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "If-Match": etag},
        timeout=60,
    ).raise_for_status()


def test_server_errors_name_the_field_and_placeholders_are_valid(new_page, live_server):
    page = new_page(width=1366, height=768)
    _login(page, live_server, ADMIN_TOKEN)
    page.locator("#q-table tbody tr[data-id]").first.wait_for()
    before = {q["id"] for q in _questions(live_server)}
    page.locator("#q-add").click()
    page.locator("#f-question").fill("注销企业找哪个部门，能一起办税务注销吗？")
    page.locator("#f-kind").select_option("department")
    tasks_example = page.locator("#f-tasks-any").get_attribute("placeholder")
    page.locator("#f-tasks-any").fill("6")
    page.locator("#f-departments").fill("园区海关")
    page.locator("#editor-save").click()
    # The server's message, in Chinese and English, and the field it is about is marked.
    page.locator("#editor-errors li").first.wait_for()
    errors = " ".join(page.locator("#editor-errors li").all_text_contents())
    assert "部门" in errors and "department" in errors.lower(), errors
    assert page.locator("#f-departments").get_attribute("aria-invalid") == "true"
    shot(page, "admin-server-error")

    # The placeholder examples themselves are accepted for the task they illustrate (第6项).
    assert "6" in tasks_example
    example = page.locator("#f-departments").get_attribute("placeholder").removeprefix("如").strip()
    page.locator("#f-departments").fill(example)
    page.locator("#editor-save").click()
    page.locator("#notice", has_text="已新增").wait_for()
    added = [q for q in _questions(live_server) if q["id"] not in before]
    assert len(added) == 1 and added[0]["tasks_any"] == [6]
    etag = httpx.get(
        f"{live_server.rstrip('/')}/api/admin/questions", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=60
    ).json()["etag"]
    httpx.delete(
        f"{live_server.rstrip('/')}/api/admin/questions/{added[0]['id']}",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "If-Match": etag},
        timeout=60,
    ).raise_for_status()


def test_focus_after_login_and_a_log_table_that_fits_1366(new_page, live_server):
    question = "企业注销找哪个部门？"
    httpx.post(f"{live_server.rstrip('/')}/api/ask", json={"question": question}, timeout=60).raise_for_status()
    page = new_page(width=1366, height=768)
    _login(page, live_server, ADMIN_TOKEN)
    page.locator("#q-table tbody tr[data-id]").first.wait_for()
    focused = page.evaluate("() => [document.activeElement.tagName, document.activeElement.textContent]")
    assert focused[0] == "H1" and "管理后台" in focused[1], focused
    # Every row button says which question it acts on.
    first_edit = page.locator("#q-table tbody tr[data-id]").first.locator("button").first
    assert first_edit.get_attribute("aria-label").startswith("编辑：")

    row = _log_row(page, question)
    promote = row.locator("button", has_text="加入评测集")
    assert promote.get_attribute("aria-label") == f"加入评测集：{question}"
    box = promote.bounding_box()
    assert box["width"] > box["height"] and box["height"] < 32, f"button wraps: {box}"
    cells = page.locator("#log-table tbody tr").first.locator("td")
    for i in range(cells.count()):
        cell = cells.nth(i).bounding_box()
        assert cell["width"] >= 40, (i, cell)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "admin-log-1366")


@pytest.fixture(scope="module")
def small_eval_server(api_settings, policy_bot, start_server, tmp_path_factory) -> str:
    """A real app whose eval set is the first records of each kind, so a full run takes seconds."""
    from bot.evaluation import evalset
    from bot.api.app import create_app
    from bot.settings import get_settings

    records, kinds = [], set()
    for q in evalset.load_evalset(get_settings().eval_file):
        if q.kind not in kinds:
            kinds.add(q.kind)
            records.append(q)
    path = tmp_path_factory.mktemp("small-eval") / "questions.yaml"
    evalset.save_evalset(path, records)
    return start_server(create_app(api_settings(eval_file=path), bot=policy_bot)).url


def test_run_the_eval_and_open_its_report(new_page, small_eval_server, page_errors):
    page = new_page()
    _login(page, small_eval_server, ADMIN_TOKEN)
    page.locator("#tab-eval").click()
    page.locator("#runs-table tbody tr").first.wait_for()
    page.locator("#eval-run").click()
    page.locator("#notice", has_text="评测已开始").wait_for()
    open_report = page.locator("#runs-table button", has_text="查看报告").first
    open_report.wait_for(timeout=120_000)
    assert page.locator("#runs-table .summary.main").count() >= 1
    open_report.click()
    page.locator("#report").wait_for(state="visible")
    report = page.frame_locator("#report-frame")
    report.locator("h1").first.wait_for()
    # Chinese, the full system first; nothing inline for this page's CSP to refuse.
    assert report.locator("html").get_attribute("lang", timeout=5_000) in ("zh-CN", "zh")
    assert report.locator("style, [style], [data-report-style]").count() == 0
    # Styled by the admin page through the CSSOM, which CSP allows.
    cell = report.locator("td").first
    assert cell.evaluate("c => getComputedStyle(c).borderTopStyle") == "solid"
    shot(page, "admin-report")
    # No inline style reaches the page's CSP: not one refusal, and nothing else goes wrong.
    assert not page_errors, page_errors
