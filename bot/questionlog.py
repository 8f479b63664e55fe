"""Question log: every asked question, masked, written in the background to SQLite or PostgreSQL."""

from __future__ import annotations

import atexit
import hashlib
import hmac
import logging
import math
import re
import threading
import time
import unicodedata
import weakref
from collections import deque
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from bot.errors import InvalidInput, NotFound, PolicyBotError
from bot.masking import mask_pii

log = logging.getLogger(__name__)

DEPARTMENT_SEPARATOR = "、"
PURGE_INTERVAL_S = 3600.0
KIND_MAX_CHARS = 32
CLIENT_HASH_CHARS = 16

metadata = MetaData()

questions = Table(
    "questions",
    metadata,
    # BIGINT on PostgreSQL; SQLite only auto-numbers a column declared INTEGER PRIMARY KEY.
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("ts", DateTime(timezone=True), nullable=False),
    Column("question", Text, nullable=False),
    # Normalised question, the key that groups rephrasings of the same question.
    Column("norm", Text, nullable=False),
    Column("kind", String(KIND_MAX_CHARS), nullable=False),
    Column("answered", Boolean, nullable=False),
    Column("top_task", Integer, nullable=True),
    Column("score", Float, nullable=True),
    Column("latency_ms", Float, nullable=False),
    Column("departments", Text, nullable=False),
    Column("client", String(CLIENT_HASH_CHARS), nullable=True),
    Index("ix_questions_ts", "ts"),
    Index("ix_questions_norm", "norm"),
    Index("ix_questions_top_task", "top_task"),
)


class QuestionLogUnavailable(PolicyBotError):
    """The question-log database cannot be reached."""

    status_code = 503


_POLITE_PREFIX = re.compile(r"^(?:你好|您好|请问一下|请问|麻烦问一下|问一下|想问一下|我想问)+")


