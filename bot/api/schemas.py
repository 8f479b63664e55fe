"""Request and response models of the HTTP API (they also document it at /docs)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bot.answering.types import Kind
from bot.evaluation.evalset import Split

Lang = Literal["zh", "en"]

# A hard ceiling for the schema; the configured max_question_chars (smaller) is checked by the route.
QUESTION_HARD_LIMIT = 4000
QuestionText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=QUESTION_HARD_LIMIT)]


# ---------------------------------------------------------------- ask


MAX_HISTORY_TURNS = 10
TASK_NUMBER_CEILING = 1000  # the service checks numbers against the task list itself


class HistoryTurn(BaseModel):
    """An earlier turn of the conversation: what was asked and the tasks its answer cited."""

    model_config = ConfigDict(extra="forbid")

    question: QuestionText
    tasks: list[Annotated[int, Field(ge=1, le=TASK_NUMBER_CEILING, strict=True)]] = Field([], max_length=50)


class AskRequest(BaseModel):
    question: QuestionText = Field(description="The question, Chinese or English; surrounding whitespace is ignored.")
    # strict: "3", 3.5 and true are type errors, not silently converted.
    top_k: int = Field(3, ge=1, le=20, strict=True, description="At most how many tasks to cite (related ones only when near the best).")
    history: list[HistoryTurn] = Field(
        [],
        max_length=MAX_HISTORY_TURNS,
        description="Earlier turns of this conversation, oldest first (at most 10): a follow-up is read with them.",
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"question": "企业开办由哪个部门牵头？", "top_k": 3},
                {"question": "能网上办吗？", "history": [{"question": "企业注销找哪个部门？", "tasks": [6]}]},
            ]
        }
    )


class Citation(BaseModel):
    doc: str
    section: str
    task: int | None = None
    text: str
    score: float


class AskResponse(BaseModel):
    id: str = Field(description="Opaque id of this answer, for POST /api/feedback.")
    question: str
    answered: bool
    kind: Kind
    answer: str
    reply: str
    departments: list[str]
    citations: list[Citation]
    # How sure the service is that the policy covers the question (same scale as the refusal
    # threshold); null for questions answered by their structure (task number, lists).
    confidence: float | None = None
    tasks: list[int] = Field(description="Task numbers the answer cites, in order (send them back in `history`).")
    departments_en: list[str] = Field(description="English names of `departments`, in the same order.")
    parts: list["AskResponse"] | None = Field(
        None, description="Present only for a question of two or more parts: one answer per part, in order."
    )

    model_config = ConfigDict(json_schema_extra={"description": "One answer; `parts` only for a multi-part question."})


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    helpful: bool = Field(strict=True)
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class FeedbackSaved(BaseModel):
    ok: Literal[True]


class FeedbackItem(BaseModel):
    id: str
    log_id: int = Field(description="The logged question's id (POST /api/admin/log/{log_id}/promote).")
    question: str
    tasks: list[int]
    helpful: bool
    comment: str
    created: str
    answer_kind: str


class FeedbackList(BaseModel):
    items: list[FeedbackItem]


# ---------------------------------------------------------------- search and browse


class SearchResult(BaseModel):
    task: int | None = None
    doc: str
    category: str
    section: str
    departments: list[str]
    text: str
    highlights: list[tuple[int, int]] = Field(description="[start, end) character offsets into text")
    score: float
    reply: str


class SearchResponse(BaseModel):
    query: str
    total: int
    results: list[SearchResult]


class Task(BaseModel):
    number: int
    doc: str
    category: str
    part: str
    section: str
    text: str
    departments: list[str]
    body: list[str]
    reply: str


class TaskList(BaseModel):
    tasks: list[Task]


class Department(BaseModel):
    name: str
    aliases: list[str]
    tasks: list[int]


class DepartmentList(BaseModel):
    departments: list[Department]


class Category(BaseModel):
    name: str
    tasks: list[int]


class CategoryList(BaseModel):
    categories: list[Category]


# ---------------------------------------------------------------- health


class Health(BaseModel):
    status: Literal["ok"]


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: list | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


# ---------------------------------------------------------------- admin: eval set


class EvalQuestionIn(BaseModel):
    """An eval record without its id (assigned on create)."""

    model_config = ConfigDict(extra="forbid")

    question: QuestionText
    kind: Kind
    lang: Lang | None = Field(None, description="zh or en; guessed from the text when left out")
    split: Split = "dev"
    style: str = Field("", description="how it is asked (situation, hotline, noisy, …) or why it is not answered")
    tasks_any: list[int] = []
    tasks_all: list[int] = []
    departments: list[str] = []
    contains: list[str] = []
    refuse: bool | None = Field(None, description="defaults to true exactly for out_of_scope and not_stated")
    note: str = ""


class EvalQuestionPatch(BaseModel):
    """Fields to change on an existing record; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    question: QuestionText | None = None
    kind: Kind | None = None
    lang: Lang | None = None
    split: Split | None = None
    style: str | None = None
    tasks_any: list[int] | None = None
    tasks_all: list[int] | None = None
    departments: list[str] | None = None
    contains: list[str] | None = None
    refuse: bool | None = None
    note: str | None = None


class EvalQuestionOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    question: str
    kind: Kind
    lang: Lang
    split: Split


class EvalQuestionList(BaseModel):
    etag: str
    questions: list[EvalQuestionOut]


class EvalQuestionSaved(BaseModel):
    etag: str
    question: EvalQuestionOut


class EvalQuestionDeleted(BaseModel):
    etag: str
    deleted: str


class PromoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind
    split: Split
    style: str = ""
    tasks_any: list[int] = []
    tasks_all: list[int] = []
    departments: list[str] = []
    refuse: bool | None = None
    contains: list[str] = []
    note: str = ""


# ---------------------------------------------------------------- admin: evaluation runs


class EvalRun(BaseModel):
    id: str
    status: Literal["running", "done", "failed"]
    started: str
    finished: str | None = None
    summary: dict | None = None
    error: str | None = None


class EvalRunStarted(BaseModel):
    run: str
    status: Literal["running"]


class EvalRunList(BaseModel):
    runs: list[EvalRun]
