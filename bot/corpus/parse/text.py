"""Text repair (pure functions): LaTeX, spacing, markup, headings, sentence splitting, page-break joins."""

from __future__ import annotations

import re
import unicodedata

_CN_NUMERAL = "零一二三四五六七八九十百"
PART_RE = re.compile(rf"^([{_CN_NUMERAL}]+)、\s*(.+)$")
SECTION_RE = re.compile(rf"^[（(]\s*([{_CN_NUMERAL}]+)\s*[）)]\s*(.+)$")

# LaTeX the converter left inside $…$ (e.g. "$\geq 60\%$" for "≥60%").
_LATEX_COMMANDS = {
    r"\geq": "≥", r"\ge": "≥", r"\leq": "≤", r"\le": "≤", r"\neq": "≠", r"\approx": "≈",
    r"\times": "×", r"\div": "÷", r"\pm": "±", r"\cdot": "·", r"\sim": "~",
    r"\rightarrow": "→", r"\to": "→", r"\%": "%", r"\$": "$",
}
_LATEX_COMMAND_RE = re.compile("|".join(re.escape(c) + r"(?![A-Za-z])" for c in sorted(_LATEX_COMMANDS, key=len, reverse=True)))
_LATEX_INLINE_RE = re.compile(r"\$([^$\n]+?)\$")


def repair_latex(text: str) -> str:
    r"""Turn inline LaTeX into plain text: "压缩比 $\geq 60\%$" -> "压缩比 ≥60%".

    A math span holding a command we do not know is left as it is, to be seen and fixed."""

    def plain(match: re.Match) -> str:
        inner = _LATEX_COMMAND_RE.sub(lambda m: _LATEX_COMMANDS[m.group(0)], match.group(1))
        inner = inner.replace("{", "").replace("}", "")
        if "\\" in inner:
            return match.group(0)
        return re.sub(r"\s+", "", inner)

    return _LATEX_INLINE_RE.sub(plain, text)


_QUOTE_PUNCT = set("‘’“”…—·《》「」『』【】〔〕")


def _is_wide(ch: str) -> bool:
    """CJK characters and full-width punctuation: no space belongs next to them."""
    return ch in _QUOTE_PUNCT or unicodedata.east_asian_width(ch) in ("W", "F")


def normalise_spaces(text: str) -> str:
    """Drop spaces next to a CJK character or full-width punctuation; keep one space between
    two Latin/digit tokens ("扩大至 10 亿元" -> "扩大至10亿元", "mRNA 疫苗" -> "mRNA疫苗",
    "Free Trade" stays)."""
    text = re.sub(r"\s+", " ", text).strip()
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch == " ":
            before, after = text[i - 1], text[i + 1]
            if _is_wide(before) or _is_wide(after):
                continue
        out.append(ch)
    return "".join(out)


def squash(text: str) -> str:
    """All whitespace removed (cells and headings carry wrap damage: "科创 委")."""
    return re.sub(r"\s+", "", text)


def clean_text(text: str) -> str:
    """All inline repairs: LaTeX, then whitespace."""
    return normalise_spaces(repair_latex(text))


def strip_markup(text: str) -> str:
    """Remove bold/HTML emphasis the converter left around headings and table cells."""
    text = re.sub(r"</?(?:b|strong|em|i)>", "", text, flags=re.IGNORECASE)
    return text.replace("**", "").replace("__", "")


def heading_text(line: str) -> str | None:
    """The heading's text if the line is a heading in any of the converter's styles
    (# … ####, a whole-line **bold**, a whole-line <b>bold</b>), else None."""
    if "\t" in line:
        return None
    s = line.strip()
    m = re.match(r"^#{1,6}\s*(.*)$", s)
    if m:
        return clean_text(strip_markup(m.group(1)))
    if re.fullmatch(r"\*\*(.+)\*\*", s) or re.fullmatch(r"<b>(.+)</b>", s, flags=re.IGNORECASE):
        return clean_text(strip_markup(s))
    return None


def normalise_category(cell: str) -> str:
    """"(二) 办理建筑 许可" / "（八） 知识产权 保护" -> "（二）办理建筑许可" / "（八）知识产权保护"."""
    text = re.sub(r"\s+", "", clean_text(strip_markup(cell)))
    return text.replace("(", "（").replace(")", "）")


_TERMINAL = "。！？；!?;"
_CLOSERS = "”’）)》」』】"
_QUOTE_CLOSERS = "”’」』"  # a stop right inside a closing quote ends the sentence: “……。”
_OPENERS = {"“": "”", "‘": "’", "（": "）", "(": ")", "《": "》", "「": "」", "『": "』", "【": "】"}


def ends_sentence(text: str) -> bool:
    """Whether text ends a sentence or clause (closing quotes and brackets looked through)."""
    core = text.rstrip().rstrip(_CLOSERS)
    return bool(core) and core[-1] in _TERMINAL + "：:"


def should_join(previous: str, following: str) -> bool:
    """A page break split one paragraph in two: the first half stops mid-sentence, and one of
    the halves is prose (a comma or full stop before, or a sentence end after). Labels such as
    a signature line followed by a date are not joined."""
    if ends_sentence(previous) or is_attachment_reference(following) or is_attachment_marker(following):
        return False
    return bool(set(previous) & set("。；！？，、")) or ends_sentence(following)


def split_sentences(text: str) -> list[str]:
    """Split after 。！？； (kept), never inside quotes or brackets; a closing quote right after
    the mark stays with its sentence. Unbalanced brackets fall back to a plain split."""

    def split(track_depth: bool) -> list[str] | None:
        out, start, stack, i = [], 0, [], 0
        while i < len(text):
            ch = text[i]
            if track_depth and ch in _OPENERS and not (ch == "‘" and "’" not in text[i:]):
                stack.append(_OPENERS[ch])
            elif track_depth and stack and ch == stack[-1]:
                stack.pop()
            elif ch in _TERMINAL:
                j = i + 1
                depth = list(stack)
                while j < len(text) and text[j] in _QUOTE_CLOSERS and depth and text[j] == depth[-1]:
                    depth.pop()
                    j += 1
                if not depth:
                    out.append(text[start:j])
                    start, stack, i = j, depth, j
                    continue
            i += 1
        if track_depth and stack:
            return None
        if start < len(text):
            out.append(text[start:])
        return [s for s in (x.strip() for x in out) if s]

    return split(True) or split(False) or []


def lead_phrase(sentences: list[str]) -> str:
    """A short opening sentence with no inner punctuation, followed by more, is the
    paragraph's topic line ("便利市场主体登记设立。"); returns it without the stop, or ""."""
    if len(sentences) < 2:
        return ""
    first = sentences[0]
    core = first.rstrip(_TERMINAL)
    if first[-1:] == "。" and len(core) <= 20 and not re.search(r"[，、；：,;:]", core):
        return core
    return ""


def is_attachment_reference(text: str) -> bool:
    """ "附件：…任务清单" — the body's pointer to its attachment."""
    return bool(re.match(r"^附件\s*\d*\s*[：:]", text))


def is_attachment_marker(text: str) -> bool:
    """ "附件" (or "附件1") alone on a line — where the attachment begins."""
    return bool(re.fullmatch(r"附件\s*\d*", text.strip()))
