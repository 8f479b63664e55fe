"""Chinese numerals as written in headings and questions."""

from __future__ import annotations

import pytest

from bot.corpus.numerals import parse_chinese_number


@pytest.mark.parametrize(
    "text, expected",
    [
        ("107", 107),
        ("7", 7),
        ("三十二", 32),
        ("一百零七", 107),
        ("十", 10),
        ("十五", 15),
        ("二十", 20),
        ("两", 2),
        ("一百", 100),
        ("１０７", 107),  # full-width digits
        ("３２", 32),
    ],
)
def test_parse_chinese_number(text, expected):
    assert parse_chinese_number(text) == expected


@pytest.mark.parametrize("text", ["abc", "三十x", "第三", "12a"])
def test_parse_chinese_number_rejects_non_numbers(text):
    assert parse_chinese_number(text) is None


def test_parse_chinese_number_empty_is_not_a_number():
    assert parse_chinese_number("") is None
