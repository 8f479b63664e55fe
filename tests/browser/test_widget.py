"""The embeddable widget: one script tag on a host page, the chat panel in its iframe, Escape, narrow screens."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ANSWER_TIMEOUT_MS, ask_in_widget, shot

QUESTION = "企业注销找哪个部门？"
OUT_OF_SCOPE = "今天天气怎么样？"


def _button(page):
    return page.locator("policybot-widget").locator("button.btn")


def _frame(page):
    return page.frame_locator("policybot-widget iframe")


def _ask(frame, question: str):
    answer = ask_in_widget(frame, question)
    assert frame.locator(".msg.loading").count() == 0
    return answer


def _focus_is_on_widget_button(page) -> bool:
    return page.evaluate(
        """() => {
            const host = document.activeElement;
            if (!host || host.tagName !== 'POLICYBOT-WIDGET') return false;
            const inner = host.shadowRoot.activeElement;
            return !!inner && inner.classList.contains('btn');
        }"""
    )


def _button_is_on_top(page) -> bool:
    """Nothing of the host page covers the centre of the floating button."""
    box = _button(page).bounding_box()
    return page.evaluate(
        "([x, y]) => { const el = document.elementFromPoint(x, y); return !!el && el.tagName === 'POLICYBOT-WIDGET'; }",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )


@pytest.fixture(params=["demo", "hostile"])
def host_url(request, live_server):
    if request.param == "demo":
        return live_server.rstrip("/") + "/"
    return request.getfixturevalue("hostile_host")


def test_demo_page_embeds_the_widget_with_one_script_tag(new_page, live_server):
    page = new_page()
    page.goto(live_server.rstrip("/") + "/")
    scripts = page.locator("script[src]")
    assert scripts.count() == 1
    assert scripts.first.get_attribute("src") == "/widget.js"
    assert scripts.first.get_attribute("async") is not None
    _button(page).wait_for()


def test_ask_on_host_page_then_escape_returns_focus(new_page, host_url, page_errors, request):
    page = new_page()
    page.goto(host_url)
    button = _button(page)
    button.wait_for()
    vw, vh = 1280, 800
    box = button.bounding_box()
    assert box["width"] >= 40 and box["height"] >= 40, "button collapsed by host CSS"
    assert box["x"] > vw / 2 and box["y"] > vh / 2, f"button not bottom-right: {box}"
    assert _button_is_on_top(page), "a host element covers the button"

    button.click()
    iframe = page.locator("policybot-widget iframe")
    iframe.wait_for(state="visible")
    frame = _frame(page)
    assert frame.locator("#title").text_content() == "园区政策问答"
    assert frame.locator(".example").count() >= 4

    answer = _ask(frame, QUESTION)
    assert "error" not in (answer.get_attribute("class") or ""), answer.text_content()
    chips = answer.locator(".dept")
    assert any("行政审批局" in t for t in chips.all_text_contents()), chips.all_text_contents()
    assert "牵头" in answer.locator(".dept.lead").first.text_content()
    # The policy is quoted with its task number, and each passage is shown once, not again as a citation.
    said = answer.text_content()
    quote = re.search(r"「([^」]*注销[^」]*)」", said)
    assert quote and re.search(r"第\d+项", said), said
    assert said.count(quote.group(1)[:20]) == 1, said
    shot(page, f"widget-answer-{request.node.callspec.id}")

    # Escape inside the frame: the frame tells the host page, which closes and refocuses the button.
    frame.locator("textarea#question").press("Escape")
    iframe.wait_for(state="hidden")
    assert button.get_attribute("aria-expanded") == "false"
    assert _focus_is_on_widget_button(page)

    # Escape with focus in the host page closes it too.
    button.click()
    iframe.wait_for(state="visible")
    button.focus()
    page.keyboard.press("Escape")
    iframe.wait_for(state="hidden")
    assert _focus_is_on_widget_button(page)
    assert not page_errors, page_errors


def test_out_of_scope_question_shows_not_covered_with_12345(new_page, live_server):
    page = new_page()
    page.goto(live_server.rstrip("/") + "/")
    _button(page).click()
    answer = _ask(_frame(page), OUT_OF_SCOPE)
    assert "uncovered" in answer.get_attribute("class"), answer.text_content()
    assert "政策未涉及" in answer.text_content()
    # The hotline once, as a link to call (the refusal's own words carry it; no second line repeats it).
    assert answer.text_content().count("12345") == 1, answer.text_content()
    assert answer.locator("a[href='tel:12345']").count() == 1
    assert answer.locator(".cite").count() == 0
    shot(page, "widget-not-covered")


def test_example_chip_asks_and_input_limits(new_page, live_server):
    page = new_page()
    page.goto(live_server.rstrip("/") + "/")
    _button(page).click()
    frame = _frame(page)
    frame.locator("html[data-ready]").wait_for(state="attached")
    box = frame.locator("textarea#question")
    box.fill("第一行")
    box.press("Shift+Enter")
    box.type("第二行")
    assert box.input_value() == "第一行\n第二行", "Shift+Enter must insert a newline, not send"
    assert frame.locator(".msg.you").count() == 0
    box.fill("长" * 600)
    assert len(box.input_value()) == 500
    assert frame.locator("#counter").text_content() == "500/500"
    box.fill("")
    frame.locator(".example", has_text="知识产权纠纷找谁调解？").click()
    assert frame.locator(".msg.you").first.text_content() == "知识产权纠纷找谁调解？"
    frame.locator(".msg.bot:not(.loading)").last.wait_for(timeout=ANSWER_TIMEOUT_MS)


def test_panel_fits_a_360px_screen(new_page, live_server):
    page = new_page(width=360, height=740)
    page.goto(live_server.rstrip("/") + "/")
    _button(page).click()
    iframe = page.locator("policybot-widget iframe")
    iframe.wait_for(state="visible")
    box = iframe.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0
    assert box["x"] + box["width"] <= 360 + 0.5 and box["y"] + box["height"] <= 740 + 0.5, box
    assert box["width"] >= 320, box
    frame = _frame(page)
    for selector in ("textarea#question", "#send", "#close"):
        inner = frame.locator(selector).bounding_box()
        assert inner["x"] >= 0 and inner["x"] + inner["width"] <= 360 + 0.5, (selector, inner)
        assert inner["y"] + inner["height"] <= 740 + 0.5, (selector, inner)
    answer = _ask(frame, QUESTION)
    assert answer.locator(".dept").count() >= 1
    # The page must not scroll sideways inside the frame.
    assert frame.locator("body").evaluate("b => b.scrollWidth <= b.clientWidth + 1")
    shot(page, "widget-360px")
    frame.locator("#close").click()
    iframe.wait_for(state="hidden")
    assert _focus_is_on_widget_button(page)


def test_rate_limited_question_says_so_in_chinese(new_page, api_settings, policy_bot, start_server):
    from bot.api.app import create_app

    server = start_server(create_app(api_settings(rate_limit_per_minute=1), bot=policy_bot))
    page = new_page()
    page.goto(server.url + "/")
    _button(page).click()
    frame = _frame(page)
    first = _ask(frame, QUESTION)
    assert "error" not in first.get_attribute("class")
    second = _ask(frame, "知识产权纠纷找谁调解？")
    assert "error" in second.get_attribute("class")
    assert "提问太频繁" in second.text_content()
    assert second.locator("button.retry").is_visible()
    shot(page, "widget-rate-limited")
