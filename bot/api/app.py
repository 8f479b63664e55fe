"""The app factory: middleware, error handlers, routes, and a lifespan that loads the service off the event loop."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from bot import __version__
from bot.api.errors import install_error_handlers
from bot.api.evalruns import EvalRuns
from bot.api.middleware import (
    BodySizeLimitMiddleware,
    RateLimiter,
    SecurityHeadersMiddleware,
)
from bot.api.security import frame_ancestors
from bot.api.routes import admin, ask, health, pages, search, tasks
from bot.settings import Settings, get_settings

log = logging.getLogger("policybot.api")


def _load_in_background(app: FastAPI, settings: Settings) -> threading.Thread:
    def load() -> None:
        started = time.perf_counter()
        try:
            from bot.answering.pipeline import PolicyBot

            app.state.bot = PolicyBot.load(settings)
            log.info("service ready in %.1f s", time.perf_counter() - started)
        except Exception as exc:  # any failure must surface in /readyz, not kill the server
            log.exception("loading the service failed")
            app.state.load_error = str(exc) or type(exc).__name__

    thread = threading.Thread(target=load, name="policybot-load", daemon=True)
    thread.start()
    return thread


def _open_question_log(settings: Settings):
    from bot.ops.questionlog import QuestionLog

    # The salt keeps logged client keys from being matched against a list of addresses.
    salt = settings.log_client_salt or settings.admin_token
    return QuestionLog(settings.question_log_url, settings.log_retention_days, client_salt=salt)


@asynccontextmanager
async def _lifespan(app: FastAPI):
    settings: Settings = app.state.settings
    app.state.question_log = _open_question_log(settings)
    if app.state.bot is None:
        # /healthz answers at once; /readyz turns ready when this thread has loaded model and index.
        app.state.loader = _load_in_background(app, settings)
    try:
        yield
    finally:
        qlog, app.state.question_log = app.state.question_log, None
        if qlog is not None and hasattr(qlog, "close"):
            qlog.close()


def create_app(settings: Settings | None = None, bot: object | None = None) -> FastAPI:
    """Build the app. Without `bot`, the service is loaded in the background at startup."""
    settings = settings or get_settings()
    app = FastAPI(
        title="policybot",
        version=__version__,
        description="《苏州工业园区2023年营商环境建设行动方案》问答: quoted passages, task numbers and lead departments.",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.bot = bot
    app.state.load_error = None
    app.state.question_log = None
    app.state.ask_limiter = RateLimiter(settings.rate_limit_per_minute)
    # Feedback has its own budget of the same size, so rating answers never uses up asking.
    app.state.feedback_limiter = RateLimiter(settings.rate_limit_per_minute)
    app.state.eval_runs = EvalRuns(settings)
    app.state.frame_ancestors = frame_ancestors(settings.cors_origins)

    install_error_handlers(app)

    # Added innermost first: security headers wrap everything, CORS headers reach 413/429 answers too.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
            max_age=600,
        )
    app.add_middleware(SecurityHeadersMiddleware, widget_frame_ancestors=app.state.frame_ancestors)

    for module in (health, ask, search, tasks, admin, pages):
        app.include_router(module.router)
    pages.mount_static(app)
    return app

