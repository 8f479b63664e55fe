"""Feedback on answers in the question log, on a real SQLite file and on a local PostgreSQL, and a
log made before answer ids existed gaining them."""

import sqlite3
from datetime import datetime, timezone
import uuid

import pytest
from sqlalchemy import create_engine, inspect, text

from bot.errors import InvalidInput, NotFound
from bot.ops.questionlog import QuestionLog

# The table as the previous release created it: no answer_id, no tasks.
OLD_SCHEMA = """
CREATE TABLE questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts DATETIME NOT NULL, question TEXT NOT NULL, norm TEXT NOT NULL,
    kind VARCHAR(32) NOT NULL, answered BOOLEAN NOT NULL, top_task INTEGER, score FLOAT,
    latency_ms FLOAT NOT NULL, departments TEXT NOT NULL, client VARCHAR(16)
)
"""


def answered(log, answer_id, question="企业注销找哪个部门？", tasks=(6, 7)):
    log.record(question, "department", True, tasks[0] if tasks else None, 0.9, 10.0, ["行政审批局"], "10.0.0.1",
               answer_id=answer_id, tasks=tasks)


def check_round_trip(log):
    answered(log, "a1")
    answered(log, "a2", "第32项是什么 电话13812345678", (32,))
    # Feedback given at once finds the question still queued for writing.
    log.record_feedback("a1", False, "没写材料，联系我13812345678", "10.0.0.1")
    log.record_feedback("a2", True)
    items = log.feedback()
    assert [i["id"] for i in items] == ["a2", "a1"]
    assert items[0] == {**items[0], "helpful": True, "comment": "", "tasks": [32], "answer_kind": "department"}
    assert "13812345678" not in items[0]["question"]
    assert items[1]["tasks"] == [6, 7] and items[1]["helpful"] is False
    assert "13812345678" not in items[1]["comment"] and items[1]["comment"].startswith("没写材料")
    assert log.get(items[1]["log_id"])["answer_id"] == "a1"
    with pytest.raises(NotFound):
        log.record_feedback("never-handed-out", True)
    with pytest.raises(InvalidInput):
        log.record_feedback("a1", True, "长" * 501)


def test_feedback_round_trip_sqlite(tmp_path):
    with QuestionLog(f"sqlite:///{tmp_path / 'q.sqlite3'}") as log:
        check_round_trip(log)


def test_an_old_sqlite_log_gains_answer_ids(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(OLD_SCHEMA)
        now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        conn.execute("INSERT INTO questions (ts, question, norm, kind, answered, latency_ms, departments) "
                     "VALUES (?, '旧问题', '旧问题', 'content', 1, 1.0, '')", (now,))
    with QuestionLog(f"sqlite:///{path}") as log:
        assert log.recent()[0]["question"] == "旧问题" and log.recent()[0]["answer_id"] is None
        check_round_trip(log)
    columns = {c["name"] for c in inspect(create_engine(f"sqlite:///{path}")).get_columns("questions")}
    assert {"answer_id", "tasks"} <= columns


@pytest.fixture
def fresh_postgres(postgres_url):
    """A database of its own on the session's PostgreSQL server: this test starts from an old schema."""
    name = f"feedback_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield postgres_url.replace("/postgres?", f"/{name}?")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def test_feedback_on_postgresql_including_an_old_log(fresh_postgres):
    postgres_url = fresh_postgres
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS feedback"))
        conn.execute(text("DROP TABLE IF EXISTS questions"))
        conn.execute(text(OLD_SCHEMA.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")
                          .replace("DATETIME", "TIMESTAMP WITH TIME ZONE")))
    engine.dispose()
    with QuestionLog(postgres_url) as log:
        check_round_trip(log)
