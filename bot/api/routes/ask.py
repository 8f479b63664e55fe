"""POST /api/ask: answer one question and record it in the question log."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from bot.api.deps import AskRateLimit, BotDep, ClientDep, QuestionLogDep, SettingsDep
from bot.api.errors import ApiError
from bot.api.schemas import AskRequest, AskResponse, ErrorBody

router = APIRouter(prefix="/api", tags=["ask"])
log = logging.getLogger("policybot.api")


@router.post(
    "/ask",
    response_model=AskResponse,
    dependencies=[AskRateLimit],
    responses={422: {"model": ErrorBody}, 429: {"model": ErrorBody}, 503: {"model": ErrorBody}},
)
async def ask(body: AskRequest, response: Response, bot: BotDep, settings: SettingsDep, qlog: QuestionLogDep, client: ClientDep):
    """Answer a question about the policy: answer text, a reply to read out, lead departments, ranked citations."""
    if len(body.question) > settings.max_question_chars:
        raise ApiError(
            422,
            "invalid_input",
            f"问题过长（最多 {settings.max_question_chars} 字）/ the question is longer than {settings.max_question_chars} characters",
            details=[{"loc": ["body", "question"], "msg": f"at most {settings.max_question_chars} characters", "type": "string_too_long"}],
        )
    started = time.perf_counter()
    # A repeated question is served from the cache on the event loop; anything that needs the
    # model runs in the thread pool so inference never blocks the loop.
    result = bot.cached_answer(body.question, top_k=body.top_k)
    if result is None:
        result = await run_in_threadpool(bot.ask, body.question, top_k=body.top_k)
    latency_ms = (time.perf_counter() - started) * 1000
    if qlog is not None:
        top_task = result.citations[0].task if result.citations else None
        qlog.record(
            body.question,
            result.kind,
            result.answered,
            top_task,
            result.confidence,
            latency_ms,
            list(result.departments),
            client,
        )
    # Questions can carry personal details: never store them in shared caches.
    response.headers["Cache-Control"] = "no-store"
    return result.to_dict()
