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
        assert first.json() == {"status": "loading", "reason": "loading the model and the index"}
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


@pytest.mark.model
def test_a_tampered_index_is_rebuilt_while_healthz_answers_and_readyz_says_why(api_settings, start_server, tmp_path, caplog):
    """The manifest's file map emptied and chunks.json edited to name another department: the
    server must not serve it. It rebuilds (logged with the reason) while /healthz answers."""
    import json
    import shutil

    from bot.retrieval import store
    from bot.settings import get_settings

    real = store.current_dir(get_settings()).resolve()
    version = tmp_path / "index" / real.name
    shutil.copytree(real, version)
    (tmp_path / "index" / "current").symlink_to(real.name)
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"] = {}
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    chunks = (version / "chunks.json").read_text(encoding="utf-8")
    (version / "chunks.json").write_text(chunks.replace("行政审批局", "市场监管局"), encoding="utf-8")

    caplog.set_level("WARNING")
    server = start_server(create_app(api_settings(index_dir=tmp_path / "index")))
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
    ready = httpx.get(f"{server.url}/readyz", timeout=5)
    assert ready.status_code == 503
    assert ready.json()["reason"] == "rebuilding the index: the manifest lists no index files"
    assert httpx.post(f"{server.url}/api/ask", json={"question": "企业注销找哪个部门"}, timeout=30).status_code == 503

    deadline = time.monotonic() + 400
    while httpx.get(f"{server.url}/readyz", timeout=5).status_code != 200:
        assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200  # alive throughout the rebuild
        assert time.monotonic() < deadline, "service did not become ready"
        time.sleep(1)
    answer = httpx.post(f"{server.url}/api/ask", json={"question": "企业注销找哪个部门"}, timeout=30).json()
    assert answer["departments"][0] == "行政审批局"
    assert any("rebuilding index: the manifest lists no index files" in r.getMessage() for r in caplog.records)
