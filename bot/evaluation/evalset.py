"""The evaluation question set: load, validate, save deterministically, and edit safely under a file lock."""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Callable
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.answering.types import Kind, Lang
from bot.corpus.records import Corpus
from bot.errors import Conflict, InvalidInput, NotFound, validation_problems
from bot.corpus import load_corpus
from bot.evaluation.checks import (
    ID_PATTERN,
    REASONS,
    REFUSED_KINDS,
    STYLES,
    all_tasks,
    canonical_department,
    category_tasks,
    check_or_raise,
    department_aliases,
    department_tasks,
    validate,
)
from bot.storage import atomic_write_text

# The checks and constants live in checks.py; they are part of this module's interface too.
__all__ = [
    "ID_PATTERN", "REASONS", "REFUSED_KINDS", "STYLES", "EvalQuestion", "Split", "SPLITS", "FIELDS", "all_tasks",
    "canonical_department", "category_tasks", "check_or_raise", "department_aliases", "department_tasks", "validate",
    "load_evalset", "save_evalset", "dump_evalset", "add_question", "edit_question", "delete_question", "update",
    "file_etag", "etag_of", "next_id",
]
# Output key order; also the order a reviewer reads a record in.
FIELDS = (
    "id", "question", "kind", "lang", "split", "style", "tasks_any", "tasks_all", "departments", "contains", "refuse",
    "note",
)
# dev: every choice is made on it; test: reported; blind: written apart, measured once a method is frozen.
SPLITS = ("dev", "test", "blind")
Split = Literal["dev", "test", "blind"]
# The C loader when PyYAML was built with it: the set is re-read on every edit.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class EvalQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    question: str = Field(min_length=1)
    kind: Kind
    lang: Lang
    split: Split
    style: str = ""  # one of STYLES or REASONS
    tasks_any: list[int] = []  # single answer: right if the top cited task is any of these
    tasks_all: list[int] = []  # list answer: every one of these should be cited
    departments: list[str] = []  # expected lead departments, canonical, lead first
    contains: list[str] = []  # phrases the answer must contain
    refuse: bool = False
    note: str = ""

    def to_record(self) -> dict:
        """The record as saved: fixed key order, empty optional fields left out."""
        data = self.model_dump()
        return {k: data[k] for k in FIELDS if k in ("id", "question", "kind", "lang", "split") or data[k]}


# ---------------------------------------------------------------- load / save


def _parse(text: str, source: str) -> list[EvalQuestion]:
    try:
        raw = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{source}: not valid YAML: {exc}") from exc
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidInput(f"{source}: expected a list of question records")
    out = []
    for i, rec in enumerate(raw):
        if not isinstance(rec, dict):
            raise InvalidInput(f"{source}: record {i + 1} is not a mapping")
        try:
            out.append(EvalQuestion.model_validate(rec))
        except ValidationError as exc:
            rid = rec.get("id", f"#{i + 1}")
            raise InvalidInput(f"{source}: record {rid}: {validation_problems(exc)}") from exc
    return out


def load_evalset(path: Path) -> list[EvalQuestion]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise NotFound(f"eval set not found: {path}") from exc
    return _parse(text, str(path))


