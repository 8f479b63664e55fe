"""Staff admin: edit the eval set under ETag concurrency control, review the question log, run evaluations."""

from __future__ import annotations

import threading
from pathlib import Path as FilePath
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import FileResponse

from bot.evaluation import evalset
from bot.api.deps import AdminAuth, QuestionLogDep, SettingsDep
from bot.api.errors import ApiError
from bot.api.schemas import (
    ErrorBody,
    EvalQuestionDeleted,
    EvalQuestionIn,
    EvalQuestionList,
    EvalQuestionPatch,
    EvalQuestionSaved,
    EvalRunList,
    EvalRunStarted,
    FeedbackList,
    PromoteRequest,
)
from bot.answering.cues import is_english
from bot.errors import IndexNotReady
from bot.corpus import load_corpus

_ERRORS = {code: {"model": ErrorBody} for code in (401, 404, 409, 422, 428)}
router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[AdminAuth], responses=_ERRORS)

_corpus_lock = threading.Lock()
_QID = r"^q\d{4,}$"


# ---------------------------------------------------------------- helpers


def _reference_corpus(request: Request):
    """The parsed corpus eval records are validated against, parsed once per app."""
    state = request.app.state
    with _corpus_lock:
        if getattr(state, "reference_corpus", None) is None:
            state.reference_corpus = load_corpus(state.settings.corpus_dir)
        return state.reference_corpus


def _expected_etag(if_match: str | None) -> str | None:
    """The ETag the client last read; None for `If-Match: *` (no check). Missing → 428."""
    if if_match is None or not if_match.strip():
        raise ApiError(428, "precondition_required", "缺少 If-Match 头 / send the ETag you read in If-Match")
    value = if_match.strip()
    if value == "*":
        return None
    return value.removeprefix("W/").strip('"')


def _set_etag(response: Response, etag: str) -> None:
    response.headers["ETag"] = f'"{etag}"'
    response.headers["Cache-Control"] = "no-store"


def _new_record(fields: dict) -> dict:
    fields = dict(fields)
    if fields.get("lang") is None:
        fields["lang"] = "en" if is_english(fields["question"]) else "zh"
    if fields.get("refuse") is None:
        fields["refuse"] = fields["kind"] in evalset.REFUSED_KINDS
    return fields


IfMatch = Annotated[str | None, Header(alias="If-Match")]


# ---------------------------------------------------------------- eval set


@router.get("/questions", response_model=EvalQuestionList)
def list_questions(
    response: Response,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=200)] = "",
    kind: Annotated[str, Query(max_length=40)] = "",
    split: Annotated[str, Query(max_length=10)] = "",
):
    """The eval set, optionally filtered; the ETag to send back with edits is in the body and the header."""
    path = FilePath(settings.eval_file)
    # ETag first: if the file changes before it is parsed, the older ETag makes the next edit fail safe (409).
    data = path.read_bytes() if path.exists() else b""
    etag = evalset.etag_of(data)
    questions = evalset.load_evalset(path) if data else []
    needle = q.strip().casefold()
    records = [
        rec.to_record()
        for rec in questions
        if (not kind or rec.kind == kind)
        and (not split or rec.split == split)
        and (not needle or needle in f"{rec.id} {rec.question} {rec.note}".casefold())
    ]
    _set_etag(response, etag)
    return {"etag": etag, "questions": records}


@router.post("/questions", status_code=201, response_model=EvalQuestionSaved)
def create_question(body: EvalQuestionIn, request: Request, response: Response, settings: SettingsDep, if_match: IfMatch = None):
    """Add a record; its id is assigned. Send the current ETag in If-Match."""
    expected = _expected_etag(if_match)
    record, etag = evalset.add_question(
        settings.eval_file, expected, _new_record(body.model_dump()), corpus=_reference_corpus(request)
    )
    _set_etag(response, etag)
    return {"etag": etag, "question": record.to_record()}


@router.put("/questions/{qid}", response_model=EvalQuestionSaved)
def edit_question(
    qid: Annotated[str, Path(pattern=_QID)],
    body: EvalQuestionPatch,
    request: Request,
    response: Response,
    settings: SettingsDep,
    if_match: IfMatch = None,
):
    """Change fields of one record (fields left out are kept). Send the current ETag in If-Match."""
    expected = _expected_etag(if_match)
    record, etag = evalset.edit_question(
        settings.eval_file, expected, qid, body.model_dump(exclude_unset=True), corpus=_reference_corpus(request)
    )
    _set_etag(response, etag)
    return {"etag": etag, "question": record.to_record()}


@router.delete("/questions/{qid}", response_model=EvalQuestionDeleted)
def delete_question(
    qid: Annotated[str, Path(pattern=_QID)], request: Request, response: Response, settings: SettingsDep, if_match: IfMatch = None
):
    """Delete one record. Send the current ETag in If-Match."""
    expected = _expected_etag(if_match)
    etag = evalset.delete_question(settings.eval_file, expected, qid, corpus=_reference_corpus(request))
    _set_etag(response, etag)
    return {"etag": etag, "deleted": qid}