def normalise_question(text: str) -> str:
    """Grouping key: width- and case-folded, without spaces, punctuation or a polite opening."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch)[0] not in "PS")
    return _POLITE_PREFIX.sub("", text)


def hash_client(client: str, salt: str = "") -> str:
    """Pseudonymous client key: a prefix of HMAC-SHA256(salt, client). Never the raw id."""
    digest = hmac.new(salt.encode("utf-8"), client.encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:CLIENT_HASH_CHARS]


def _utc(ts: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; everything stored is UTC.
    return ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts.astimezone(timezone.utc)


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _parse_url(url: str) -> URL:
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("question log URL is empty")
    url = url.strip()
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InvalidInput(f"question log URL is not valid: {exc}") from None
    if parsed.drivername == "postgresql":
        # psycopg 3 is the driver the project declares; SQLAlchemy's default is psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _row_dict(row: Any) -> dict[str, Any]:
    return {
        "id": int(row.id),
        "ts": _utc(row.ts).isoformat(),
        "question": row.question,
        "kind": row.kind,
        "answered": bool(row.answered),
        "top_task": row.top_task,
        "score": row.score,
        "latency_ms": row.latency_ms,
        "departments": [d for d in row.departments.split(DEPARTMENT_SEPARATOR) if d],
        "client": row.client,
    }


_ROW_COLUMNS = [c for c in questions.c if c.name != "norm"]


class QuestionLog:
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
        self._engine = self._create_engine(_parse_url(url))
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
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine

    def _db(self):
        """Context for one unit of database work, serialised for in-memory SQLite."""
        return self._db_lock if self._db_lock is not None else _NULL_LOCK

    def _ensure_schema(self) -> None:
        if self._schema_ready:
            return
        try:
            with self._db():
                metadata.create_all(self._engine, checkfirst=True)
        except DBAPIError:
            # Two replicas creating the table at once: one loses the race; check again.
            try:
                with self._db():
                    metadata.create_all(self._engine, checkfirst=True)
            except SQLAlchemyError as exc:
                raise QuestionLogUnavailable(f"question log database unavailable: {_short(exc)}") from None
        except SQLAlchemyError as exc:
            raise QuestionLogUnavailable(f"question log database unavailable: {_short(exc)}") from None
        self._schema_ready = True

    def _read(self, statement: Any) -> list[Any]:
        self._ensure_schema()
        try:
            with self._db(), self._engine.connect() as conn:
                return list(conn.execute(statement))
        except SQLAlchemyError as exc:
            raise QuestionLogUnavailable(f"question log database unavailable: {_short(exc)}") from None

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
    ) -> None:
        """Queue one asked question. Never raises: a problem is logged and counted."""
        if self._closed:
            with self._cond:
                self.dropped += 1
            return
        try:
            if isinstance(departments, str):
                departments = (departments,)
            row = {
                "ts": _utc(ts) if ts is not None else datetime.now(timezone.utc),
                "question": mask_pii(str(question)),
                "kind": str(kind or "")[:KIND_MAX_CHARS],
                "answered": bool(answered),
                "top_task": int(top_task) if top_task is not None else None,
                "score": _finite(score),
                "latency_ms": _finite(latency_ms) or 0.0,
                "departments": DEPARTMENT_SEPARATOR.join(str(d).strip() for d in departments if str(d).strip()),
                "client": hash_client(str(client), self._salt) if client else None,
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
            if exc.connection_invalidated or isinstance(exc.orig, _CONNECTION_ERRORS):
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
        self.last_error = f"{what}: {_short(exc)}"
        now = time.monotonic()
        # At most one log line a minute while the database stays down.
        if now - self._last_error_log >= 60.0:
            self._last_error_log = now
            log.warning("%s", self.last_error)

    # ----------------------------------------------------------------- retention

    def purge(self, now: datetime | None = None) -> int:
        """Delete questions older than the retention period; returns how many were deleted."""
        cutoff = _utc(now or datetime.now(timezone.utc)) - timedelta(days=self.retention_days)
        self._ensure_schema()
        try:
            with self._db(), self._engine.begin() as conn:
                result = conn.execute(delete(questions).where(questions.c.ts < cutoff))
        except SQLAlchemyError as exc:
            raise QuestionLogUnavailable(f"question log database unavailable: {_short(exc)}") from None
        deleted = max(result.rowcount or 0, 0)
        if deleted:
            log.info("purged %d questions older than %d days", deleted, self.retention_days)
        return deleted

    # ----------------------------------------------------------------- reading

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
        limit, offset = _page(limit, offset)
        stmt = (
            select(*_ROW_COLUMNS)
            .where(*self._filters(q, answered, max_score))
            .order_by(questions.c.ts.desc(), questions.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [_row_dict(r) for r in self._read(stmt)]

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
        rows = self._read(select(*_ROW_COLUMNS).where(questions.c.id == key))
        if not rows:
            raise NotFound(f"no logged question with id {key}")
        return _row_dict(rows[0])

    def unanswered(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Questions the service did not answer, newest first."""
        return self.recent(limit=limit, offset=offset, answered=False)

    def low_confidence(
        self, threshold: float, limit: int = 50, answered: bool | None = None
    ) -> list[dict[str, Any]]:
        """Questions whose score is below `threshold`, lowest score first."""
        limit, _ = _page(limit, 0)
        where = [questions.c.score.is_not(None), questions.c.score < float(threshold)]
        if answered is not None:
            where.append(questions.c.answered.is_(bool(answered)))
        stmt = (
            select(*_ROW_COLUMNS)
            .where(*where)
            .order_by(questions.c.score.asc(), questions.c.id.desc())
            .limit(limit)
        )
        return [_row_dict(r) for r in self._read(stmt)]

    def top_topics(self, limit: int = 20, days: int = 30) -> dict[str, Any]:
        """The most asked tasks and the most asked (normalised) questions of the last `days` days."""
        limit, _ = _page(limit, 0)
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
                 "last_ts": _utc(r.last_ts).isoformat()}
                for r in tasks
            ],
            "questions": [
                {"question": r.question, "count": int(r.n), "unanswered": int(r.unanswered or 0),
                 "last_ts": _utc(r.last_ts).isoformat()}
                for r in asked
            ],
        }


def _close_at_exit(ref: weakref.ref[QuestionLog]) -> None:
    question_log = ref()
    if question_log is not None:
        question_log.close(timeout=2.0)


def _page(limit: int, offset: int) -> tuple[int, int]:
    try:
        limit, offset = int(limit), int(offset)
    except (TypeError, ValueError):
        raise InvalidInput("limit and offset must be whole numbers") from None
    if not 1 <= limit <= 1000 or offset < 0:
        raise InvalidInput("limit must be between 1 and 1000 and offset must not be negative")
    return limit, offset


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets admin reads run beside the writer; NORMAL sync is durable under WAL
        # except for the last transactions on power loss, which a log can afford.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _short(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


class _NullLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_NULL_LOCK = _NullLock()


def _connection_errors() -> tuple[type[BaseException], ...]:
    import sqlite3

    errors: list[type[BaseException]] = [sqlite3.OperationalError]
    try:
        import psycopg

        errors.append(psycopg.OperationalError)
    except ImportError:
        pass
    return tuple(errors)


_CONNECTION_ERRORS = _connection_errors()
