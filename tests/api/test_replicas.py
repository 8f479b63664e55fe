"""The README's recipe for several replicas, run as written: two `policybot serve` processes behind
Debian's nginx (the README's own config block), sharing one PostgreSQL question log and one Redis
rate limit."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot.settings import PROJECT_ROOT

pytestmark = pytest.mark.model

POLICYBOT = Path(sys.executable).parent / "policybot"
LIMIT = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def readme_nginx_block() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"```nginx\n(.*?)```", readme, re.S)
    assert found, "the README has no nginx block for replicas"
    return found.group(1)


def _wait_ready(url: str, proc: subprocess.Popen, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{url} exited with {proc.returncode}: {proc.stderr.read()[-2000:] if proc.stderr else ''}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{url} was not ready within {seconds} s")


@pytest.fixture(scope="module")
def proxy(tmp_path_factory, redis_url, postgres_url):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        pytest.skip("nginx is not installed (`make services` installs Debian's nginx-light)")
    root = tmp_path_factory.mktemp("replicas")
    ports = [_free_port(), _free_port()]
    env = {
        **os.environ,
        "POLICYBOT_LOG_URL": postgres_url,
        "POLICYBOT_RATE_LIMIT_STORAGE": redis_url,
        "POLICYBOT_RATE_LIMIT_PER_MINUTE": str(LIMIT),
        "POLICYBOT_TRUST_FORWARDED": "true",
        "POLICYBOT_DATA_DIR": str(root / "var"),
    }
    replicas = [
        subprocess.Popen([str(POLICYBOT), "serve", "--port", str(port)], cwd=PROJECT_ROOT, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for port in ports
    ]
    try:
        for port, proc in zip(ports, replicas):
            _wait_ready(f"http://127.0.0.1:{port}", proc)
        front = _free_port()
        block = readme_nginx_block()
        block = block.replace("127.0.0.1:8001", f"127.0.0.1:{ports[0]}").replace("127.0.0.1:8002", f"127.0.0.1:{ports[1]}")
        block = re.sub(r"listen\s+80;", f"listen 127.0.0.1:{front};", block)
        (root / "nginx.conf").write_text(
            f"daemon off;\npid {root}/nginx.pid;\nerror_log {root}/error.log;\nevents {{}}\n"
            f"http {{\n access_log off;\n client_body_temp_path {root}/body;\n proxy_temp_path {root}/proxy;\n{block}\n}}\n",
            encoding="utf-8",
        )
        server = subprocess.Popen([nginx, "-c", str(root / "nginx.conf"), "-p", str(root)], stderr=subprocess.PIPE, text=True)
        try:
            _wait_ready(f"http://127.0.0.1:{front}", server, 30)
            yield f"http://127.0.0.1:{front}", postgres_url
        finally:
            server.send_signal(signal.SIGQUIT)
            server.wait(timeout=20)
    finally:
        for proc in replicas:
            proc.terminate()
        for proc in replicas:
            proc.wait(timeout=30)


def _logged(postgres_url: str, marker: str) -> int:
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            found = conn.execute(text("select count(*) from questions where question like :q"), {"q": f"%{marker}%"})
            return int(found.scalar())
    finally:
        engine.dispose()


def test_replicas_behind_nginx_share_the_limit_and_the_log(proxy):
    base, postgres_url = proxy
    marker = "".join(random.choice(string.ascii_lowercase) for _ in range(12))  # no digits: nothing to mask
    question = f"企业注销找哪个部门 {marker}"
    statuses = [httpx.post(f"{base}/api/ask", json={"question": question}, timeout=60).status_code for _ in range(LIMIT + 1)]
    # nginx alternates between the replicas; one shared window still allows LIMIT asks per client in all.
    assert statuses == [200] * LIMIT + [429]
    deadline = time.monotonic() + 20  # the log is written in the background
    while _logged(postgres_url, marker) < LIMIT and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _logged(postgres_url, marker) == LIMIT
