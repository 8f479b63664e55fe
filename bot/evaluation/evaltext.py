"""Text that the eval set's YAML always reads back as written: normalised fields and safe scalars.

YAML treats U+2028, U+2029 and U+0085 as line breaks and refuses DEL, most C0/C1 controls, lone
surrogates and U+FFFE/U+FFFF; a note or question holding one (a logged question promoted into the set
can) made the whole file unreadable. Every field is cleaned before it is stored, and whatever
still needs it is escaped when quoted.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache

import yaml

# The C loader when PyYAML was built with it: the set is re-read on every edit.
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Identifier fields: NFKC makes a full-width "ｑ０００１" or "ｓｔｙｌｅ" the ASCII name it stands for.
# Everything else is kept as typed: department names are canonical with full-width brackets
# (党政办（大数据局）), the noisy style holds full-width forms on purpose, and phrases are matched
# against the policy's own text.
NFKC_FIELDS = ("id", "style")
TEXT_FIELDS = ("id", "question", "style", "departments", "contains", "note")
# Questions and notes may hold line breaks (a pasted dialogue); in the other fields a break is a space.
MULTILINE_FIELDS = ("question", "note")
_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1f\x85\u2028\u2029]")
_KEPT_CONTROLS = frozenset("\t\n")
_DROPPED = frozenset(("Cc", "Cf", "Cs"))
# Characters YAML cannot hold raw in a double-quoted scalar (or would fold into a space).
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


def clean_text(text: str, nfkc: bool = False, multiline: bool = False) -> str:
    """Line breaks of every kind become "\\n" (or a space where a field is one line); other control,
    format (zero-width, bidi) and surrogate characters and non-characters are dropped; ends are
    trimmed. Spaces are kept as typed (U+3000 between words is usual)."""
    if nfkc:
        text = unicodedata.normalize("NFKC", text.encode("utf-8", "ignore").decode("utf-8"))
    text = _BREAKS.sub("\n", text)
    if not multiline:
        text = text.replace("\n", " ")
    kept = (
        ch
        for ch in text
        if ch in _KEPT_CONTROLS or (unicodedata.category(ch) not in _DROPPED and ch not in "\ufffe\uffff")
    )
    return "".join(kept).strip()


def normalise_fields(fields: dict) -> dict:
    """A record's fields with every text value cleaned (lists item by item, empty items dropped)."""
    out = dict(fields)
    for key in TEXT_FIELDS:
        value = out.get(key)
        options = {"nfkc": key in NFKC_FIELDS, "multiline": key in MULTILINE_FIELDS}
        if isinstance(value, str):
            out[key] = clean_text(value, **options)
        elif isinstance(value, list):
            items = [clean_text(v, **options) if isinstance(v, str) else v for v in value]
            out[key] = [v for v in items if v != ""]
    return out


def _escape(match: re.Match) -> str:
    return f"\\u{ord(match.group(0)):04x}"


@lru_cache(maxsize=4096, typed=True)  # typed: True and 1 must not share an entry
def scalar(value, flow: bool = False) -> str:
    """A YAML scalar: plain when it reads back unchanged, else a double-quoted string."""
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
            and not _UNSAFE.search(text)
            and yaml.load(probe, Loader=Loader) == ([text] if flow else text)
        )
    except (yaml.YAMLError, UnicodeError):
        plain_ok = False
    if plain_ok:
        return text
    # JSON's double-quoted string is YAML's, except for the characters YAML reads differently.
    return _UNSAFE.sub(_escape, json.dumps(text, ensure_ascii=False))
