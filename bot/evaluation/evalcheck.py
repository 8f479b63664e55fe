"""`policybot eval-set check [--repair]`: find what makes a hand-edited eval set unreadable or
invalid, and repair what can be repaired without a reader's judgement (characters YAML cannot
hold, text a write would have cleaned)."""

from __future__ import annotations

import re
import shutil
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from bot.corpus.records import Corpus
from bot.errors import InvalidInput, NotFound
from bot.evaluation.evalset import _locked, _parse, load_evalset, normalise, save_evalset, validate
from bot.storage import remove_stale_temps

__all__ = ["CheckResult", "check", "clean_stale_temps", "normalise", "repair"]

# Raw characters YAML reads as a line break (so a quoted value breaks in two) or refuses outright.
_BREAKING = re.compile("[\x85\u2028\u2029]")
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")


@dataclass
class CheckResult:
    problems: list[str] = field(default_factory=list)
    repaired: bool = False
    backup: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def clean_stale_temps(path: Path) -> list[Path]:
    """Temp files of writes killed midway; removed under the writers' lock."""
    with _locked(Path(path)):
        return remove_stale_temps(Path(path))


def _character_problems(text: str) -> list[str]:
    problems = []
    for number, line in enumerate(text.split("\n"), start=1):
        for m in _BREAKING.finditer(line):
            problems.append(f"line {number}: U+{ord(m.group(0)):04X} ({unicodedata.name(m.group(0), 'control')}) breaks the line inside a value")
        for m in _REFUSED.finditer(line):
            problems.append(f"line {number}: control character U+{ord(m.group(0)):04X} is not allowed in YAML")
    return problems


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:
        raise NotFound(f"eval set not found: {path}") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 at byte {exc.start}") from exc


def check(path: Path, corpus: Corpus) -> CheckResult:
    """Every problem of the file as it is, as readable lines naming a line or a record."""
    path = Path(path)
    text = _read(path)
    result = CheckResult(problems=_character_problems(text))
    try:
        questions = _parse(text, str(path))
    except InvalidInput as exc:
        result.problems.append(str(exc))
        return result
    for q in questions:
        clean = normalise(q)
        for key in ("id", "question", "style", "departments", "contains", "note"):
            if getattr(clean, key) != getattr(q, key):
                result.problems.append(f"{q.id}: field {key} holds invisible, control or separator characters")
    result.problems.extend(validate(questions, corpus))
    return result


def repair(path: Path, corpus: Corpus) -> CheckResult:
    """Replace the characters YAML cannot hold, clean every record as a write would, and save the
    set deterministically, keeping the original beside it (`<name>.bak-<time>`). What needs a
    reader's judgement (a wrong task number, an unknown department) is reported, not guessed."""
    path = Path(path)
    with _locked(path):
        remove_stale_temps(path)
        text = path.read_bytes().decode("utf-8", errors="replace")
        mended = _REFUSED.sub("", _BREAKING.sub(" ", text))
        try:
            questions = [normalise(q) for q in _parse(mended, str(path))]
        except InvalidInput as exc:
            return CheckResult(problems=[f"cannot repair automatically: {exc}"])
        backup = path.with_name(f"{path.name}.bak-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}")
        shutil.copy2(path, backup)
        save_evalset(path, questions)
    problems = validate(load_evalset(path), corpus)
    return CheckResult(problems=problems, repaired=True, backup=backup)