@lru_cache(maxsize=4096, typed=True)  # typed: True and 1 must not share an entry
def _scalar(value, flow: bool = False) -> str:
    """A YAML scalar: plain when it reads back unchanged, else a double-quoted (JSON) string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    probe = f"[{text}]" if flow else text
    try:
        plain_ok = (
            text == text.strip()
            and "\n" not in text
            and yaml.load(probe, Loader=_Loader) == ([text] if flow else text)
        )
    except yaml.YAMLError:
        plain_ok = False
    if plain_ok:
        return text
    return json.dumps(text, ensure_ascii=False)


def dump_evalset(questions: list[EvalQuestion]) -> str:
    """Deterministic YAML: one block per record, keys in FIELDS order, short lists in flow style."""
    blocks = []
    for q in questions:
        lines = []
        for key, value in q.to_record().items():
            if isinstance(value, list):
                rendered = "[" + ", ".join(_scalar(v, flow=True) for v in value) + "]"
            else:
                rendered = _scalar(value)
            lines.append(f"{'- ' if not lines else '  '}{key}: {rendered}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n" if blocks else "[]\n"


def save_evalset(path: Path, questions: list[EvalQuestion]) -> str:
    """Write atomically; return the new ETag."""
    data = dump_evalset(questions)
    atomic_write_text(Path(path), data)
    return etag_of(data.encode("utf-8"))


def etag_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_etag(path: Path) -> str:
    try:
        return etag_of(Path(path).read_bytes())
    except FileNotFoundError as exc:
        raise NotFound(f"eval set not found: {path}") from exc


# ---------------------------------------------------------------- safe edits


@contextmanager
def _locked(path: Path):
    """Exclusive lock on a sidecar file: the set itself is replaced by rename, so it cannot hold the lock."""
    lock_path = path.with_name(f".{path.name}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def update(
    path: Path,
    expected_etag: str | None,
    mutate_fn: Callable[[list[EvalQuestion]], list[EvalQuestion] | None],
    corpus: Corpus | None = None,
) -> tuple[list[EvalQuestion], str]:
    """Re-read, check the ETag (None: skip the check), apply, validate, save. Returns (questions, new ETag)."""
    path = Path(path)
    if corpus is None:
        from bot.settings import get_settings

        corpus = load_corpus(get_settings().corpus_dir)
    with _locked(path):
        data = path.read_bytes() if path.exists() else b""
        current = etag_of(data)
        if expected_etag is not None and expected_etag != current:
            raise Conflict("the eval set changed since it was read; reload and try again")
        questions = _parse(data.decode("utf-8"), str(path))
        result = mutate_fn(questions)
        if result is not None:
            questions = result
        check_or_raise(questions, corpus)
        new_etag = save_evalset(path, questions)
    return questions, new_etag


def next_id(questions: list[EvalQuestion]) -> str:
    numbers = [int(q.id[1:]) for q in questions if ID_PATTERN.match(q.id)]
    return f"q{max(numbers, default=0) + 1:04d}"


def _find(questions: list[EvalQuestion], qid: str) -> int:
    for i, q in enumerate(questions):
        if q.id == qid:
            return i
    raise NotFound(f"no eval question {qid}")


def _build(fields: dict) -> EvalQuestion:
    try:
        return EvalQuestion.model_validate(fields)
    except ValidationError as exc:
        raise InvalidInput(f"评测题字段有误 / invalid eval question: {validation_problems(exc)}") from exc


def add_question(path: Path, expected_etag: str | None, fields: dict, corpus: Corpus | None = None) -> tuple[EvalQuestion, str]:
    """Append a record; an id is assigned when none is given."""
    added: list[EvalQuestion] = []

    def mutate(questions):
        record = dict(fields)
        if not record.get("id"):
            record["id"] = next_id(questions)
        if any(q.id == record["id"] for q in questions):
            raise Conflict(f"eval question {record['id']} already exists")
        added.append(_build(record))
        return questions + added

    _, etag = update(path, expected_etag, mutate, corpus)
    return added[0], etag


def edit_question(
    path: Path, expected_etag: str | None, qid: str, fields: dict, corpus: Corpus | None = None
) -> tuple[EvalQuestion, str]:
    """Change some fields of one record; its id cannot change."""
    if "id" in fields and fields["id"] != qid:
        raise InvalidInput("the id of a question cannot be changed")
    edited: list[EvalQuestion] = []

    def mutate(questions):
        i = _find(questions, qid)
        record = questions[i].model_dump() | dict(fields)
        edited.append(_build(record))
        questions[i] = edited[0]
        return questions

    _, etag = update(path, expected_etag, mutate, corpus)
    return edited[0], etag


def delete_question(path: Path, expected_etag: str | None, qid: str, corpus: Corpus | None = None) -> str:
    def mutate(questions):
        i = _find(questions, qid)
        return questions[:i] + questions[i + 1 :]

    _, etag = update(path, expected_etag, mutate, corpus)
    return etag