# ---------------------------------------------------------------- question log


def _log(qlog):
    if qlog is None:
        raise ApiError(503, "unavailable", "问题日志不可用 / the question log is not available")
    return qlog


@router.get("/log")
def list_log(
    qlog: QuestionLogDep,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    q: Annotated[str, Query(max_length=200)] = "",
    answered: bool | None = None,
):
    """Logged questions (personal data masked), newest first."""
    qlog = _log(qlog)
    response.headers["Cache-Control"] = "no-store"
    text = q.strip() or None
    return {
        "total": qlog.count(q=text, answered=answered),
        "items": qlog.recent(limit=limit, offset=offset, q=text, answered=answered),
    }


@router.get("/feedback", response_model=FeedbackList)
def list_feedback(
    qlog: QuestionLogDep,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    """Feedback on answers, newest first, each with its question, the answer's tasks and kind."""
    items = _log(qlog).feedback(limit=limit, offset=offset)
    response.headers["Cache-Control"] = "no-store"
    return {"items": items}


@router.get("/log/topics")
def log_topics(
    request: Request,
    qlog: QuestionLogDep,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    days: Annotated[int, Query(ge=1, le=3650)] = 30,
):
    """The most asked tasks (with their text) and the most asked questions of the last `days` days."""
    topics = _log(qlog).top_topics(limit=limit, days=days)
    service = request.app.state.bot
    for item in topics["tasks"]:
        item["text"] = _task_text(service, item["task"])
    response.headers["Cache-Control"] = "no-store"
    return topics


def _task_text(service, number: int) -> str:
    if service is None:
        return ""
    try:
        return service.browse.task(number)["text"]
    except Exception:  # a task number the current corpus no longer has
        return ""


@router.get("/log/attention")
def log_attention(
    qlog: QuestionLogDep,
    request: Request,
    response: Response,
    threshold: Annotated[float | None, Query(ge=0, le=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
):
    """Questions to review: those not answered, and answered ones whose confidence is below `threshold`
    (by default the service's own review line, a little above its refusal threshold)."""
    qlog = _log(qlog)
    if threshold is None:
        service = request.app.state.bot
        if service is None:
            raise IndexNotReady("服务正在加载，稍后再试，或给出 threshold / the service is still loading; retry or pass threshold")
        threshold = service.answerability.review_below
    response.headers["Cache-Control"] = "no-store"
    return {
        "unanswered": qlog.unanswered(limit=limit),
        "low_confidence": qlog.low_confidence(threshold, limit=limit, answered=True),
    }


@router.post("/log/{log_id}/promote", status_code=201, response_model=EvalQuestionSaved)
def promote(
    log_id: Annotated[int, Path(ge=1)],
    body: PromoteRequest,
    request: Request,
    response: Response,
    qlog: QuestionLogDep,
    settings: SettingsDep,
    if_match: IfMatch = None,
):
    """Add a logged question (its masked text) to the eval set with the expected answer given in the body."""
    expected = _expected_etag(if_match)
    logged = _log(qlog).get(log_id)
    fields = _new_record({"question": logged["question"], **body.model_dump()})
    fields["note"] = fields.get("note") or f"from question log #{log_id}"
    record, etag = evalset.add_question(settings.eval_file, expected, fields, corpus=_reference_corpus(request))
    _set_etag(response, etag)
    return {"etag": etag, "question": record.to_record()}


# ---------------------------------------------------------------- evaluation runs


@router.post("/eval/run", status_code=202, response_model=EvalRunStarted)
def start_eval_run(request: Request, split: Annotated[Literal["dev", "test", "blind", "all"], Query()] = "all"):
    """Start an evaluation of the eval set in the background; one run at a time (409 while one runs)."""
    service = request.app.state.bot
    if service is None:
        raise IndexNotReady("服务正在加载，稍后再运行评测 / the service is still loading")
    run = request.app.state.eval_runs.start(service, split=split)
    return {"run": run["id"], "status": "running"}


@router.get("/eval/runs", response_model=EvalRunList)
def list_eval_runs(request: Request, response: Response):
    """Runs of this process and reports found on disk, newest first."""
    response.headers["Cache-Control"] = "no-store"
    return {"runs": request.app.state.eval_runs.list()}


@router.get("/eval/reports/{run}/", response_class=FileResponse)
def eval_report(request: Request, run: Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{1,64}$")]):
    """The HTML report of one run."""
    report = request.app.state.eval_runs.report_path(run)
    if report is None:
        raise ApiError(404, "not_found", f"没有该评测报告 / no report for run {run}")
    return FileResponse(report, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-store"})
