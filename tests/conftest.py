"""Shared fixtures: one real PolicyBot for the session, and live HTTP servers running the real app."""

from __future__ import annotations

import shutil
import socket
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
