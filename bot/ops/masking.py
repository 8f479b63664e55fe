"""Masks personal data (phone numbers, ID-card and bank-card numbers, e-mail addresses) in free text."""

from __future__ import annotations

import re

from bot.errors import InvalidInput

MOBILE_TAG = "〔手机号〕"
ID_CARD_TAG = "〔身份证号〕"
EMAIL_TAG = "〔邮箱〕"
LANDLINE_TAG = "〔电话〕"
BANK_CARD_TAG = "〔卡号〕"


def _probe_table() -> dict[int, str]:
    # One character in, one character out, so a span found in the probe is the same span
    # in the original text: full-width digits, letters, @, +, parentheses and dashes are
    # matched as their ASCII forms without rewriting the text that is kept.
    table = {code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}
    table[0x3000] = " "
    for dash in "\u2010\u2011\u2012\u2013\u2014\u2212":
        table[ord(dash)] = "-"
    return table


_PROBE = _probe_table()

# A run of digits directly followed by a unit is a quantity, not a number to hide
# ("15000000000元", "13800000000千瓦时").
_NOT_QUANTITY = (
    r"(?![0-9]|\.[0-9])(?!\s*(?:[%元万亿千百个家项人户次件年月日号台套吨米瓦度]|平方|美元|kw|KW|kW|mw|MW))"
)
_NO_DIGIT_BEFORE = r"(?<![0-9])"
_SEP = r"[ -]?"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

_DATE_YYYYMMDD = r"(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
_DATE_YYMMDD = r"[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
# Six-digit region code, birth date, sequence number, check character; the check digit is
# not verified on purpose: a mistyped number is still somebody's.
_ID_CARD_18 = re.compile(
    rf"{_NO_DIGIT_BEFORE}[1-9][0-9]{{5}}{_SEP}{_DATE_YYYYMMDD}{_SEP}[0-9]{{3}}[0-9Xx](?![0-9A-Za-z])"
)
_ID_CARD_15 = re.compile(rf"{_NO_DIGIT_BEFORE}[1-9][0-9]{{5}}{_DATE_YYMMDD}[0-9]{{3}}(?![0-9A-Za-z])")

# Grouped digits only from card-issuer leading digits, so "2023 2024 2025 2026" stays.
_BANK_CARD = re.compile(
    rf"{_NO_DIGIT_BEFORE}(?:[0-9]{{16,19}}|[3-69][0-9]{{3}}(?:[ -][0-9]{{4}}){{3}}(?:[ -]?[0-9]{{1,3}})?)"
    rf"{_NOT_QUANTITY}"
)

# 1[3-9]x-xxxx-xxxx, optionally after +86 / 0086 / 86 (also "(+86)").
_MOBILE = re.compile(
    rf"{_NO_DIGIT_BEFORE}(?:(?:\(\+?86\)|(?:\+|00)?86){_SEP})?1[3-9][0-9](?:{_SEP}[0-9]{{4}}){{2}}{_NOT_QUANTITY}"
)

# Area code (010, 02x, 0xxx) then a 7- or 8-digit local number, optional extension.
_AREA = r"0(?:10|2[0-9]|[3-9][0-9]{2})"
_LOCAL = r"[0-9]{3,4}[ -]?[0-9]{4}"
_EXTENSION = r"(?:(?:-|转|ext\.?\s?|#)[0-9]{1,5})?"
_LANDLINE = re.compile(
    rf"(?:\({_AREA}\)\s?|{_NO_DIGIT_BEFORE}{_AREA}{_SEP}){_LOCAL}{_EXTENSION}{_NOT_QUANTITY}"
)
# A local number without area code is only recognisable by the word in front of it.
_LANDLINE_AFTER_WORD = re.compile(
    rf"(?<!热线)(?:电话|座机|固话|传真|联系方式|[Tt]el|TEL)(?:号码)?(?:是|为)?\s*:?\s*"
    rf"({_NO_DIGIT_BEFORE}{_LOCAL}{_EXTENSION}){_NOT_QUANTITY}"
)

# Earlier patterns win where matches overlap: an e-mail address may hold a phone number
# and an 18-digit ID number is also a 16-19 digit run.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_EMAIL, EMAIL_TAG),
    (_ID_CARD_18, ID_CARD_TAG),
    (_BANK_CARD, BANK_CARD_TAG),
    (_ID_CARD_15, ID_CARD_TAG),
    (_MOBILE, MOBILE_TAG),
    (_LANDLINE, LANDLINE_TAG),
)


def _spans(probe: str) -> list[tuple[int, int, str]]:
    taken: list[tuple[int, int, str]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e, _ in taken)

    for pattern, tag in _PATTERNS:
        for m in pattern.finditer(probe):
            if free(m.start(), m.end()):
                taken.append((m.start(), m.end(), tag))
    for m in _LANDLINE_AFTER_WORD.finditer(probe):
        # Only the number is replaced; the word before it stays.
        start, end = m.start(1), m.end(1)
        if free(start, end):
            taken.append((start, end, LANDLINE_TAG))
    return sorted(taken)


def mask_pii(text: str) -> str:
    """Return `text` with personal numbers and addresses replaced by tags such as 〔手机号〕."""
    if not isinstance(text, str):
        raise InvalidInput(f"mask_pii expects text, got {type(text).__name__}")
    # Every pattern needs an @ or at least seven digits: most questions stop here.
    if "@" not in text and "＠" not in text and sum(map(str.isdigit, text)) < 7:
        return text
    probe = text.translate(_PROBE)
    out: list[str] = []
    pos = 0
    for start, end, tag in _spans(probe):
        out.append(text[pos:start])
        out.append(tag)
        pos = end
    out.append(text[pos:])
    return "".join(out)
