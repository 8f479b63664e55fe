"""How people name departments and topics (corpus/vocabulary.yaml), and finding those names in text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.errors import InvalidInput

VOCABULARY_FILE = "vocabulary.yaml"
SECTIONS = ("departments", "categories", "glossary")


@dataclass(frozen=True)
class Vocabulary:
    """Each section maps a canonical name (a department, a topic, a policy term) to other forms of it."""

    departments: dict[str, list[str]] = field(default_factory=dict)
    categories: dict[str, list[str]] = field(default_factory=dict)
    glossary: dict[str, list[str]] = field(default_factory=dict)


def load_vocabulary(corpus_dir: Path) -> Vocabulary:
    """Read and check the vocabulary file; a corpus without one has an empty vocabulary."""
    path = Path(corpus_dir) / VOCABULARY_FILE
    if not path.exists():
        return Vocabulary()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: expected a mapping with {', '.join(SECTIONS)}")
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise InvalidInput(f"{path}: unknown section(s) {unknown}; expected {', '.join(SECTIONS)}")
    sections = {}
    for name in SECTIONS:
        entries = data.get(name) or {}
        if not isinstance(entries, dict):
            raise InvalidInput(f"{path}: '{name}' must map each name to a list of forms")
        for key, forms in entries.items():
            if not isinstance(key, str) or not isinstance(forms, list) or not all(isinstance(f, str) and f for f in forms):
                raise InvalidInput(f"{path}: {name} → {key!r} must be a list of non-empty strings")
        sections[name] = {key: list(forms) for key, forms in entries.items()}
    return Vocabulary(**sections)


# An office's name is shortened by the first character of each two-character word before the
# office word: 综合协调局 → 综协局, 宣传和统战部 → 宣统部, 市场监管局 → 市监局, 企业服务中心 → 企服中心.
_OFFICE_WORDS = ("中心", "局", "委", "部", "办")
_JOINERS = re.compile("[和与及]")


def abbreviation(name: str) -> str | None:
    """The customary short form of a department's name, or None when it has none of that shape."""
    office = next((o for o in _OFFICE_WORDS if name.endswith(o)), None)
    if office is None:
        return None
    stem = _JOINERS.sub("", name[: -len(office)].removeprefix("园区"))  # 园区 says where, not what
    if len(stem) != 4 or not all("\u4e00" <= ch <= "\u9fff" for ch in stem):
        return None
    return stem[0] + stem[2] + office


class SurfaceMatcher:
    """Finds canonical names by their surface forms in text, longest form first."""

    def __init__(self, forms: dict[str, list[str]]):
        pairs = [(f.lower(), name) for name, fs in forms.items() for f in {name, *fs} if f]
        # English forms match whole words only; compiled once here, not on every question.
        self._pairs = [
            (form, name, re.compile(rf"(?<![a-z]){re.escape(form)}(?![a-z])") if form.isascii() else None)
            for form, name in sorted(pairs, key=lambda p: -len(p[0]))
        ]

    def find(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFKC", text).lower()
        found: list[str] = []
        for form, name, word in self._pairs:
            if (word.search(text) if word else form in text):
                if name not in found:
                    found.append(name)
                text = text.replace(form, " ")
        return found
