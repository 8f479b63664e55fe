"""Shared fixtures: one real PolicyBot for the session, and live HTTP servers running the real app."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ADMIN_TOKEN = "test-admin-token"
ALLOWED_ORIGIN = "https://host.example"

# Fixtures that load the real model and index: a test using one is marked `model`, so that
# `pytest -m "not model"` (make test-fast) runs everything else without building anything.
MODEL_FIXTURES = {"policy_bot", "live_app", "live_server"}


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)


@pytest.fixture(scope="session")
def policy_bot():
    """The real service (model + index), loaded once per test session."""
    from bot.answering.pipeline import PolicyBot
    from bot.settings import get_settings

    return PolicyBot.load(get_settings())


@pytest.fixture(scope="session")
def api_settings(tmp_path_factory) -> Callable[..., object]:
    """Build settings for a test app: its own question log, eval-set copy and report dir, in a temp dir."""
    from bot.settings import get_settings

    base = get_settings()

    def make(**overrides):
        root = tmp_path_factory.mktemp("api")
        eval_copy = root / "questions.yaml"
        shutil.copyfile(base.eval_file, eval_copy)
        values = {
            "admin_token": ADMIN_TOKEN,
            "cors_origins": [ALLOWED_ORIGIN],
            "rate_limit_per_minute": 0,  # off unless a test asks for it
            "log_url": str(root / "questions.sqlite3"),
            "eval_file": eval_copy,
            "report_dir": root / "reports",
            "data_dir": root / "var",
        }
        values.update(overrides)
        return base.model_copy(update=values)

    return make


class LiveServer:
    """A uvicorn server on a free 127.0.0.1 port, in a background thread."""

    def __init__(self, app) -> None:
        import uvicorn

        self.app = app
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        host, port = self.sock.getsockname()
        self.url = f"http://{host}:{port}"
        config = uvicorn.Config(app, log_level="warning", proxy_headers=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self, timeout: float = 30.0) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        self.sock.close()


@pytest.fixture(scope="session")
def start_server() -> Iterator[Callable[..., LiveServer]]:
    """Start any app on a live port; every server started is stopped at the end of the session."""
    servers: list[LiveServer] = []

    def start(app) -> LiveServer:
        server = LiveServer(app).start()
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        server.stop()


@pytest.fixture(scope="session")
def live_settings(api_settings):
    return api_settings()


@pytest.fixture(scope="session")
def live_app(live_settings, policy_bot):
    from bot.api.app import create_app

    return create_app(live_settings, bot=policy_bot)


@pytest.fixture(scope="session")
def live_server(live_app, start_server) -> str:
    """Base URL of the real app over real HTTP (admin token ADMIN_TOKEN, CORS allowlist ALLOWED_ORIGIN)."""
    return start_server(live_app).url


@pytest.fixture(scope="session")
def eval_file_original() -> Path:
    from bot.settings import get_settings

    return Path(get_settings().eval_file)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A real redis-server (Debian's package) on a free loopback port, for the shared rate limit."""
    import shutil
    import socket
    import subprocess
    import time

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (`make services` installs Debian's redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def _local_postgres():
    """Start a throw-away PostgreSQL on a Unix socket; None when this machine cannot."""
    pytest.importorskip("psycopg")
    bindir = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)
    initdb = shutil.which("initdb") or (bindir and str(bindir / "initdb"))
    pg_ctl = shutil.which("pg_ctl") or (bindir and str(bindir / "pg_ctl"))
    if not initdb or not os.path.exists(initdb) or not pg_ctl:
        return None
    prefix: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="qlog-pg-"))
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            return None
        os.chown(root, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data = root / "data"
    try:
        subprocess.run([*prefix, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-w", "-l", str(root / "log"), "-o",
                        f"-k {root} -c listen_addresses='' -p 54329", "start"],
                       check=True, capture_output=True, timeout=60)
    except (subprocess.SubprocessError, OSError):
        shutil.rmtree(root, ignore_errors=True)
        return None
    return root, data, prefix, pg_ctl


@pytest.fixture(scope="session")
def postgres_url():
    """A throw-away PostgreSQL server (Debian's package) on a Unix socket, for the shared question log."""
    started = _local_postgres()
    if started is None:
        pytest.skip("no local PostgreSQL server could be started")
    root, data, prefix, pg_ctl = started
    yield f"postgresql+psycopg://postgres@/postgres?host={root}&port=54329"
    subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, timeout=60)
    shutil.rmtree(root, ignore_errors=True)
