"""The eval set: the real file against the real corpus, deterministic saving, and safe concurrent edits."""

from __future__ import annotations

import os
import shutil
import threading
from collections import Counter

import pytest

from bot import storage
from bot.errors import Conflict, InvalidInput, NotFound
from bot.evaluation.evalset import (
    EvalQuestion,
    add_question,
    delete_question,
    dump_evalset,
    edit_question,
    file_etag,
    load_evalset,
    next_id,
    save_evalset,
    update,
    validate,
)
from bot.corpus import load_corpus
from bot.settings import PROJECT_ROOT

EVAL_FILE = PROJECT_ROOT / "eval" / "questions.yaml"


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(PROJECT_ROOT / "corpus")


@pytest.fixture(scope="module")
def questions():
    return load_evalset(EVAL_FILE)


@pytest.fixture
def copy(tmp_path):
    path = tmp_path / "questions.yaml"
    shutil.copyfile(EVAL_FILE, path)
    return path


def test_real_set_validates(questions, corpus):
    assert validate(questions, corpus) == []


def test_size_and_coverage(questions, corpus):
    assert len(questions) >= 300
    numbers = {t.number for d in corpus.documents for t in d.tasks}
    assert len(numbers) == 107
    asked = Counter(n for q in questions for n in q.tasks_any)
    splits: dict[int, set] = {}
    for q in questions:
        for n in q.tasks_any:
            splits.setdefault(n, set()).add(q.split)
    assert [n for n in numbers if asked[n] < 2] == []
    assert [n for n in numbers if not {"dev", "test"} <= splits.get(n, set())] == []


def test_minimum_counts(questions):
    kinds = Counter(q.kind for q in questions)
    assert kinds["department_tasks"] >= 15
    assert kinds["category_tasks"] >= 10
    assert kinds["task_number"] >= 12
    assert kinds["out_of_scope"] >= 30
    assert kinds["department"] >= 50 and kinds["content"] >= 50
    assert sum(q.lang == "en" for q in questions) >= 25
    assert len({q.kind for q in questions if q.lang == "en"}) >= 4


def test_every_kind_is_measured_in_both_splits(questions):
    # dev may be larger (choices are made on it); test must still measure every kind.
    for kind in {q.kind for q in questions}:
        group = [q for q in questions if q.kind == kind]
        dev = sum(q.split == "dev" for q in group)
        test = len(group) - dev
        assert dev >= 5 and test >= 5, (kind, dev, test)
        assert test / len(group) >= 0.15, kind


def test_save_load_round_trip_is_byte_stable(questions, tmp_path):
    original = EVAL_FILE.read_bytes()
    assert dump_evalset(questions).encode("utf-8") == original
    path = tmp_path / "q.yaml"
    etag = save_evalset(path, questions)
    assert path.read_bytes() == original
    assert etag == file_etag(EVAL_FILE)
    assert load_evalset(path) == questions


def test_awkward_text_survives_round_trip(tmp_path):
    tricky = [
        EvalQuestion(id="q0001", question="yes", kind="out_of_scope", lang="en", split="dev", refuse=True),
        EvalQuestion(id="q0002", question="a: b #c", kind="out_of_scope", lang="en", split="dev", refuse=True,
                     note='"quoted", [x], {y}'),
        EvalQuestion(id="q0003", question="12345", kind="out_of_scope", lang="en", split="test", refuse=True),
        EvalQuestion(id="q0004", question="第32项？", kind="task_number", lang="zh", split="test",
                     tasks_any=[32], contains=["a, b", "≥60%", "null"]),
    ]
    path = tmp_path / "q.yaml"
    save_evalset(path, tricky)
    assert load_evalset(path) == tricky
    save_evalset(path, load_evalset(path))
    assert path.read_text(encoding="utf-8") == dump_evalset(tricky)


