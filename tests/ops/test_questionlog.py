"""Tests for bot.ops.questionlog on a real SQLite file (and on a local PostgreSQL when one can be started)."""

import os
import pwd
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.errors import InvalidInput, NotFound
from bot.ops.questionlog import QuestionLog, QuestionLogUnavailable, hash_client, normalise_question

ROW_KEYS = {"id", "ts", "question", "kind", "answered", "top_task", "score", "latency_ms", "departments", "client", "answer_id", "tasks"}


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "var" / "log" / "questions.sqlite3"


@pytest.fixture
def qlog(db_path):
    log = QuestionLog(f"sqlite:///{db_path}")
    yield log
    log.close()


def ask(log, question="第107项任务由谁牵头？", **kw):
    args = {"kind": "task", "answered": True, "top_task": 107, "score": 0.8, "latency_ms": 12.5}
    args.update(kw)
    log.record(question, **args)


def raw_rows(db_path):
    with sqlite3.connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM questions ORDER BY id")]


def test_creates_directory_and_turns_on_wal(qlog, db_path):
    assert db_path.parent.is_dir()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with qlog._engine.connect() as conn:
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_masks_before_storage_and_hashes_client(qlog, db_path):
    ask(
        qlog,
        "我手机13812345678，身份证320502199001011234，邮箱a@b.cn，第107项怎么办",
        departments=["园区经发委", "园区财政局"],
        client="203.0.113.7",
    )
    assert qlog.flush()
    (row,) = raw_rows(db_path)
    assert row["question"] == "我手机〔手机号〕，身份证〔身份证号〕，邮箱〔邮箱〕，第107项怎么办"
    assert "13812345678" not in str(row) and "320502199001011234" not in str(row)
    assert row["client"] == hash_client("203.0.113.7") and len(row["client"]) == 16
    assert "203.0.113" not in str(row)
    assert row["departments"] == "园区经发委、园区财政局"
    assert row["top_task"] == 107 and row["answered"] == 1


def test_client_hash_depends_on_salt(tmp_path):
    with QuestionLog(f"sqlite:///{tmp_path / 'q.db'}", client_salt="s3cret") as log:
        ask(log, client="203.0.113.7")
        assert log.flush()
        (row,) = log.recent()
    assert row["client"] == hash_client("203.0.113.7", "s3cret") != hash_client("203.0.113.7")


def test_get_returns_the_row_shape(qlog):
    ask(qlog, departments=("园区经发委",), client="c1", score=None)
    assert qlog.flush()
    (listed,) = qlog.recent()
    row = qlog.get(listed["id"])
    assert row == listed
    assert set(row) == ROW_KEYS
    assert row["departments"] == ["园区经发委"]
    assert row["score"] is None and row["answered"] is True and row["latency_ms"] == 12.5
    ts = datetime.fromisoformat(row["ts"])
    assert ts.tzinfo is not None and abs(datetime.now(timezone.utc) - ts) < timedelta(minutes=1)
    with pytest.raises(NotFound):
        qlog.get(row["id"] + 1)
    with pytest.raises(InvalidInput):
        qlog.get("abc")


def test_recent_filters_and_pages(qlog):
    for i in range(10):
        ask(qlog, f"问题{i} 100%覆盖", answered=i % 2 == 0, score=i / 10)
    ask(qlog, "另一个问题", answered=True, score=None)
    assert qlog.flush()
    newest = qlog.recent(limit=3)
    assert [r["question"] for r in newest] == ["另一个问题", "问题9 100%覆盖", "问题8 100%覆盖"]
    assert [r["question"] for r in qlog.recent(limit=2, offset=2)] == ["问题8 100%覆盖", "问题7 100%覆盖"]
    assert len(qlog.recent(q="100%")) == 10
    assert qlog.recent(q="0%x") == []  # % is matched literally, not as a wildcard
    assert {r["answered"] for r in qlog.recent(answered=False)} == {False}
    assert qlog.count(answered=False) == 5
    assert sorted(r["score"] for r in qlog.recent(max_score=0.3)) == [0.0, 0.1, 0.2, 0.3]
    assert qlog.count() == 11 and qlog.count(q="问题") == 11
    with pytest.raises(InvalidInput):
        qlog.recent(limit=0)
    with pytest.raises(InvalidInput):
        qlog.recent(offset=-1)


def test_unanswered_and_low_confidence(qlog):
    ask(qlog, "答了", answered=True, score=0.9)
    ask(qlog, "勉强答了", answered=True, score=0.35)
    ask(qlog, "没答上", answered=False, score=0.1)
    ask(qlog, "没分数", answered=False, score=None)
    assert qlog.flush()
    assert [r["question"] for r in qlog.unanswered()] == ["没分数", "没答上"]
    assert [r["question"] for r in qlog.low_confidence(0.5)] == ["没答上", "勉强答了"]
    assert [r["question"] for r in qlog.low_confidence(0.5, answered=True)] == ["勉强答了"]
    assert qlog.low_confidence(0.05) == []


