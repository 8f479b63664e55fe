"""Every class of bad input gets a 4xx JSON error that names the problem — never a 5xx or a traceback."""

import json

import httpx
import pytest


def assert_error(r, status, code=None, mentions=None):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    error = r.json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code
    if mentions:
        assert mentions in json.dumps(error, ensure_ascii=False)
    assert "Traceback" not in r.text
    return error


@pytest.mark.parametrize(
    "body, mentions",
    [
        ({"question": ""}, "question"),
        ({"question": "   \n\t　 "}, "question"),  # including an ideographic space
        ({"question": 123}, "question"),
        ({"question": None}, "question"),
        ({"question": ["第6项"]}, "question"),
        ({"question": {"text": "第6项"}}, "question"),
        ({}, "question"),
        ({"q": "第6项是什么"}, "question"),
        ({"question": "第6项是什么", "top_k": 0}, "top_k"),
        ({"question": "第6项是什么", "top_k": 21}, "top_k"),
        ({"question": "第6项是什么", "top_k": "3"}, "top_k"),
        ({"question": "第6项是什么", "top_k": 2.5}, "top_k"),
        ({"question": "第6项是什么", "top_k": True}, "top_k"),
        ([], None),
        ("第6项是什么", None),
    ],
)
def test_bad_ask_bodies_are_422(live_server, body, mentions):
    r = httpx.post(f"{live_server}/api/ask", json=body)
    error = assert_error(r, 422, "invalid_input", mentions)
    if mentions:
        assert any(mentions in d["loc"] for d in error["details"])


def test_question_over_the_limit_is_422(live_server, live_settings):
    limit = live_settings.max_question_chars
    ok = httpx.post(f"{live_server}/api/ask", json={"question": "企" * limit}, timeout=30)
    assert ok.status_code == 200
    r = httpx.post(f"{live_server}/api/ask", json={"question": "企" * (limit + 1)})
    assert_error(r, 422, "invalid_input", str(limit))


def test_invalid_json_is_422_naming_json(live_server):
    r = httpx.post(f"{live_server}/api/ask", content=b'{"question": "x"', headers={"Content-Type": "application/json"})
    error = assert_error(r, 422, "invalid_json")
    assert "JSON" in error["message"]


def test_non_json_content_type_is_rejected(live_server):
    r = httpx.post(f"{live_server}/api/ask", content=b"question=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert 400 <= r.status_code < 500
    assert "error" in r.json()


def test_oversized_body_is_413_before_parsing(live_server):
    big = json.dumps({"question": "企" * 20000}).encode()
    r = httpx.post(f"{live_server}/api/ask", content=big, headers={"Content-Type": "application/json"})
    assert_error(r, 413, "payload_too_large")


def test_oversized_chunked_body_is_413(live_server):
    def chunks():
        yield b'{"question": "'
        for _ in range(40):
            yield b"a" * 1024
        yield b'"}'

    r = httpx.post(f"{live_server}/api/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in r.request.headers
    assert_error(r, 413, "payload_too_large")


@pytest.mark.parametrize(
    "path, status, code",
    [
        ("/api/tasks/999", 404, "not_found"),
        ("/api/tasks/0", 422, "invalid_input"),
        ("/api/tasks/abc", 422, "invalid_input"),
        ("/api/tasks/-1", 422, "invalid_input"),
        ("/api/search?limit=0", 422, "invalid_input"),
        ("/api/search?limit=101", 422, "invalid_input"),
        ("/api/search?limit=many", 422, "invalid_input"),
        ("/api/search?q=" + "企" * 201, 422, "invalid_input"),
        ("/api/search?category=nonsense", 422, "invalid_input"),
        ("/api/nothing-here", 404, "not_found"),
        ("/static/../bot/settings.py", 404, "not_found"),
        ("/static/nothing.css", 404, "not_found"),
    ],
)
def test_bad_paths_and_query_params(live_server, path, status, code):
    assert_error(httpx.get(f"{live_server}{path}"), status, code)


def test_wrong_method_is_405_json(live_server):
    assert_error(httpx.get(f"{live_server}/api/ask"), 405, "method_not_allowed")
    assert_error(httpx.delete(f"{live_server}/api/tasks/6"), 405, "method_not_allowed")


def test_validation_errors_do_not_echo_the_input(live_server):
    secret = "<b>13812345678</b>"
    r = httpx.post(f"{live_server}/api/ask", json={"question": "第6项", "top_k": secret})
    assert_error(r, 422, "invalid_input", "top_k")
    assert secret not in r.text


class _FailingService:
    """Fault injection: a service whose every call hits an unexpected bug."""

    ready = True

    def info(self):
        return {}

    def ask(self, question, top_k=3, system="full"):
        raise RuntimeError("internal detail /srv/secret/path")


def test_unexpected_errors_are_a_generic_500_json(api_settings, start_server):
    from bot.api.app import create_app

    base = start_server(create_app(api_settings(), bot=_FailingService())).url
    r = httpx.post(f"{base}/api/ask", json={"question": "第6项是什么"})
    error = assert_error(r, 500, "internal_error")
    assert "secret" not in r.text and "RuntimeError" not in r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    assert error["message"]
