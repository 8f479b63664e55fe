"""The question log's table, its row helpers and the database plumbing shared by writer and queries."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import unicodedata
from datetime import datetime, timezone
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
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.errors import InvalidInput, PolicyBotError

DEPARTMENT_SEPARATOR = "、"
KIND_MAX_CHARS = 32
CLIENT_HASH_CHARS = 16
ANSWER_ID_MAX_CHARS = 64
TASK_SEPARATOR = ","

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
    # The opaque id the answer was handed out with (feedback names it), and the tasks it cited.
    Column("answer_id", String(ANSWER_ID_MAX_CHARS), nullable=True),
    Column("tasks", Text, nullable=True),
    Index("ix_questions_ts", "ts"),
    Index("ix_questions_norm", "norm"),
    Index("ix_questions_top_task", "top_task"),
    Index("ix_questions_answer_id", "answer_id"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("ts", DateTime(timezone=True), nullable=False),
    Column("answer_id", String(ANSWER_ID_MAX_CHARS), nullable=False),
    Column("helpful", Boolean, nullable=False),
    Column("comment", Text, nullable=False),
    Column("client", String(CLIENT_HASH_CHARS), nullable=True),
    Index("ix_feedback_ts", "ts"),
    Index("ix_feedback_answer_id", "answer_id"),
)

# Columns added after the first release: a log created before them gains them at start.
ADDED_COLUMNS = {"questions": ("answer_id", "tasks")}


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


def utc(ts: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; everything stored is UTC.
    return ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts.astimezone(timezone.utc)


def finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def parse_url(url: str) -> URL:
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


def row_dict(row: Any) -> dict[str, Any]:
    return {
        "id": int(row.id),
        "ts": utc(row.ts).isoformat(),
        "question": row.question,
        "kind": row.kind,
        "answered": bool(row.answered),
        "top_task": row.top_task,
        "score": row.score,
        "latency_ms": row.latency_ms,
        "departments": [d for d in row.departments.split(DEPARTMENT_SEPARATOR) if d],
        "client": row.client,
        "answer_id": row.answer_id,
        "tasks": parse_tasks(row.tasks),
    }


def parse_tasks(text: str | None) -> list[int]:
    return [int(t) for t in (text or "").split(TASK_SEPARATOR) if t.strip().isdigit()]


def add_missing_columns(engine: Any) -> None:
    """Bring a log made by an earlier version up to this schema (SQLite and PostgreSQL alike):
    add the columns it lacks, then create the indexes on them."""
    from sqlalchemy import inspect

    with engine.begin() as conn:
        present = {c["name"] for c in inspect(conn).get_columns("questions")}
        for name in ADDED_COLUMNS["questions"]:
            if name not in present:
                column = questions.c[name]
                ddl = f"ALTER TABLE questions ADD COLUMN {name} {column.type.compile(dialect=conn.dialect)}"
                conn.exec_driver_sql(ddl)
        for index in questions.indexes:
            index.create(conn, checkfirst=True)


ROW_COLUMNS = [c for c in questions.c if c.name != "norm"]


def page(limit: int, offset: int) -> tuple[int, int]:
    try:
        limit, offset = int(limit), int(offset)
    except (TypeError, ValueError):
        raise InvalidInput("limit and offset must be whole numbers") from None
    if not 1 <= limit <= 1000 or offset < 0:
        raise InvalidInput("limit must be between 1 and 1000 and offset must not be negative")
    return limit, offset


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets admin reads run beside the writer; NORMAL sync is durable under WAL
        # except for the last transactions on power loss, which a log can afford.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def short_error(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


class NullLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


NULL_LOCK = NullLock()


def connection_errors() -> tuple[type[BaseException], ...]:
    import sqlite3

    errors: list[type[BaseException]] = [sqlite3.OperationalError]
    try:
        import psycopg

        errors.append(psycopg.OperationalError)
    except ImportError:
        pass
    return tuple(errors)


CONNECTION_ERRORS = connection_errors()
