"""The hotline console: keyboard-driven search, task card, one-key copy of the reply, filters."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.browser.conftest import shot


def _open_console(new_page, live_server):
    base = live_server.rstrip("/")
    page = new_page(width=1280, height=800, permissions=["clipboard-read", "clipboard-write"], origin=base)
    page.goto(base + "/console")
    page.locator("#department[data-loaded]").wait_for(state="attached")
    page.locator("#category[data-loaded]").wait_for(state="attached")
    return page


def _selected_id(page) -> str:
    return page.locator(".result[aria-selected=true]").get_attribute("id")


def _task_numbers(page) -> list[int]:
    return [int(re.search(r"\d+", t).group()) for t in page.locator(".result .meta .no").all_text_contents()]


def test_keyboard_search_open_card_copy_and_close(new_page, live_server, page_errors):
    page = _open_console(new_page, live_server)
    page.locator(".status-line").click()  # focus away from the (autofocused) search field
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"

    page.keyboard.type("注销")
    page.locator(".result").first.wait_for()
    assert page.locator(".result").count() >= 2
    marks = page.locator(".result mark").all_text_contents()
    assert marks and all("注" in m or "销" in m for m in marks), marks
    assert page.locator("#status").text_content().startswith("共")

    assert _selected_id(page) == "r-0"
    page.keyboard.press("ArrowDown")
    assert _selected_id(page) == "r-1"
    page.keyboard.press("ArrowUp")
    assert _selected_id(page) == "r-0"
    page.keyboard.press("ArrowDown")
    number = _task_numbers(page)[1]

    page.keyboard.press("Enter")
    card = page.locator("#card")
    card.wait_for(state="visible")
    page.locator("#card-title", has_text=f"第{number}项").wait_for()
    task = httpx.get(f"{live_server.rstrip('/')}/api/tasks/{number}").json()
    # The read-out is the hit's own (the server's result field), naming the task and its lead.
    hit = httpx.get(f"{live_server.rstrip('/')}/api/search", params={"q": "注销", "limit": 50}).json()["results"][1]
    assert hit["task"] == number
    assert page.locator(".reply-text").text_content() == hit["reply"]
    assert f"第{number}项" in hit["reply"] and task["departments"][0] in hit["reply"]
    assert page.locator(".chip.lead").text_content().endswith(task["departments"][0])
    assert task["text"] in card.text_content()
    shot(page, "console-card")

    # Enter moved focus out of the search field, so the single-key shortcut works at once.
    page.keyboard.press("c")
    page.locator("#toast.show", has_text="已复制").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == hit["reply"]

    page.keyboard.press("Escape")
    card.wait_for(state="hidden")
    assert not page_errors, page_errors


def test_filters_narrow_the_results(new_page, live_server):
    page = _open_console(new_page, live_server)
    page.locator("#q").fill("注销")
    page.locator(".result").first.wait_for()
    everything = _task_numbers(page)

    page.locator("#department").select_option("园区税务局")
    # Functions, not expression strings: the page's CSP forbids eval.
    page.wait_for_function("n => document.querySelectorAll('.result').length < n", arg=len(everything))
    narrowed = _task_numbers(page)
    assert narrowed and set(narrowed) < set(everything)
    for deps in page.locator(".result .deps").all_text_contents():
        assert "园区税务局" in deps

    # No text, one category: the category's tasks, exactly.
    categories = httpx.get(f"{live_server.rstrip('/')}/api/categories").json()["categories"]
    category = next(c for c in categories if len(c["tasks"]) >= 3)
    page.locator("#department").select_option("")
    page.locator("#q").fill("")
    page.locator("#category").select_option(category["name"])
    page.wait_for_function(
        "n => document.querySelectorAll('.result').length === n", arg=len(category["tasks"])
    )
    assert sorted(_task_numbers(page)) == sorted(category["tasks"])
    shot(page, "console-category")


def test_no_match_is_said_plainly(new_page, live_server):
    page = _open_console(new_page, live_server)
    page.locator("#q").fill("zzzxqj")
    page.locator("#status", has_text="没有找到").wait_for()
    assert page.locator(".result").count() == 0


def _searches(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if "/api/search" in r.url else None)
    return seen


def test_customs_keyboard_flow_reads_out_a_customs_task(new_page, live_server, page_errors):
    """海关: the tasks customs leads come first; arrows move the combobox's active option; Enter + c copies it."""
    page = _open_console(new_page, live_server)
    q = page.locator("#q")
    assert q.get_attribute("role") == "combobox" and q.get_attribute("aria-controls") == "results"
    q.focus()
    page.keyboard.type("海关")
    page.locator(".result").first.wait_for()
    page.wait_for_function("() => document.querySelector('#q').getAttribute('aria-expanded') === 'true'")
    leads = page.locator(".result .dep.lead").all_text_contents()
    assert leads[0] == "园区海关", leads[:5]
    # Focus stays in the input, so the input carries aria-activedescendant, pointing at the selected option.
    assert page.evaluate("document.activeElement.id") == "q"
    assert q.get_attribute("aria-activedescendant") == _selected_id(page) == "r-0"
    page.keyboard.press("ArrowDown")
    assert q.get_attribute("aria-activedescendant") == "r-1" == _selected_id(page)
    page.keyboard.press("ArrowUp")
    assert q.get_attribute("aria-activedescendant") == "r-0"
    number = _task_numbers(page)[0]

    page.keyboard.press("Enter")
    page.locator("#card-title", has_text=f"第{number}项").wait_for()
    task = httpx.get(f"{live_server.rstrip('/')}/api/tasks/{number}").json()
    assert task["departments"][0] == "园区海关"
    page.keyboard.press("c")
    page.locator("#toast.show", has_text="已复制").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    hit = httpx.get(f"{live_server.rstrip('/')}/api/search", params={"q": "海关", "limit": 50}).json()["results"][0]
    assert copied == hit["reply"] and f"第{number}项" in copied and "园区海关" in copied
    shot(page, "console-customs")
    assert not page_errors, page_errors


