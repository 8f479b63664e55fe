"""The admin's questions about the log: recent, counts, one entry, unanswered, low confidence, top topics."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import case, func, select

from bot.errors import InvalidInput, NotFound
from bot.ops.questionlog.schema import ROW_COLUMNS, page, questions, row_dict, utc


class QuestionQueries:
    """Read methods of the question log; `_read` (given by the log) runs one statement."""

    def _read(self, statement: Any) -> list[Any]:
        raise NotImplementedError


    @staticmethod
    def _filters(q: str | None, answered: bool | None, max_score: float | None) -> list[Any]:
        where = []
        if q:
            # Matched against the masked text: searching for a phone number finds nothing.
            where.append(questions.c.question.icontains(q, autoescape=True))
        if answered is not None:
            where.append(questions.c.answered.is_(bool(answered)))
        if max_score is not None:
            where.append(questions.c.score <= float(max_score))
        return where

    def recent(
        self,
        limit: int = 50,
        offset: int = 0,
        q: str | None = None,
        answered: bool | None = None,
        max_score: float | None = None,
    ) -> list[dict[str, Any]]:
        """Newest first, optionally only those containing `q`, (un)answered, or scored ≤ max_score."""
        limit, offset = page(limit, offset)
        stmt = (
            select(*ROW_COLUMNS)
            .where(*self._filters(q, answered, max_score))
            .order_by(questions.c.ts.desc(), questions.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [row_dict(r) for r in self._read(stmt)]

    def count(self, q: str | None = None, answered: bool | None = None, max_score: float | None = None) -> int:
        """Number of stored questions, with the same optional filters as `recent`."""
        stmt = select(func.count()).select_from(questions).where(*self._filters(q, answered, max_score))
        return int(self._read(stmt)[0][0])

    def get(self, id: int) -> dict[str, Any]:  # noqa: A002 - the API's own name for it
        """One question by id; NotFound if there is none."""
        try:
            key = int(id)
        except (TypeError, ValueError):
            raise InvalidInput(f"question id must be a whole number, got {id!r}") from None
        rows = self._read(select(*ROW_COLUMNS).where(questions.c.id == key))
        if not rows:
            raise NotFound(f"no logged question with id {key}")
        return row_dict(rows[0])

    def unanswered(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Questions the service did not answer, newest first."""
        return self.recent(limit=limit, offset=offset, answered=False)

    def low_confidence(
        self, threshold: float, limit: int = 50, answered: bool | None = None
    ) -> list[dict[str, Any]]:
        """Questions whose score is below `threshold`, lowest score first."""
        limit, _ = page(limit, 0)
        where = [questions.c.score.is_not(None), questions.c.score < float(threshold)]
        if answered is not None:
            where.append(questions.c.answered.is_(bool(answered)))
        stmt = (
            select(*ROW_COLUMNS)
            .where(*where)
            .order_by(questions.c.score.asc(), questions.c.id.desc())
            .limit(limit)
        )
        return [row_dict(r) for r in self._read(stmt)]

    def top_topics(self, limit: int = 20, days: int = 30) -> dict[str, Any]:
        """The most asked tasks and the most asked (normalised) questions of the last `days` days."""
        limit, _ = page(limit, 0)
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise InvalidInput(f"days must be a whole number ≥ 1, got {days!r}")
        since = datetime.now(timezone.utc) - timedelta(days=days)
        recent_rows = questions.c.ts >= since
        n = func.count().label("n")
        not_answered = func.sum(case((questions.c.answered.is_(False), 1), else_=0)).label("unanswered")
        last_ts = func.max(questions.c.ts).label("last_ts")

        total = self._read(select(func.count()).select_from(questions).where(recent_rows))[0][0]
        tasks = self._read(
            select(questions.c.top_task, n, not_answered, last_ts)
            .where(recent_rows, questions.c.top_task.is_not(None))
            .group_by(questions.c.top_task)
            .order_by(n.desc(), questions.c.top_task.asc())
            .limit(limit)
        )
        asked = self._read(
            select(func.min(questions.c.question).label("question"), n, not_answered, last_ts)
            .where(recent_rows, questions.c.norm != "")
            .group_by(questions.c.norm)
            .order_by(n.desc(), last_ts.desc())
            .limit(limit)
        )
        return {
            "since": since.isoformat(),
            "total": int(total),
            "tasks": [
                {"task": r.top_task, "count": int(r.n), "unanswered": int(r.unanswered or 0),
                 "last_ts": utc(r.last_ts).isoformat()}
                for r in tasks
            ],
            "questions": [
                {"question": r.question, "count": int(r.n), "unanswered": int(r.unanswered or 0),
                 "last_ts": utc(r.last_ts).isoformat()}
                for r in asked
            ],
        }
