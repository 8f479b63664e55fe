"""The access log of the real server: paths, never query strings (console searches carry what callers say)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bot.settings import PROJECT_ROOT

POLICYBOT = Path(sys.executable).parent / "policybot"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_query_strings_never_reach_the_access_log(tmp_path):
    port = _free_port()
    env = {**os.environ, "POLICYBOT_LOG_URL": str(tmp_path / "log.sqlite3"), "POLICYBOT_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [str(POLICYBOT), "serve", "--port", str(port)],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "server did not come up"
            time.sleep(0.3)
        secret = "13812345678 32058319900307123X"
        httpx.get(f"{base}/api/search", params={"q": secret, "limit": 5}, timeout=30)
        httpx.get(f"{base}/healthz", params={"who": "zhangsan@example.com"}, timeout=5)
        httpx.get(f"{base}/no-such-page?phone=13912345678", timeout=5)
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    assert '"GET /api/search HTTP/1.1"' in output, output[-2000:]  # the access log is on, and logs the path
    assert '"GET /no-such-page HTTP/1.1" 404' in output
    for leaked in ("13812345678", "32058319900307123X", "13912345678", "zhangsan", "q=", "?"):
        assert leaked not in output, f"{leaked!r} leaked into the log"