def test_validate_reports_problems(corpus):
    def q(**kw):
        base = dict(id="q0001", question="谁管注销？", kind="department", lang="zh", split="dev",
                    tasks_any=[7], departments=["行政审批局", "园区税务局"])
        return EvalQuestion(**(base | kw))

    assert validate([q()], corpus) == []
    assert validate([q(departments=["行政审批局", "税务局"])], corpus) == []  # aliases are accepted
    assert any("does not exist" in p for p in validate([q(tasks_any=[108])], corpus))
    assert any("unknown department" in p for p in validate([q(departments=["外星局"])], corpus))
    assert any("not the lead departments" in p for p in validate([q(departments=["行政审批局"])], corpus))
    assert any("duplicate id" in p for p in validate([q(), q()], corpus))
    assert any("refuse" in p for p in validate([q(refuse=True)], corpus))
    assert any("tasks_all" in p for p in validate(
        [q(kind="department_tasks", tasks_any=[], departments=["海关"], tasks_all=[32, 33])], corpus))
    assert validate([q(kind="department_tasks", tasks_any=[], departments=["海关"],
                       tasks_all=[6, 32, 33, 34, 35, 36, 37, 38, 52, 66, 103])], corpus) == []
    # A narrower topic inside one category is a valid list; tasks from two categories are not.
    assert validate([q(kind="category_tasks", tasks_any=[], departments=[], tasks_all=[27, 28])], corpus) == []
    assert any("one category" in p for p in validate(
        [q(kind="category_tasks", tasks_any=[], departments=[], tasks_all=[26, 27])], corpus))
    # Task numbers: a pair in tasks_all, a number outside the list refused; not_stated names its task.
    assert validate([q(kind="task_number", tasks_any=[], departments=[], tasks_all=[48, 49])], corpus) == []
    assert validate([q(kind="task_number", tasks_any=[], departments=[], refuse=True)], corpus) == []
    assert any("refuse" in p for p in validate([q(kind="task_number", tasks_any=[], departments=[])], corpus))
    assert validate([q(kind="not_stated", tasks_any=[23], departments=[], refuse=True)], corpus) == []
    assert any("not_stated" in p for p in validate([q(kind="not_stated", tasks_any=[], departments=[], refuse=True)], corpus))
    assert any("style" in p for p in validate([q(style="rude")], corpus))
    assert any("out_of_scope" in p for p in validate(
        [q(kind="out_of_scope", refuse=True, departments=[])], corpus))


def test_load_rejects_bad_files(tmp_path):
    path = tmp_path / "q.yaml"
    with pytest.raises(NotFound):
        load_evalset(path)
    path.write_text("- id: q0001\n  question: x\n  kind: nonsense\n  lang: zh\n  split: dev\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="q0001"):
        load_evalset(path)
    path.write_text("a: [\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="YAML"):
        load_evalset(path)


def test_etag_conflict_raises_and_leaves_file(copy, corpus):
    before = copy.read_bytes()
    with pytest.raises(Conflict):
        update(copy, "0" * 64, lambda qs: qs[:-1], corpus)
    assert copy.read_bytes() == before


def test_add_edit_delete(copy, corpus):
    etag = file_etag(copy)
    n = max(int(q.id[1:]) for q in load_evalset(copy))
    added, etag = add_question(copy, etag, dict(
        question="保税维修能做吗", kind="content", lang="zh", split="dev",
        tasks_any=[37], departments=["园区海关", "综合协调局"]), corpus)
    assert added.id == f"q{n + 1:04d}" and etag == file_etag(copy)
    edited, etag = edit_question(copy, etag, added.id, {"question": "自贸区能做保税维修吗", "split": "test"}, corpus)
    assert load_evalset(copy)[-1] == edited and edited.split == "test"
    with pytest.raises(InvalidInput):  # the edit would break validation: nothing is written
        edit_question(copy, etag, added.id, {"tasks_any": [999]}, corpus)
    assert file_etag(copy) == etag
    with pytest.raises(NotFound):
        delete_question(copy, etag, f"q{n + 2:04d}", corpus)  # one past the question just added
    etag = delete_question(copy, etag, added.id, corpus)
    assert copy.read_bytes() == EVAL_FILE.read_bytes() and etag == file_etag(EVAL_FILE)
    with pytest.raises(Conflict):  # an old ETag is refused after a change
        delete_question(copy, file_etag(copy)[::-1], "q0001", corpus)


def test_next_id():
    assert next_id([]) == "q0001"
    qs = [EvalQuestion(id=i, question="x", kind="out_of_scope", lang="en", split="dev", refuse=True)
          for i in ("q0007", "q0002")]
    assert next_id(qs) == "q0008"


def test_interrupted_save_leaves_file_intact(copy, corpus, monkeypatch):
    before = copy.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(storage.os, "replace", boom)
    with pytest.raises(OSError):
        update(copy, file_etag(copy), lambda qs: qs[:10], corpus)
    assert copy.read_bytes() == before
    assert sorted(p.name for p in copy.parent.iterdir() if not p.name.endswith(".lock")) == ["questions.yaml"]


def test_concurrent_adds_do_not_interleave(copy, corpus):
    n = len(load_evalset(copy))
    errors = []

    def add(i):
        try:
            add_question(copy, None, dict(question=f"第{i}项是什么", kind="task_number", lang="zh",
                                          split="dev", tasks_any=[i]), corpus)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    qs = load_evalset(copy)
    assert len(qs) == n + 8 and len({q.id for q in qs}) == len(qs)
    assert validate(qs, corpus) == []
    assert os.path.exists(copy)
