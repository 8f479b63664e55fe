"""Named dependencies: the loaded service, settings, the question log, admin auth and the ask rate limit."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Annotated, Any

import anyio
from fastapi import Depends, Request

from bot.api.errors import ApiError
from bot.api.middleware import client_key
from bot.errors import IndexNotReady
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.ops.questionlog import QuestionLog
    from bot.answering.pipeline import PolicyBot


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_bot(request: Request) -> PolicyBot:
    state = request.app.state
    if state.bot is None:
        if state.load_error:
            raise IndexNotReady(f"服务未能加载模型或索引 / the service failed to load: {state.load_error}")
        raise IndexNotReady("服务正在加载模型与索引，请稍后再试 / the service is still loading, retry shortly")
    return state.bot


async def get_ask_slots(request: Request) -> anyio.CapacityLimiter:
    """The threads that compute asks (settings.ask_concurrency); made on first use, in the event loop."""
    state = request.app.state
    slots = getattr(state, "ask_slots", None)
    if slots is None:
        slots = state.ask_slots = anyio.CapacityLimiter(state.settings.ask_concurrency)
    return slots


async def get_question_log(request: Request) -> QuestionLog | None:
    return request.app.state.question_log


async def get_client(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return client_key(request, settings.trust_forwarded)


async def require_admin(request: Request) -> None:
    """Admin is off (404) without a configured token; otherwise a matching Bearer token is required (401)."""
    token: str = request.app.state.settings.admin_token
    if not token:
        raise ApiError(404, "not_found", "未找到 / not found")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip().encode(), token.encode()):
        raise ApiError(401, headers={"WWW-Authenticate": "Bearer"})


async def rate_limit_ask(request: Request, client: Annotated[str, Depends(get_client)]) -> None:
    request.app.state.ask_limiter.check(client)


async def rate_limit_feedback(request: Request, client: Annotated[str, Depends(get_client)]) -> None:
    request.app.state.feedback_limiter.check(client)


# Annotated with Any: the service and log modules are imported lazily, so the app starts (and /healthz
# answers) before the model stack is imported.
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
BotDep = Annotated[Any, Depends(get_bot)]
QuestionLogDep = Annotated[Any, Depends(get_question_log)]
ClientDep = Annotated[str, Depends(get_client)]
AskSlotsDep = Annotated[Any, Depends(get_ask_slots)]
AdminAuth = Depends(require_admin)
AskRateLimit = Depends(rate_limit_ask)
FeedbackRateLimit = Depends(rate_limit_feedback)
