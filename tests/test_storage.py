"""bot/storage.py replace_directory: a finished directory replaces the old one in one rename."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage import replace_directory


def _dir(path: Path, text: str) -> Path:
    path.mkdir()
    (path / "file.txt").write_text(text, encoding="utf-8")
    return path


def test_a_new_directory_takes_the_place_of_the_old(tmp_path):
    target = _dir(tmp_path / "model", "old")
    replace_directory(_dir(tmp_path / ".model.tmp", "new"), target, complete=Path.is_dir)
    assert (target / "file.txt").read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # nothing left beside it


def test_a_missing_target_is_created(tmp_path):
    target = tmp_path / "model"
    replace_directory(_dir(tmp_path / ".model.tmp", "new"), target, complete=Path.is_dir)
    assert (target / "file.txt").read_text(encoding="utf-8") == "new"


def test_a_failed_rename_stands_unless_the_target_is_complete(tmp_path):
    missing = tmp_path / "never-written"  # renaming a directory that does not exist fails
    with pytest.raises(OSError):
        replace_directory(missing, tmp_path / "model", complete=Path.is_dir)
    # As when another process put its complete result there first: kept, no error.
    replace_directory(missing, tmp_path / "model", complete=lambda target: True)
