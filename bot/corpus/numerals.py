"""Chinese numerals, read the same way in policy headings and in users' questions."""

from __future__ import annotations

import unicodedata

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100}
# For regular expressions that look for a numeral.
NUMERAL_CHARS = "".join(_DIGITS) + "".join(_UNITS)


def parse_chinese_number(text: str) -> int | None:
    """'107' -> 107, '三十二' -> 32, '一百零七' -> 107; None when it is not a number."""
    text = unicodedata.normalize("NFKC", text)
    if not text:
        return None
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch in _UNITS:
            total += (current or 1) * _UNITS[ch]
            current = 0
        else:
            return None
    return total + current


def cn_number(numeral: str) -> int:
    """Chinese numeral up to 999 -> int ("八" -> 8, "十六" -> 16); ValueError when it is not one."""
    value = parse_chinese_number(numeral) if numeral and not numeral.isdigit() else None
    if value is None:
        raise ValueError(f"not a Chinese numeral: {numeral!r}")
    return value
