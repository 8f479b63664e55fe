"""The question log: every asked question, masked, queued and written in the background to SQLite or PostgreSQL."""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, event, insert
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from bot.errors import InvalidInput
from bot.ops.masking import mask_pii
from bot.ops.questionlog.feedback import FeedbackStore
from bot.ops.questionlog.queries import QuestionQueries
from bot.ops.questionlog.schema import (
    CONNECTION_ERRORS,
    DEPARTMENT_SEPARATOR,
    KIND_MAX_CHARS,
    NULL_LOCK,
    TASK_SEPARATOR,
    QuestionLogUnavailable,
    add_missing_columns,
    finite,
    hash_client,
    metadata,
    normalise_question,
    parse_url,
    questions,
    short_error,
    sqlite_pragmas,
    utc,
)

log = logging.getLogger(__name__)

PURGE_INTERVAL_S = 3600.0


class QuestionLog(QuestionQueries, FeedbackStore):
    """Records asked questions cheaply and answers the admin's questions about them.

    `record` only masks the question and appends a row to an in-memory queue; a writer
    thread inserts queued rows in batches. When the database is down the queue keeps at
    most `max_queue` rows, dropping the oldest. Read methods query the database directly
    and raise QuestionLogUnavailable when it cannot be reached.
    """

    def __init__(
        self,
        url: str,
        retention_days: int = 180,
        *,
        client_salt: str = "",
        background: bool = True,
        max_queue: int = 10_000,
        batch_size: int = 500,
        linger_s: float = 0.2,
    ) -> None:
        if isinstance(retention_days, bool) or not isinstance(retention_days, int) or retention_days < 1:
            raise InvalidInput(f"retention_days must be a whole number of days ≥ 1, got {retention_days!r}")
        if max_queue < 1 or batch_size < 1:
            raise InvalidInput("max_queue and batch_size must be ≥ 1")
        self.retention_days = retention_days
        self._salt = client_salt
        self._max_queue = max_queue
        self._batch_size = batch_size
        self._linger_s = linger_s
        self._engine = self._create_engine(parse_url(url))
        # An in-memory SQLite database is one shared connection: serialise its use.
        self._db_lock = threading.RLock() if isinstance(self._engine.pool, StaticPool) else None

        self._cond = threading.Condition()
        self._queue: deque[dict[str, Any]] = deque()
        self._inflight = 0
        self._flush_wanted = False
        self._failures = 0  # failed batch writes, so flush() can stop waiting on a dead database
        self._closing = False
        self._closed = False
        self._schema_ready = False
        self._next_purge = 0.0
        self._last_error_log = 0.0
        self.written = 0
        self.dropped = 0
        self.failed = 0
        self.last_error: str | None = None

        # A database that is down at start must not stop the service: the writer retries.
        try:
            self._ensure_schema()
            self.purge()
        except QuestionLogUnavailable as exc:
            self._note_error("question log unavailable at start", exc)
        self._next_purge = time.monotonic() + PURGE_INTERVAL_S

        self._writer: threading.Thread | None = None
        if background:
            self._writer = threading.Thread(target=self._run_writer, name="questionlog-writer", daemon=True)
            self._writer.start()
            # Write what is still queued when the process ends without close().
            atexit.register(_close_at_exit, weakref.ref(self))

    # ----------------------------------------------------------------- engine / schema

    @staticmethod
    def _create_engine(url: URL) -> Engine:
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if url.get_backend_name() == "sqlite":
            kwargs["connect_args"] = {"check_same_thread": False}
            database = url.database or ""
            if database in ("", ":memory:") or database.startswith("file::memory:"):
                kwargs["poolclass"] = StaticPool
            else:
                try:
                    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    # Reported again, as unavailability, on first use.
                    log.warning("cannot create the question log directory for %s: %s", database, exc)
        try:
            engine = create_engine(url, **kwargs)
        except (NoSuchModuleError, ModuleNotFoundError, ArgumentError) as exc:
            raise InvalidInput(f"question log URL {url.render_as_string()!r} cannot be used: {exc}") from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", sqlite_pragmas)
        return engine

    def _db(self):
        """Context for one unit of database work, serialised for in-memory SQLite."""
        return self._db_lock if self._db_lock is not None else NULL_LOCK

    def _ensure_schema(self) -> None:
        if self._schema_ready:
            return
        try:
            with self._db():
                metadata.create_all(self._engine, checkfirst=True)
                add_missing_columns(self._engine)
        except DBAPIError:
            # Two replicas creating the table at once: one loses the race; check again.
            try:
                with self._db():
                    metadata.create_all(self._engine, checkfirst=True)
                    add_missing_columns(self._engine)
            except SQLAlchemyError as exc:
                raise QuestionLogUnavailable(f"question log database unavailable: {short_error(exc)}") from None
        except SQLAlchemyError as exc:
            raise QuestionLogUnavailable(f"question log database unavailable: {short_error(exc)}") from None
        self._schema_ready = True

    def _read(self, statement: Any) -> list[Any]:
        self._ensure_schema()
        try:
            with self._db(), self._engine.connect() as conn:
                return list(conn.execute(statement))
        except SQLAlchemyError as exc:
            raise QuestionLogUnavailable(f"question log database unavailable: {short_error(exc)}") from None

    # ----------------------------------------------------------------- writing

    def record(
        self,
        question: str,
        kind: str,
        answered: bool,
        top_task: int | None,
        score: float | None,
        latency_ms: float,
        departments: Iterable[str] = (),
        client: str | None = None,
        *,
        ts: datetime | None = None,
        answer_id: str | None = None,
        tasks: Iterable[int] = (),
    ) -> None:
        """Queue one asked question (with the id its answer was handed out with, and the tasks it
        cited). Never raises: a problem is logged and counted."""
        if self._closed:
            with self._cond:
                self.dropped += 1
            return
        try:
            if isinstance(departments, str):
                departments = (departments,)
            row = {
                "ts": utc(ts) if ts is not None else datetime.now(timezone.utc),
                "question": mask_pii(str(question)),
                "kind": str(kind or "")[:KIND_MAX_CHARS],
                "answered": bool(answered),
                "top_task": int(top_task) if top_task is not None else None,
                "score": finite(score),
                "latency_ms": finite(latency_ms) or 0.0,
                "departments": DEPARTMENT_SEPARATOR.join(str(d).strip() for d in departments if str(d).strip()),
                "client": hash_client(str(client), self._salt) if client else None,
                "answer_id": str(answer_id) if answer_id else None,
                "tasks": TASK_SEPARATOR.join(str(int(t)) for t in tasks),
            }
            row["norm"] = normalise_question(row["question"])
        except Exception as exc:  # noqa: BLE001 - the request path must not fail because of the log
            with self._cond:
                self.failed += 1
            self._note_error("question not recorded", exc)
            return
        if self._writer is None:
            self._write([row])
            return
        with self._cond:
            if self._closed:
                self.dropped += 1
                return
            if len(self._queue) >= self._max_queue:
                self._queue.popleft()
                self.dropped += 1
            self._queue.append(row)
            # Wake the writer only when a batch starts or fills; in between it is lingering.
            if len(self._queue) == 1 or len(self._queue) >= self._batch_size:
                self._cond.notify()

    def _write(self, rows: list[dict[str, Any]]) -> bool:
        """Insert rows in one transaction. False when the database is unreachable."""
        try:
            self._ensure_schema()
            with self._db(), self._engine.begin() as conn:
                conn.execute(insert(questions), rows)
        except QuestionLogUnavailable as exc:
            self._note_error("question log write failed", exc)
            return False
        except DBAPIError as exc:
            if exc.connection_invalidated or isinstance(exc.orig, CONNECTION_ERRORS):
                self._note_error("question log write failed", exc)
                return False
            # A row the database refuses would block the queue for ever: write the
            # others one by one and drop only the refused ones.
            self._write_each(rows)
            return True
        except SQLAlchemyError as exc:
            self._note_error("question log write failed", exc)
            return False
        with self._cond:
            self.written += len(rows)
        self.last_error = None
        return True

    def _write_each(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            try:
                with self._db(), self._engine.begin() as conn:
                    conn.execute(insert(questions), [row])
                with self._cond:
                    self.written += 1
            except SQLAlchemyError as exc:
                with self._cond:
                    self.failed += 1
                self._note_error("question log row refused", exc)

    def _run_writer(self) -> None:
        backoff = 0.0
        retry_at = 0.0
        while True:
            with self._cond:
                linger_until: float | None = None
                while not self._closing:
                    now = time.monotonic()
                    if self._queue:
                        if now < retry_at and not self._flush_wanted:
                            self._cond.wait(retry_at - now)
                            continue
                        if self._flush_wanted or len(self._queue) >= self._batch_size:
                            break
                        # Gather rows for up to linger_s so a burst becomes one transaction.
                        if linger_until is None:
                            linger_until = now + self._linger_s
                        if now >= linger_until:
                            break
                        self._cond.wait(linger_until - now)
                        continue
                    if now >= self._next_purge:
                        break
                    self._cond.wait(self._next_purge - now)
                batch = [self._queue.popleft() for _ in range(min(len(self._queue), self._batch_size))]
                self._inflight = len(batch)
                if not self._queue:
                    self._flush_wanted = False
                closing = self._closing

            ok = self._write(batch) if batch else True

            with self._cond:
                self._inflight = 0
                if ok:
                    backoff = retry_at = 0.0
                else:
                    self._failures += 1
                    self._flush_wanted = False
                    self._queue.extendleft(reversed(batch))
                    while len(self._queue) > self._max_queue:
                        self._queue.popleft()
                        self.dropped += 1
                    backoff = min(30.0, max(1.0, backoff * 2))
                    retry_at = time.monotonic() + backoff
                if closing and (not ok or not self._queue):
                    if self._queue:
                        log.warning("question log closed with %d unwritten questions", len(self._queue))
                        self.dropped += len(self._queue)
                        self._queue.clear()
                    self._cond.notify_all()
                    return
                self._cond.notify_all()

            if ok and time.monotonic() >= self._next_purge:
                self._next_purge = time.monotonic() + PURGE_INTERVAL_S
                try:
                    self.purge()
                except QuestionLogUnavailable as exc:
                    self._note_error("question log purge failed", exc)

    def flush(self, timeout: float = 10.0) -> bool:
        """Write every queued question now. False if a write failed or `timeout` seconds passed."""
        if self._writer is None:
            return self.last_error is None
        deadline = time.monotonic() + timeout
        with self._cond:
            failures = self._failures
            self._flush_wanted = True
            self._cond.notify_all()
            while self._queue or self._inflight:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._failures != failures or not self._writer.is_alive():
                    return False
                self._cond.wait(remaining)
            return True

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued (waiting at most `timeout` seconds), stop the writer, release the database."""
        if self._closed:
            return
        if self._writer is not None:
            with self._cond:
                self._closing = True
                self._cond.notify_all()
            self._writer.join(timeout)
        self._closed = True
        self._engine.dispose()

    def __enter__(self) -> QuestionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stats(self) -> dict[str, Any]:
        """Writer counters: queued, written, dropped (queue full or closed), failed (refused rows)."""
        with self._cond:
            queued = len(self._queue) + self._inflight
        return {
            "queued": queued,
            "written": self.written,
            "dropped": self.dropped,
            "failed": self.failed,
            "last_error": self.last_error,
        }

    def _note_error(self, what: str, exc: BaseException) -> None:
        self.last_error = f"{what}: {short_error(exc)}"
        now = time.monotonic()
        # At most one log line a minute while the database stays down.
        if now - self._last_error_log >= 60.0:
            self._last_error_log = now
            log.warning("%s", self.last_error)

    # ----------------------------------------------------------------- retention

    def purge(self, now: datetime | None = None) -> int:
        """Delete questions older than the retention period; returns how many were deleted."""
        cutoff = utc(now or datetime.now(timezone.utc)) - timedelta(days=self.retention_days)
        self._ensure_schema()
        try:
            with self._db(), self._engine.begin() as conn:
                result = conn.execute(delete(questions).where(questions.c.ts < cutoff))
        except SQLAlchemyError as exc:
            raise QuestionLogUnavailable(f"question log database unavailable: {short_error(exc)}") from None
        deleted = max(result.rowcount or 0, 0)
        if deleted:
            log.info("purged %d questions older than %d days", deleted, self.retention_days)
        return deleted


def _close_at_exit(ref: weakref.ref[QuestionLog]) -> None:
    question_log = ref()
    if question_log is not None:
        question_log.close(timeout=2.0)