def test_top_topics_groups_tasks_and_rephrasings(qlog):
    now = datetime.now(timezone.utc)
    for q in ["第107项由谁牵头？", "请问 第107项由谁牵头", "第１０７项由谁牵头?"]:
        ask(qlog, q, top_task=107)
    for _ in range(2):
        ask(qlog, "开办企业要几天", top_task=3, answered=False)
    ask(qlog, "随便问问", top_task=None)
    # Older than the window: not counted.
    for _ in range(5):
        ask(qlog, "很久以前的问题", top_task=50, ts=now - timedelta(days=40))
    assert qlog.flush()
    topics = qlog.top_topics(limit=10, days=30)
    assert topics["total"] == 6
    assert [(t["task"], t["count"], t["unanswered"]) for t in topics["tasks"]] == [(107, 3, 0), (3, 2, 2)]
    top = topics["questions"][0]
    assert top["count"] == 3 and "107" in normalise_question(top["question"])
    assert [(q["count"], q["unanswered"]) for q in topics["questions"]] == [(3, 0), (2, 2), (1, 0)]
    assert all(q["question"] != "很久以前的问题" for q in topics["questions"])
    assert qlog.top_topics(limit=1)["tasks"] == topics["tasks"][:1]
    assert qlog.top_topics(days=60)["tasks"][0] == {**qlog.top_topics(days=60)["tasks"][0], "task": 50, "count": 5}


def test_normalise_question():
    assert normalise_question("请问，第 107 项由谁牵头？") == normalise_question("第107项由谁牵头")
    assert normalise_question("ＡＢＣ 企业") == "abc企业"


def test_purge_deletes_only_expired_rows(db_path):
    now = datetime.now(timezone.utc)
    with QuestionLog(f"sqlite:///{db_path}", retention_days=30) as log:
        ask(log, "旧的", ts=now - timedelta(days=31))
        ask(log, "新的", ts=now - timedelta(days=29))
        assert log.flush()
        assert log.count() == 2
        assert log.purge() == 1
        assert [r["question"] for r in log.recent()] == ["新的"]
        assert log.purge() == 0
        # `now` moves the cutoff: two days later the other row is expired too.
        assert log.purge(now=now + timedelta(days=2)) == 1
        assert log.count() == 0


def test_purge_runs_at_construction(db_path):
    with QuestionLog(f"sqlite:///{db_path}", retention_days=180) as log:
        ask(log, "旧的", ts=datetime.now(timezone.utc) - timedelta(days=200))
        ask(log, "新的")
        assert log.flush()
    with QuestionLog(f"sqlite:///{db_path}", retention_days=180) as log:
        assert [r["question"] for r in log.recent()] == ["新的"]


def test_concurrent_records_from_many_threads(qlog, db_path):
    threads, per_thread = 8, 300

    def worker(n):
        for i in range(per_thread):
            ask(qlog, f"线程{n}问题{i}", top_task=n, client=f"client-{n}")

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    # Admin reads while the writer is busy must work too.
    while any(t.is_alive() for t in pool):
        qlog.recent(limit=5)
        time.sleep(0.01)
    for t in pool:
        t.join()
    assert qlog.flush()
    assert qlog.count() == threads * per_thread
    rows = raw_rows(db_path)
    assert len({r["question"] for r in rows}) == threads * per_thread
    assert qlog.stats() == {"queued": 0, "written": threads * per_thread, "dropped": 0, "failed": 0, "last_error": None}


def test_record_is_cheap(qlog):
    n = 2000
    start = time.perf_counter()
    for i in range(n):
        ask(qlog, f"手机13812345678的用户问第{i}项", client="127.0.0.1", departments=["园区经发委"])
    per_record_ms = (time.perf_counter() - start) * 1000 / n
    assert qlog.flush()
    assert qlog.count() == n
    # The request path only masks and queues; the ask target is 25 ms in all.
    assert per_record_ms < 0.5, per_record_ms


