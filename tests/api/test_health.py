"""Liveness, readiness, API docs, and a cold start that loads the service in the background."""

import time

import httpx
import pytest

from bot.api.app import create_app


def test_healthz(live_server):
    r = httpx.get(f"{live_server}/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_readyz_reports_what_was_loaded(live_server, policy_bot):
    r = httpx.get(f"{live_server}/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ready"
    assert body["model"] == policy_bot.info()["model"]
    assert body["chunks"] > 100
    assert body["documents"][0]["title"] == "苏州工业园区2023年营商环境建设行动方案"


def test_docs_and_openapi(live_server):
    docs = httpx.get(f"{live_server}/docs")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]
    spec = httpx.get(f"{live_server}/openapi.json").json()
    for path in ("/api/ask", "/api/search", "/api/tasks", "/api/tasks/{number}", "/api/departments", "/api/categories"):
        assert path in spec["paths"], path
    ask_body = spec["components"]["schemas"]["AskRequest"]["properties"]
    assert ask_body["top_k"]["minimum"] == 1 and ask_body["top_k"]["maximum"] == 20


@pytest.mark.model
def test_cold_start_answers_health_at_once_and_turns_ready_after_loading(api_settings, start_server):
    # No bot given: the app loads model and index itself, in a background thread.
    server = start_server(create_app(api_settings()))
    started = time.monotonic()
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    assert time.monotonic() - started < 15  # well before a cold load on a busy machine ends

    first = httpx.get(f"{server.url}/readyz")
    if first.status_code == 503:
        assert first.json() == {"status": "loading"}
        early = httpx.post(f"{server.url}/api/ask", json={"question": "第6项是什么"})
        if early.status_code == 503:
            assert early.json()["error"]["code"] == "not_ready"
        else:  # the load finished between the two requests: then the service must say it is ready
            assert early.status_code == 200
            assert httpx.get(f"{server.url}/readyz").status_code == 200

    deadline = time.monotonic() + 300
    while httpx.get(f"{server.url}/readyz").status_code != 200:
        assert time.monotonic() < deadline, "service did not become ready"
        time.sleep(0.5)
    r = httpx.post(f"{server.url}/api/ask", json={"question": "第6项是什么"}, timeout=30)
    assert r.status_code == 200
    assert r.json()["citations"][0]["task"] == 6
