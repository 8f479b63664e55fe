"""HTTP edges over a real server: relative redirects, HEAD, half-sent requests, protocol errors and
CORS refusals in the JSON error shape with the security headers, and what an empty CORS list does."""

from __future__ import annotations

import json
import socket
import threading
import time

import httpx
import pytest
import uvicorn

from bot.api.app import create_app
from bot.api.server import server_options


def _raw(url: str, payload: bytes, timeout: float = 10.0) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(payload)
        chunks = []
        while True:
            try:
                data = sock.recv(65536)
            except TimeoutError:
                break
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks)


def _head_and_body(response: bytes) -> tuple[str, dict]:
    head, _, body = response.partition(b"\r\n\r\n")
    return head.decode("latin-1").lower(), json.loads(body)


@pytest.fixture(scope="module")
def hardened_server(api_settings, policy_bot):
    """The app under the server options `policybot serve` uses, with a short read timeout."""
    app = create_app(api_settings(read_timeout_seconds=1.5), bot=policy_bot)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    options = server_options(read_timeout=1.5)
    config = uvicorn.Config(app, log_level="warning", lifespan="on", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(15)
    sock.close()


def test_redirects_are_relative_whatever_the_host_header(live_server):
    r = httpx.get(f"{live_server}/admin/", headers={"Host": "evil.example"}, follow_redirects=False)
    assert r.status_code in (301, 307, 308)
    assert r.headers["location"] == "/admin"


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/api/tasks", "/api/tasks/6", "/api/search?q=注销", "/api/departments"])
def test_head_is_answered_where_get_is(live_server, path):
    get = httpx.get(f"{live_server}{path}")
    head = httpx.head(f"{live_server}{path}")
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["x-content-type-options"] == "nosniff"


def test_a_half_sent_request_head_is_closed(hardened_server):
    started = time.monotonic()
    reply = _raw(hardened_server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ", timeout=20)
    assert time.monotonic() - started < 10, "a half-sent request was held open"
    assert b"200 OK" not in reply


def test_a_half_sent_body_gets_a_408(hardened_server):
    started = time.monotonic()
    reply = _raw(
        hardened_server,
        b'POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"question": "',
        timeout=20,
    )
    assert time.monotonic() - started < 10
    head, body = _head_and_body(reply)
    assert head.startswith("http/1.1 408")
    assert body["error"]["code"] == "request_timeout"
    assert "x-content-type-options: nosniff" in head


def test_a_protocol_error_gets_the_json_shape_and_security_headers(hardened_server):
    head, body = _head_and_body(_raw(hardened_server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"))
    assert head.startswith("http/1.1 400")
    assert body["error"]["code"] == "bad_request"
    assert "content-type: application/json" in head
    assert "x-content-type-options: nosniff" in head and "content-security-policy:" in head


def test_an_oversized_request_head_gets_a_431_in_the_json_shape(hardened_server):
    # httptools alone took a 2 MB header. (Sent without its end, so the server has read it all when it answers.)
    head, body = _head_and_body(_raw(hardened_server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n"))
    assert head.startswith("http/1.1 431")
    assert body["error"]["code"] == "headers_too_large"
    assert "x-content-type-options: nosniff" in head


def test_a_large_body_in_one_packet_with_its_head_is_not_a_large_head(hardened_server):
    question = "企业注销找哪个部门" + " " * 12000
    payload = json.dumps({"question": question}).encode()
    request = b"POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
    reply = _raw(hardened_server, request + f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
    assert not reply.startswith(b"HTTP/1.1 431")


def test_a_refused_cors_preflight_gets_the_json_shape_and_security_headers(live_server):
    r = httpx.options(
        f"{live_server}/api/ask", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "cors_refused"
    assert "access-control-allow-origin" not in r.headers
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"]


def test_an_empty_cors_list_allows_no_other_origin(api_settings, policy_bot, start_server):
    server = start_server(create_app(api_settings(cors_origins=[]), bot=policy_bot))
    r = httpx.get(f"{server.url}/api/tasks/6", headers={"Origin": "https://elsewhere.example"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    pre = httpx.options(
        f"{server.url}/api/ask", headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in pre.headers
    frame = httpx.get(f"{server.url}/widget/frame").headers["content-security-policy"]
    ancestors = next(d for d in frame.split(";") if d.strip().startswith("frame-ancestors"))
    assert ancestors.strip() == "frame-ancestors 'self'"
