"""Run the app under uvicorn: one process with a built app, or several workers from the factory."""

from __future__ import annotations

import copy
import ctypes
import ctypes.util
import os

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from bot.errors import InvalidInput
from bot.settings import Settings


def log_config() -> dict:
    """uvicorn's logging, plus the service's own loggers (index rebuilds, loading) at INFO."""
    config = copy.deepcopy(LOGGING_CONFIG)
    for name in ("bot", "policybot"):
        config["loggers"][name] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


# glibc malloc: a fixed mmap threshold (a freed tensor buffer goes back to the OS, instead of the
# threshold rising until such buffers are carved out of the heap and fragment it) and few arenas
# (one per thread otherwise: the thread pool and torch's threads each held freed memory).
_MALLOC_ENV = {"MALLOC_ARENA_MAX": "2", "MALLOC_MMAP_THRESHOLD_": str(256 * 1024), "MALLOC_TRIM_THRESHOLD_": str(1024 * 1024)}
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8


def tune_malloc() -> None:
    """Keep resident memory from creeping up under concurrent asks of distinct questions. Set in
    the environment for worker processes (glibc reads it at start) and by mallopt for this one."""
    for name, value in _MALLOC_ENV.items():
        os.environ.setdefault(name, value)
    path = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(path) if path else None
        mallopt = getattr(libc, "mallopt", None)
    except OSError:
        mallopt = None
    if mallopt is None:  # not glibc: nothing to tune
        return
    mallopt(_M_ARENA_MAX, int(os.environ["MALLOC_ARENA_MAX"]))
    mallopt(_M_MMAP_THRESHOLD, int(os.environ["MALLOC_MMAP_THRESHOLD_"]))
    mallopt(_M_TRIM_THRESHOLD, int(os.environ["MALLOC_TRIM_THRESHOLD_"]))


def single_threaded_blas() -> None:
    """One BLAS thread: the ask's products are a question against a few thousand vectors, and idle
    BLAS threads spin after each one (measured over HTTP: 14 ms of CPU per ask, half the server's,
    on the core the rest of the ask needs). Through the environment for worker processes, and by
    threadpoolctl for this one, whose BLAS libraries may already be loaded."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=int(os.environ["OPENBLAS_NUM_THREADS"]), user_api="blas")


def server_options(read_timeout: float = 10.0) -> dict:
    """Limits on what a client can hold: time to send a request head (the app limits the body the
    same way), idle keep-alive, header size, concurrent connections. README: the reverse proxy's
    equivalents."""
    from bot.api.protocol import protocol_with

    return {
        "http": protocol_with(read_timeout),
        "timeout_keep_alive": 5,
        # The h11 parser's limit on a request head (httptools has its own fixed one).
        "h11_max_incomplete_event_size": 16 * 1024,
        # Beyond this many connections and tasks uvicorn answers 503 at once.
        "limit_concurrency": 512,
        "backlog": 2048,
        "timeout_graceful_shutdown": 30,
    }


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    common = {
        **server_options(settings.read_timeout_seconds),
        "host": host,
        "port": port,
        # The app reads X-Forwarded-For itself, only when settings.trust_forwarded says so.
        "proxy_headers": False,
        "server_header": False,
        "log_level": "info",
        "log_config": log_config(),
    }
    if workers < 1:
        raise InvalidInput("--workers must be at least 1")
    if not 0 < port < 65536:
        raise InvalidInput("--port must be between 1 and 65535")
    tune_malloc()
    single_threaded_blas()
    # The index is not built here: the server binds first, so /healthz answers while the app's
    # loader rebuilds a missing, stale or tampered index (logged with the reason; /readyz says why
    # it is not ready). Workers share a build lock, so one rebuilds and the others load its result.
    if workers > 1:
        # Each worker process builds its own app (and loads the model) from the environment's settings.
        # The rate limit is then per worker. Loading the model keeps a worker too busy to answer the
        # supervisor's 5 s default health ping, which would restart it in a loop; allow a minute
        # (a rebuild holds the other workers at the build lock, not in a busy loop).
        uvicorn.run(
            "bot.api.app:create_app", factory=True, workers=workers, timeout_worker_healthcheck=60, **common
        )
    else:
        from bot.api.app import create_app

        uvicorn.run(create_app(settings), **common)
