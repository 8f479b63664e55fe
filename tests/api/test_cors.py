"""CORS allowlist, framing rules for the widget frame, and security headers on every response."""

import httpx


def test_allowed_origin_gets_cors_headers(live_server, live_settings):
    origin = live_settings.cors_origins[0]
    r = httpx.get(f"{live_server}/api/tasks/6", headers={"Origin": origin})
    assert r.headers["access-control-allow-origin"] == origin
    pre = httpx.options(
        f"{live_server}/api/ask",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == origin
    assert "POST" in pre.headers["access-control-allow-methods"]


def test_other_origin_gets_none(live_server):
    r = httpx.get(f"{live_server}/api/tasks/6", headers={"Origin": "https://evil.example"})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    pre = httpx.options(
        f"{live_server}/api/ask", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in pre.headers


def test_errors_carry_cors_headers_for_allowed_origins(live_server, live_settings):
    origin = live_settings.cors_origins[0]
    r = httpx.post(f"{live_server}/api/ask", json={"question": ""}, headers={"Origin": origin})
    assert r.status_code == 422
    assert r.headers["access-control-allow-origin"] == origin


def test_widget_frame_embeddable_only_by_allowed_hosts(live_server, live_settings):
    r = httpx.get(f"{live_server}/widget/frame")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    ancestors = next(d for d in csp.split(";") if d.strip().startswith("frame-ancestors"))
    assert "'self'" in ancestors and live_settings.cors_origins[0] in ancestors
    assert "*" not in ancestors
    assert "x-frame-options" not in r.headers


def test_other_pages_and_api_refuse_framing(live_server):
    for path in ("/", "/console", "/admin", "/api/tasks/6", "/healthz"):
        r = httpx.get(f"{live_server}{path}")
        assert r.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path


def test_security_headers_everywhere(live_server):
    for path in ("/", "/widget.js", "/widget/frame", "/static/frame.js", "/api/tasks/6", "/api/tasks/999", "/docs"):
        r = httpx.get(f"{live_server}{path}")
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["referrer-policy"], path
        assert "content-security-policy" in r.headers, path


def test_pages_allow_no_inline_script(live_server):
    for path in ("/", "/widget/frame", "/console", "/admin"):
        csp = httpx.get(f"{live_server}{path}").headers["content-security-policy"]
        script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, path
