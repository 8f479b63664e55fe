"""No write can leave the eval set unreadable: text is normalised, read back before the swap,
refused naming the field when it would not read back; hand-edited files are checked and repaired;
crashed writes leave no temp files; the file keeps its mode."""

from __future__ import annotations

import os
import stat

import pytest

from bot import cli
from bot.corpus import load_corpus
from bot.errors import InvalidInput
from bot.evaluation import evalcheck
from bot.evaluation.evalset import (
    EvalQuestion,
    add_question,
    dump_evalset,
    edit_question,
    file_etag,
    load_evalset,
    verify_readback,
)
from bot.settings import PROJECT_ROOT

EVAL_FILE = PROJECT_ROOT / "eval" / "questions.yaml"
# Line and paragraph separators, NEL, DEL, other C0/C1 controls, format characters, a lone surrogate.
HOSTILE = ["\u2028", "\u2029", "\x85", "\x7f", "\x00", "\x1b", "\x9f", "\u200b", "\ufeff", "\u202e", "\ud800", "\r\n", "\t"]


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(PROJECT_ROOT / "corpus")


@pytest.fixture(scope="module")
def real_set():
    return load_evalset(EVAL_FILE)


@pytest.fixture
def copy(tmp_path, real_set):
    """The first records of the real set: every write parses the whole file twice, so keep it small."""
    path = tmp_path / "questions.yaml"
    path.write_text(dump_evalset(real_set[:40]), encoding="utf-8")
    return path


def _refusal(question: str, note: str = "") -> dict:
    return {"question": question, "kind": "out_of_scope", "lang": "zh", "split": "dev", "refuse": True, "note": note}


@pytest.mark.parametrize("char", HOSTILE, ids=[f"U+{ord(c[0]):04X}" for c in HOSTILE])
def test_hostile_characters_in_question_and_note_read_back(copy, corpus, char):
    record, _ = add_question(copy, None, _refusal(f"企业开办找哪个部门{char}谢谢", f"来自{char}日志"), corpus)
    # What the write answered is exactly what a later read gives, and every later edit still works.
    stored = {q.id: q for q in load_evalset(copy)}[record.id]
    assert stored == record
    # A line break of any kind is kept as a line break; anything else YAML cannot hold goes.
    assert record.question in ("企业开办找哪个部门\n谢谢", "企业开办找哪个部门谢谢", "企业开办找哪个部门\t谢谢")
    assert not any(ch in record.question + record.note for ch in "\u2028\u2029\x85\x7f\x00\x1b\x9f\u200b\ufeff\u202e\ud800\r")
    edited, _ = edit_question(copy, None, record.id, {"note": "ok"}, corpus)
    assert edited.note == "ok"


def test_a_field_left_empty_by_normalisation_is_refused_naming_it(copy, corpus):
    before = file_etag(copy)
    with pytest.raises(InvalidInput, match="question"):
        add_question(copy, None, _refusal("\u200b\u2028\x7f"), corpus)
    assert file_etag(copy) == before


def test_readback_guard_names_record_and_field():
    # Built directly, so not normalised: the serialiser alone must keep it readable.
    q = EvalQuestion(id="q0001", question="企业", kind="out_of_scope", lang="zh", split="dev", refuse=True, note="a\u2028b")
    good = dump_evalset([q])
    verify_readback([q], good)  # the real serialisation escapes it
    assert "\u2028" not in good
    # What the old serialiser wrote: the separator raw, in a plain scalar.
    broken = good.replace('"a\\u2028b"', "a\u2028b")
    assert broken != good
    with pytest.raises(InvalidInput, match=r"q0001.*note"):
        verify_readback([q], broken)


def test_normalisation_leaves_the_real_set_unchanged(real_set):
    text = EVAL_FILE.read_text(encoding="utf-8")
    assert dump_evalset([evalcheck.normalise(q) for q in real_set]) == text


def test_write_keeps_the_file_mode(copy, corpus):
    os.chmod(copy, 0o644)
    add_question(copy, None, _refusal("明天天气怎么样"), corpus)
    assert stat.S_IMODE(copy.stat().st_mode) == 0o644
    os.chmod(copy, 0o640)
    add_question(copy, None, _refusal("今天天气怎么样"), corpus)
    assert stat.S_IMODE(copy.stat().st_mode) == 0o640


def test_new_file_gets_the_umask_mode_not_0600(tmp_path, corpus):
    from bot.storage import atomic_write_text

    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "new.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o644


def test_temp_files_of_a_crashed_write_are_cleaned(copy, corpus):
    leftover = copy.with_name(f".{copy.name}.k9x2_abc.tmp")
    leftover.write_text("half a file")
    other = copy.with_name(".other.yaml.abc.tmp")
    other.write_text("not ours")
    evalcheck.clean_stale_temps(copy)
    assert not leftover.exists() and other.exists()
    leftover.write_text("half a file")
    add_question(copy, None, _refusal("下周天气怎么样"), corpus)  # a write cleans them too
    assert not leftover.exists()


def _break(path):
    """A hand edit (or the old serialiser) left a raw U+2028 and a DEL in the first record's note."""
    head, sep, tail = path.read_text(encoding="utf-8").partition("\n\n")
    assert "note:" not in head
    path.write_text(head + "\n  note: 坏\u2028掉\x7f了" + sep + tail, encoding="utf-8")


def test_check_reports_a_broken_file_and_repair_fixes_it(copy, capsys):
    before = load_evalset(copy)
    _break(copy)
    with pytest.raises(InvalidInput):
        load_evalset(copy)
    assert cli.main(["eval-set", "check", "--file", str(copy)]) == 1
    out = capsys.readouterr()
    assert "line" in (out.out + out.err) and "--repair" in (out.out + out.err)

    assert cli.main(["eval-set", "check", "--file", str(copy), "--repair"]) == 0
    repaired = load_evalset(copy)
    assert repaired[0].note == "坏 掉了"  # repair cannot tell a break from a space: it was one line
    assert repaired[1:] == before[1:]
    assert list(copy.parent.glob(f"{copy.name}.bak-*")), "repair keeps the broken file beside it"
    capsys.readouterr()
    assert cli.main(["eval-set", "check", "--file", str(copy)]) == 0
    assert "ok" in capsys.readouterr().out


def test_check_names_records_that_fail_validation(copy, capsys):
    text = copy.read_text(encoding="utf-8").replace("- id: q0001\n", "- id: q0001\n  style: nonsense\n", 1)
    copy.write_text(text, encoding="utf-8")
    assert cli.main(["eval-set", "check", "--file", str(copy)]) == 1
    assert "q0001" in capsys.readouterr().out
