"""The hotline console: keyboard-driven search, task card, one-key copy of the reply, filters."""

from __future__ import annotations

import re

import httpx

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
    assert page.locator(".reply-text").text_content() == task["reply"]
    assert page.locator(".chip.lead").text_content().endswith(task["departments"][0])
    assert task["text"] in card.text_content()
    shot(page, "console-card")

    # Enter moved focus out of the search field, so the single-key shortcut works at once.
    page.keyboard.press("c")
    page.locator("#toast.show", has_text="已复制").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == task["reply"]

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