def test_broken_database_never_raises_from_record(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the log directory should be")
    log = QuestionLog(f"sqlite:///{blocker / 'questions.sqlite3'}", max_queue=5)
    try:
        for i in range(20):
            ask(log, f"问题{i}")
        assert log.flush(timeout=5) is False
        stats = log.stats()
        assert stats["dropped"] == 15 and stats["queued"] == 5
        assert stats["last_error"]
        with pytest.raises(QuestionLogUnavailable):
            log.recent()
        with pytest.raises(QuestionLogUnavailable):
            log.purge()

        # The database comes back: the queued questions are written after all.
        blocker.unlink()
        blocker.mkdir()
        assert log.flush(timeout=10) or log.flush(timeout=10)
        assert [r["question"] for r in log.recent()] == [f"问题{i}" for i in range(19, 14, -1)]
    finally:
        log.close()
    ask(log, "关闭之后")  # does not raise either
    assert log.stats()["dropped"] == 16


def test_odd_values_are_recorded_not_raised(qlog):
    ask(qlog, 12345, kind="x" * 100, score=float("nan"), latency_ms=float("inf"), departments="园区经发委",
        top_task="7")
    ask(qlog, "bad task", top_task="not a number")  # cannot be stored faithfully: counted, not raised
    ask(qlog, "没有类别", kind=None)
    assert qlog.flush()
    no_kind, row = qlog.recent()
    assert no_kind["kind"] == ""
    assert row["question"] == "12345" and len(row["kind"]) == 32
    assert row["score"] is None and row["latency_ms"] == 0.0
    assert row["departments"] == ["园区经发委"] and row["top_task"] == 7
    assert qlog.stats()["failed"] == 1


def test_close_writes_what_is_queued(db_path):
    log = QuestionLog(f"sqlite:///{db_path}", linger_s=60)
    ask(log)
    log.close()
    assert len(raw_rows(db_path)) == 1


def test_synchronous_mode_and_plain_path(tmp_path):
    path = tmp_path / "sync.sqlite3"
    with QuestionLog(str(path), background=False) as log:
        ask(log)
        assert len(raw_rows(path)) == 1
        assert log.flush()


def test_in_memory_database_is_shared_across_threads():
    with QuestionLog("sqlite://") as log:
        ask(log)
        assert log.flush()
        assert log.count() == 1


@pytest.mark.parametrize(
    "url,kw",
    [
        ("", {}),
        ("nonsense://", {}),
        ("sqlite:///x.db", {"retention_days": 0}),
        ("sqlite:///x.db", {"retention_days": "7"}),
    ],
)
def test_bad_configuration_is_a_clear_error(url, kw):
    with pytest.raises(InvalidInput):
        QuestionLog(url, **kw)


def _local_postgres():
    """Start a throw-away PostgreSQL on a Unix socket; None when this machine cannot."""
    pytest.importorskip("psycopg")
    bindir = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)
    initdb = shutil.which("initdb") or (bindir and str(bindir / "initdb"))
    pg_ctl = shutil.which("pg_ctl") or (bindir and str(bindir / "pg_ctl"))
    if not initdb or not os.path.exists(initdb) or not pg_ctl:
        return None
    prefix: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="qlog-pg-"))
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            return None
        os.chown(root, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data = root / "data"
    try:
        subprocess.run([*prefix, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-w", "-l", str(root / "log"), "-o",
                        f"-k {root} -c listen_addresses='' -p 54329", "start"],
                       check=True, capture_output=True, timeout=60)
    except (subprocess.SubprocessError, OSError):
        shutil.rmtree(root, ignore_errors=True)
        return None
    return root, data, prefix, pg_ctl


@pytest.fixture(scope="module")
def postgres_url():
    started = _local_postgres()
    if started is None:
        pytest.skip("no local PostgreSQL server could be started")
    root, data, prefix, pg_ctl = started
    yield f"postgresql+psycopg://postgres@/postgres?host={root}&port=54329"
    subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, timeout=60)
    shutil.rmtree(root, ignore_errors=True)


def test_postgresql_backend(postgres_url):
    now = datetime.now(timezone.utc)
    with QuestionLog(postgres_url, retention_days=30) as log:
        with log._engine.begin() as conn:
            conn.execute(text("DELETE FROM questions"))
        ask(log, "手机13812345678 第107项？", departments=["园区经发委", "园区财政局"], client="10.0.0.1")
        ask(log, "请问，手机13912345678 第107项", answered=False, score=0.1)
        ask(log, "旧的", ts=now - timedelta(days=31))
        assert log.flush()
        assert log.count() == 3
        assert log.purge() == 1
        assert len(log.recent(q="手机")) == 2
        (first,) = log.recent(answered=True)
        assert first["question"] == "手机〔手机号〕 第107项？" and first["departments"] == ["园区经发委", "园区财政局"]
        assert datetime.fromisoformat(first["ts"]).utcoffset() == timedelta(0)
        assert [r["question"] for r in log.unanswered()] == ["请问，手机〔手机号〕 第107项"]
        assert [r["question"] for r in log.low_confidence(0.5)] == ["请问，手机〔手机号〕 第107项"]
        topics = log.top_topics()
        assert topics["tasks"] == [{**topics["tasks"][0], "task": 107, "count": 2, "unanswered": 1}]
        assert topics["questions"][0]["count"] == 2
        assert log.get(first["id"]) == first
