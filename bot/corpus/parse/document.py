"""A policy document's Markdown -> typed Document: blocks, headings, paragraphs, and its task table."""

from __future__ import annotations

from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from bot.corpus.departments import DepartmentTable
from bot.corpus.numerals import cn_number
from bot.corpus.parse.tasks import parse_task_rows
from bot.corpus.parse.text import (
    PART_RE,
    SECTION_RE,
    clean_text,
    heading_text,
    is_attachment_marker,
    is_attachment_reference,
    lead_phrase,
    should_join,
    split_sentences,
    squash,
)
from bot.corpus.records import Document, Paragraph, Part, Section, Sentence

@dataclass
class _Block:
    kind: str  # "heading" | "text" | "row"
    text: str  # cleaned text (headings, text); the raw line (rows)
    line: int  # 1-based line number, for error messages
    gap_before: bool = False  # whether a blank line or more separates it from the previous block


def read_blocks(text: str) -> list[_Block]:
    """Lines -> headings, table rows and text blocks; consecutive text lines form one block."""
    blocks: list[_Block] = []
    gap = False
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            gap = True
            continue
        if "\t" in line:
            blocks.append(_Block("row", line, n, gap))
        elif (h := heading_text(line)) is not None:
            if h:
                blocks.append(_Block("heading", h, n, gap))
        elif blocks and blocks[-1].kind == "text" and not gap:
            blocks[-1].text = clean_text(blocks[-1].text + " " + line)
        else:
            blocks.append(_Block("text", clean_text(line), n, gap))
        gap = False
    return blocks


def join_page_breaks(texts: list[str | None]) -> list[str]:
    """Consecutive text blocks of one container -> paragraphs, page-break halves joined.
    None marks a barrier (a heading stood there): nothing is joined across it."""
    out: list[str] = []
    joinable = False
    for t in texts:
        if t is None:
            joinable = False
            continue
        if joinable and should_join(out[-1], t):
            out[-1] = clean_text(out[-1] + " " + t)
        else:
            out.append(t)
        joinable = True
    return out


def _paragraphs(texts: list[str | None], prefix: str, leads: bool) -> tuple[Paragraph, ...]:
    out = []
    for k, text in enumerate(join_page_breaks(texts), start=1):
        pid = f"{prefix}.para{k}"
        parts = split_sentences(text)
        sentences = tuple(Sentence(f"{pid}.sent{j}", s) for j, s in enumerate(parts, start=1))
        out.append(Paragraph(pid, text, sentences, lead_phrase(parts) if leads else ""))
    return tuple(out)


@dataclass(frozen=True)
class DocumentMeta:
    id: str
    title: str = ""
    doc_number: str = ""
    date: str = ""
    issuer: str = ""
    source: str = ""


def _is_title(heading: str, title: str) -> bool:
    if not title:
        return False
    a, b = squash(heading), squash(title)
    return a == b or SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.9


class _Container:
    """Text blocks collected under one heading, kept in order, joined on close."""

    def __init__(self, prefix: str, leads: bool = False) -> None:
        self.prefix, self.leads = prefix, leads
        self.texts: list[str | None] = []

    def barrier(self) -> None:
        self.texts.append(None)

    def paragraphs(self) -> tuple[Paragraph, ...]:
        return _paragraphs(self.texts, self.prefix, self.leads)


def parse_document(text: str, meta: DocumentMeta, table: DepartmentTable | None = None) -> Document:
    """Markdown text -> Document (tasks not yet linked to the body; see link_tasks)."""
    blocks = read_blocks(text)
    doc_id = meta.id
    # Without a title in the manifest, the first heading that is not a part or section is it.
    title = meta.title or next(
        (b.text for b in blocks if b.kind == "heading" and not PART_RE.match(b.text) and not SECTION_RE.match(b.text)),
        doc_id,
    )
    has_title = any(b.kind == "heading" and _is_title(b.text, title) for b in blocks)

    front = _Container(f"{doc_id}/front")
    preamble = _Container(f"{doc_id}/pre")
    closing = _Container(f"{doc_id}/end")
    front_heading = ""
    attachment_title = ""
    parts: list[dict] = []  # {"number","title","heading","own": _Container, "sections": [...]}
    rows: list[_Block] = []
    zone = "front" if has_title else "body"
    current: _Container | None = front if has_title else preamble

    def new_part(number: int, ptitle: str, heading: str) -> dict:
        part = {"number": number, "title": ptitle, "heading": heading, "sections": [],
                "own": _Container(f"{doc_id}/p{len(parts) + 1}")}
        parts.append(part)
        return part

    for b in blocks:
        if b.kind == "row":
            rows.append(b)
            zone = "after_table"
            current = None
            closing.barrier()
            continue
        if b.kind == "heading":
            if zone == "front":
                if _is_title(b.text, title):
                    zone, current = "body", preamble
                else:
                    front_heading = b.text
                    front.barrier()
                continue
            if zone in ("body", "closing") and is_attachment_marker(b.text):
                zone, current = "attachment", None
                continue
            if zone == "body":
                if m := PART_RE.match(b.text):
                    part = new_part(cn_number(m.group(1)), m.group(2), b.text)
                    current = part["own"]
                    continue
                if m := SECTION_RE.match(b.text):
                    part = parts[-1] if parts else new_part(0, "", "")
                    sec = {"number": cn_number(m.group(1)), "title": m.group(2), "heading": b.text,
                           "box": _Container(f"{part['own'].prefix}.s{len(part['sections']) + 1}", leads=True)}
                    part["sections"].append(sec)
                    current = sec["box"]
                    continue
                # Any other heading inside the body is text we must not drop.
                if current is not None:
                    current.texts += [None, b.text, None]
                continue
            if zone == "attachment" and not rows:
                attachment_title = attachment_title or b.text
                continue
            closing.texts += [None, b.text, None]
            continue
        # text block
        if zone == "body" and is_attachment_reference(b.text):
            closing.texts.append(b.text)
            current = closing
            zone = "closing"
            continue
        if zone in ("body", "closing") and is_attachment_marker(b.text):
            zone, current = "attachment", None
            continue
        if zone in ("attachment", "after_table", "closing") or current is None:
            closing.texts.append(b.text)
            continue
        # Each heading opens its own container, so page-break joining never crosses a heading.
        current.texts.append(b.text)

    built_parts = []
    for p in parts:
        sections = tuple(
            Section(id=s["box"].prefix, number=s["number"], title=s["title"], heading=s["heading"],
                    paragraphs=s["box"].paragraphs())
            for s in p["sections"]
        )
        # Leads only make sense where a section has several topic paragraphs.
        sections = tuple(
            sec if len(sec.paragraphs) >= 2 else replace(sec, paragraphs=tuple(replace(x, lead="") for x in sec.paragraphs))
            for sec in sections
        )
        built_parts.append(Part(id=p["own"].prefix, number=p["number"], title=p["title"], heading=p["heading"],
                                sections=sections, paragraphs=p["own"].paragraphs()))

    tasks = parse_task_rows([(r.line, r.text) for r in rows], table) if rows else ()
    return Document(
        id=doc_id, title=title, doc_number=meta.doc_number, date=meta.date, issuer=meta.issuer,
        preamble=preamble.paragraphs(), parts=tuple(built_parts), tasks=tuple(tasks),
        front_matter=front.paragraphs(), front_heading=front_heading, closing=closing.paragraphs(),
        attachment_title=attachment_title, source=meta.source,
    )
