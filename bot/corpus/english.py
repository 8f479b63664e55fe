"""English names of departments and topics (corpus/departments_en.yaml), for answers in English."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.errors import InvalidInput

ENGLISH_FILE = "departments_en.yaml"
SECTIONS = ("departments", "categories")


@dataclass(frozen=True)
class EnglishNames:
    """Chinese canonical name -> English name, for departments and for topics (without their "（一）")."""

    departments: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)

    def department(self, name: str) -> str:
        return self.departments.get(name, name)

    def category(self, title: str) -> str:
        return self.categories.get(title, title)


def load_english_names(corpus_dir: Path) -> EnglishNames:
    """Read and check the table; a corpus without one names everything in Chinese."""
    path = Path(corpus_dir) / ENGLISH_FILE
    if not path.exists():
        return EnglishNames()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or set(data) - set(SECTIONS):
        raise InvalidInput(f"{path}: expected a mapping with the sections {', '.join(SECTIONS)}")
    sections = {}
    for name in SECTIONS:
        entries = data.get(name) or {}
        if not isinstance(entries, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in entries.items()
        ):
            raise InvalidInput(f"{path}: '{name}' must map each Chinese name to a non-empty English name")
        sections[name] = {k: v.strip() for k, v in entries.items()}
    return EnglishNames(**sections)
