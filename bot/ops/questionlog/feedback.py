"""Feedback on answers: whether an answer helped, stored beside the logged question it answered."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import InvalidInput, NotFound
from bot.ops.masking import mask_pii
from bot.ops.questionlog.schema import (
    ANSWER_ID_MAX_CHARS,
    QuestionLogUnavailable,
    feedback,
    hash_client,
    page,
    parse_tasks,
    questions,
    short_error,
    utc,
)

COMMENT_MAX_CHARS = 500
# A question is queued before it is written; feedback given at once waits this long for it.
PENDING_WAIT_S = 5.0


class FeedbackStore:
    """Feedback methods of the question log (which gives the engine, the lock and the writer)."""

    _engine: Any
    _salt: str

    def _db(self) -> Any:
        raise NotImplementedError

    def _ensure_schema(self) -> None:
        raise NotImplementedError

    def _read(self, statement: Any) -> list[Any]:
        raise NotImplementedError

    def flush(self, timeout: float = 10.0) -> bool:
        raise NotImplementedError

    def _answered(self, answer_id: str) -> bool:
        stmt = select(questions.c.id).where(questions.c.answer_id == answer_id).limit(1)
        return bool(self._read(stmt))

    def record_feedback(self, answer_id: str, helpful: bool, comment: str = "", client: str | None = None) -> None:
        """Store feedback on the answer handed out as `answer_id`, its comment masked like a question.
        NotFound when no logged question has that id."""
        if not isinstance(answer_id, str) or not answer_id or len(answer_id) > ANSWER_ID_MAX_CHARS:
            raise InvalidInput("answer id must be a non-empty string")
        if len(comment or "") > COMMENT_MAX_CHARS:
            raise InvalidInput(f"comment is longer than {COMMENT_MAX_CHARS} characters")
        if not self._answered(answer_id):
            self.flush(timeout=PENDING_WAIT_S)  # the question may still be queued
            if not self._answered(answer_id):
                raise NotFound(f"没有这个回答 / no answer with id {answer_id}")
        row = {
            "ts": datetime.now(timezone.utc),
            "answer_id": answer_id,
            "helpful": bool(helpful),
            "comment": mask_pii((comment or "").strip()),
            "client": hash_client(str(client), self._salt) if client else None,
        }
        self._ensure_schema()
        try:
            with self._db(), self._engine.begin() as conn:
                conn.execute(insert(feedback), [row])
        except SQLAlchemyError as exc:
            raise QuestionLogUnavailable(f"question log database unavailable: {short_error(exc)}") from None

    def feedback(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Feedback newest first, each with the question it is about, that answer's tasks and kind."""
        limit, offset = page(limit, offset)
        stmt = (
            select(
                feedback.c.answer_id, feedback.c.ts, feedback.c.helpful, feedback.c.comment,
                questions.c.id.label("log_id"), questions.c.question, questions.c.tasks, questions.c.kind,
            )
            .join(questions, questions.c.answer_id == feedback.c.answer_id)
            .order_by(feedback.c.ts.desc(), feedback.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [
            {
                "id": r.answer_id,
                "log_id": int(r.log_id),
                "question": r.question,
                "tasks": parse_tasks(r.tasks),
                "helpful": bool(r.helpful),
                "comment": r.comment,
                "created": utc(r.ts).isoformat(),
                "answer_kind": r.kind,
            }
            for r in self._read(stmt)
        ]
