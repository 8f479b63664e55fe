"""Run the app under uvicorn: one process with a built app, or several workers from the factory."""

from __future__ import annotations

import ctypes
import ctypes.util
import os

import uvicorn

from bot.retrieval import store as index
from bot.errors import InvalidInput
from bot.settings import Settings


M_ARENA_MAX = -8  # glibc's mallopt parameter
MALLOC_ARENAS = 2


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas (unless MALLOC_ARENA_MAX is set): each request thread otherwise gets
    a heap of its own, and at 16 concurrent requests resident memory grew by ~380 MB over 1,600
    asks against ~160 MB with two arenas (measured in process). True when the cap was applied."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError):  # not glibc: nothing to cap
        return False


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    common = {
        "host": host,
        "port": port,
        # The app reads X-Forwarded-For itself, only when settings.trust_forwarded says so.
        "proxy_headers": False,
        "server_header": False,
        "log_level": "info",
    }
    if workers < 1:
        raise InvalidInput("--workers must be at least 1")
    if not 0 < port < 65536:
        raise InvalidInput("--port must be between 1 and 65535")
    limit_malloc_arenas()  # before any thread starts; worker processes inherit it through the environment
    os.environ.setdefault("MALLOC_ARENA_MAX", str(MALLOC_ARENAS))
    # Build a missing or stale index once, here, so that workers never race to rebuild it.
    index.build(settings, if_stale=True)
    if workers > 1:
        # Each worker process builds its own app (and loads the model) from the environment's settings.
        # The rate limit is then per worker. Loading the model keeps a worker too busy to answer the
        # supervisor's 5 s default health ping, which would restart it in a loop; allow a minute.
        uvicorn.run(
            "bot.api.app:create_app", factory=True, workers=workers, timeout_worker_healthcheck=60, **common
        )
    else:
        from bot.api.app import create_app

        uvicorn.run(create_app(settings), **common)
