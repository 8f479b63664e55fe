"""`python -m bench.probe --port N`: the same app as `policybot serve`, plus GET /_bench/stats for profiling runs.

The stats route reports the encoder's forward-pass counter, the engine and the size of the
threadpool that runs the sync routes, so a profile can tell whether concurrent asks share forward passes.
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.api.app import create_app
from bot.settings import get_settings


async def _stats(request: Request) -> JSONResponse:
    import anyio.to_thread

    bot = request.app.state.bot
    limiter = anyio.to_thread.current_default_thread_limiter()
    return JSONResponse(
        {
            "batches": bot.encoder.batches if bot else None,
            "engine": request.app.state.settings.engine,
            "threadpool_tokens": limiter.total_tokens,
            "threadpool_borrowed": limiter.borrowed_tokens,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.probe")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = create_app(get_settings())
    app.router.routes.insert(0, Route("/_bench/stats", _stats))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", server_header=False)


if __name__ == "__main__":
    main()
