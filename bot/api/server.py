"""Run the app under uvicorn: one process with a built app, or several workers from the factory."""

from __future__ import annotations

import uvicorn

from bot.retrieval import store as index
from bot.errors import InvalidInput
from bot.settings import Settings


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