def test_ime_composition_searches_once_on_commit(new_page, live_server):
    """Typing 注销 with a pinyin IME: no search per composition step, the list stays until the characters are chosen."""
    page = _open_console(new_page, live_server)
    page.locator("#q").fill("贷款")
    page.locator(".result").first.wait_for()
    shown = page.locator(".result").count()
    assert shown > 0
    page.wait_for_timeout(300)
    seen = _searches(page)
    page.locator("#q").select_text()  # the composition replaces 贷款
    cdp = page.context.new_cdp_session(page)
    for step in ["z", "zh", "zhu", "zhux", "zhuxi", "zhuxia", "zhuxiao"]:
        cdp.send("Input.imeSetComposition", {"text": step, "selectionStart": len(step), "selectionEnd": len(step)})
        page.wait_for_timeout(180)  # longer than the search debounce
        # The list of the last real query stays while the agent picks the characters.
        assert page.locator(".result").count() == shown, step
    assert page.locator("#q").input_value() == "zhuxiao"
    assert seen == [], seen
    cdp.send("Input.insertText", {"text": "注销"})
    page.wait_for_function("() => document.querySelector('#q').value === '注销'")
    page.locator(".result mark", has_text="注销").first.wait_for()
    page.wait_for_timeout(400)
    assert len(seen) == 1 and "q=%E6%B3%A8%E9%94%80" in seen[0], seen


def test_a_body_passage_reads_out_its_task_and_lead_department(new_page, live_server):
    """A passage of the plan's body is read out as an answer (task and lead department), not as a bare sentence."""
    query = "营商环境"
    page = _open_console(new_page, live_server)
    results = httpx.get(f"{live_server.rstrip('/')}/api/search", params={"q": query, "limit": 50}, timeout=60).json()
    body = [i for i, r in enumerate(results["results"]) if r.get("kind", "task" if r["task"] is not None else "body") != "task"]
    assert body, "the body passage should be among the results"
    i = body[0]
    row = results["results"][i]
    page.locator("#q").fill(query)
    page.locator(".result").nth(i).wait_for()
    assert "正文" in page.locator(".result").nth(i).locator(".meta").text_content()
    page.locator(".result").nth(i).click()
    page.locator(".reply-text").wait_for()
    reply = page.locator(".reply-text").text_content()
    assert reply.strip() != row["text"].strip(), "a raw sentence is no read-out"
    if row["task"] is not None:
        assert f"第{row['task']}项" in reply and row["departments"][0] in reply, reply
    else:
        assert "12345" in reply or any(d in reply for d in row["departments"]), reply
