"""POST /api/ask: answer one question (read with the conversation so far) and record it in the
question log; POST /api/feedback: whether that answer helped."""

from __future__ import annotations

import functools
import logging
import secrets
import time
from dataclasses import replace

import anyio
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from bot.api.deps import AskRateLimit, AskSlotsDep, BotDep, ClientDep, FeedbackRateLimit, QuestionLogDep, SettingsDep
from bot.api.errors import ApiError
from bot.api.schemas import AskRequest, AskResponse, ErrorBody, FeedbackRequest, FeedbackSaved

router = APIRouter(prefix="/api", tags=["ask"])
log = logging.getLogger("policybot.api")

# Questions can carry personal details: never store them in shared caches.
NO_STORE = {"Cache-Control": "no-store"}


def new_answer_id() -> str:
    """Opaque and unguessable, so feedback can only name an answer its asker was given."""
    return secrets.token_urlsafe(16)


@router.post(
    "/ask",
    response_model=AskResponse,
    dependencies=[AskRateLimit],
    responses={422: {"model": ErrorBody}, 429: {"model": ErrorBody}, 503: {"model": ErrorBody}},
)
async def ask(
    body: AskRequest, bot: BotDep, settings: SettingsDep, qlog: QuestionLogDep, client: ClientDep, slots: AskSlotsDep
):
    """Answer a question about the policy: answer text, a reply to read out, lead departments, ranked
    citations. With `history`, a follow-up ("这个找谁？") is read with the earlier turns."""
    limit = settings.max_question_chars
    too_long = [["body", "question"]] if len(body.question) > limit else []
    too_long += [["body", "history", str(i), "question"] for i, t in enumerate(body.history) if len(t.question) > limit]
    if too_long:
        raise ApiError(
            422,
            "invalid_input",
            f"问题过长（最多 {limit} 字）/ the question is longer than {limit} characters",
            details=[{"loc": loc, "msg": f"at most {limit} characters", "type": "string_too_long"} for loc in too_long],
        )
    history = [{"question": t.question, "tasks": t.tasks} for t in body.history]
    started = time.perf_counter()
    # A repeated question asked alone is served from the cache on the event loop; anything that
    # needs the model runs on one of a few ask threads so inference never blocks the loop.
    result = None if history else bot.cached_answer(body.question, top_k=body.top_k)
    if result is None:
        result = await anyio.to_thread.run_sync(
            functools.partial(bot.ask, body.question, top_k=body.top_k, history=history), limiter=slots
        )
    latency_ms = (time.perf_counter() - started) * 1000
    result = replace(result, id=new_answer_id())
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
            answer_id=result.id,
            tasks=result.tasks,
        )
    # `parts` is present only for a multi-part question, so the body is built here rather than
    # by the response model (which would add "parts": null).
    return JSONResponse(result.to_dict(), headers=NO_STORE)


@router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackSaved,
    dependencies=[FeedbackRateLimit],
    responses={404: {"model": ErrorBody}, 422: {"model": ErrorBody}, 429: {"model": ErrorBody}},
)
def feedback(body: FeedbackRequest, qlog: QuestionLogDep, client: ClientDep):
    """Whether an answer helped (`id` from /api/ask), with an optional comment (masked like questions)."""
    if qlog is None:
        raise ApiError(503, "unavailable", "反馈暂不可用 / feedback is unavailable: no question log")
    qlog.record_feedback(body.id, body.helpful, body.comment, client)
    return JSONResponse({"ok": True}, status_code=201, headers=NO_STORE)
