"""Characters that draw nothing. A question or a log entry is read without them before anything else:
zero-width spaces typed (or pasted) between the characters of 企业注销 must neither change the answer
nor split a phone number so that masking misses it."""

from __future__ import annotations

import regex

# Default_Ignorable_Code_Point is Unicode's own list of what a renderer draws as nothing (format
# characters, Hangul fillers, the combining grapheme joiner, variation selectors, tag characters,
# Khmer inherent vowels); Cf covers the remaining format controls; U+2800, the braille blank, draws
# nothing too and is a favourite filler.
_INVISIBLE = regex.compile(r"[\p{Default_Ignorable_Code_Point}\p{Cf}\u2800]+")


def strip_invisible(text: str) -> str:
    return _INVISIBLE.sub("", text)
