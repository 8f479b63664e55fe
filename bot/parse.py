"""Parse policy documents (Markdown converted from PDF) into typed records, repairing the conversion damage."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from pathlib import Path

import yaml

from bot.corpus import Corpus, Document, Paragraph, Part, Section, Sentence, Task
from bot.departments import (
    TABLE_FILE,
    DepartmentTable,
    TableEntry,
    alias_uses,
    build_directory,
)
from bot.errors import InvalidInput, NotFound

MANIFEST_FILE = "documents.yaml"

# ---------------------------------------------------------------- text repair (pure)

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


def cn_number(numeral: str) -> int:
    """Chinese numeral up to 999 -> int: "八" -> 8, "十六" -> 16, "二十" -> 20."""
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")}
    if not numeral or any(c not in digits and c not in "十百" for c in numeral):
        raise ValueError(f"not a Chinese numeral: {numeral!r}")
    total, current = 0, 0
    for c in numeral:
        if c in digits:
            current = digits[c]
        else:
            unit = 10 if c == "十" else 100
            total += (current or 1) * unit
            current = 0
    return total + current


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


# ---------------------------------------------------------------- blocks

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


# ---------------------------------------------------------------- document

@dataclass(frozen=True)
class DocumentMeta:
    id: str
    title: str = ""
    doc_number: str = ""
    date: str = ""
    issuer: str = ""
    source: str = ""


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _is_title(heading: str, title: str) -> bool:
    if not title:
        return False
    a, b = _squash(heading), _squash(title)
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


# ---------------------------------------------------------------- task list

_HEADER_NAMES = {
    "category": ("类目", "类别", "领域"),
    "number": ("序号", "编号"),
    "text": ("事项", "任务", "工作任务", "主要任务", "任务内容"),
    "departments": ("牵头部门", "牵头单位", "责任部门", "责任单位"),
}


def _header_columns(cells: list[str]) -> dict[str, int] | None:
    names = [_squash(strip_markup(c)) for c in cells]
    cols = {}
    for key, options in _HEADER_NAMES.items():
        idx = next((i for i, n in enumerate(names) if n in options), None)
        if idx is None:
            return None
        cols[key] = idx
    return cols


def parse_task_rows(rows: list[tuple[int, str]], table: DepartmentTable | None) -> list[Task]:
    """Tab-separated task-list rows -> Tasks. Repeated header rows are skipped; the category
    cell, given only on a category's first row, is carried forward; part rows (plain or bold)
    set the part. Rows that fit none of these raise InvalidInput naming the line."""
    table = table or DepartmentTable([])
    cols = {"category": 0, "number": 1, "text": 2, "departments": 3}
    tasks: list[Task] = []
    part = category = ""
    category_number = 0
    seen: set[int] = set()
    for line_no, raw in rows:
        cells = raw.split("\t")
        if (header := _header_columns(cells)) is not None:
            cols = header
            continue
        cells += [""] * (max(cols.values()) + 1 - len(cells))
        number_cell = _squash(cells[cols["number"]])
        first = clean_text(strip_markup(cells[cols["category"]]))
        text = clean_text(cells[cols["text"]])
        dept_raw = cells[cols["departments"]].strip()
        if not number_cell:
            if not text and not dept_raw:
                if PART_RE.match(first):
                    part, category = first, ""
                    continue
                if SECTION_RE.match(first):
                    category = normalise_category(first)
                    category_number = cn_number(SECTION_RE.match(category).group(1))
                    continue
            if tasks and not first:
                # A task's text or departments wrapped onto a row of their own.
                last = tasks[-1]
                merged_raw = "、".join(x for x in (last.departments_raw, dept_raw) if x)
                tasks[-1] = replace(
                    last, text=clean_text(last.text + " " + text), departments_raw=merged_raw,
                    departments=table.split(merged_raw),
                )
                continue
            raise InvalidInput(f"task list line {line_no}: cannot read row {raw!r}")
        if not number_cell.isdigit():
            raise InvalidInput(f"task list line {line_no}: task number {number_cell!r} is not a number")
        number = int(number_cell)
        if number in seen:
            raise InvalidInput(f"task list line {line_no}: task {number} appears twice")
        seen.add(number)
        if first:
            category = normalise_category(first)
            m = SECTION_RE.match(category)
            category_number = cn_number(m.group(1)) if m else category_number + 1
        if not category:
            raise InvalidInput(f"task list line {line_no}: task {number} has no category")
        tasks.append(
            Task(number=number, category=category, category_number=category_number, part=part, text=text,
                 departments=table.split(dept_raw), departments_raw=dept_raw)
        )
    return tasks


# ---------------------------------------------------------------- body <-> task links

_PUNCT_RE = re.compile(r"[\s\W_]+")
MIN_COVERAGE = 0.5  # share of a task's characters found in its body sentences
MAX_SPAN = 3  # sentences; a task plus its paragraph's lead and a "；" split can reach three


def _norm(text: str) -> str:
    return _PUNCT_RE.sub("", text)


def _matched(a: str, b: str) -> int:
    """Characters of a found in b, in order, in runs of two or more (single-character hits
    between unrelated texts would inflate long spans)."""
    blocks = SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    return sum(bl.size for bl in blocks if bl.size >= 2)


def best_span(task_text: str, paragraphs: list[list[Sentence]]) -> tuple[tuple[str, ...], float]:
    """Consecutive sentences (within one paragraph) that state the task: the span covering the
    most of the task's characters, and of near-equal spans the most precise one, so a lead
    sentence is included only when the task's text really contains it."""
    t = _norm(task_text)
    if not t:
        return (), 0.0
    scored: list[tuple[float, float, tuple[str, ...]]] = []
    for sents in paragraphs:
        normed = [_norm(s.text) for s in sents]
        for i in range(len(sents)):
            for k in range(1, MAX_SPAN + 1):
                if i + k > len(sents):
                    break
                span = "".join(normed[i:i + k])
                if not span:
                    continue
                m = _matched(t, span)
                scored.append((m / len(t), m / len(span), tuple(s.id for s in sents[i:i + k])))
    if not scored:
        return (), 0.0
    top = max(c for c, _, _ in scored)
    coverage, _, ids = max((x for x in scored if x[0] >= top - 0.05), key=lambda x: (x[1], x[0]))
    return ids, coverage


def _title_ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, _norm(a), _norm(b), autojunk=False).ratio()


def match_section(category: str, part_heading: str, parts: tuple[Part, ...]) -> Section | None:
    """The body section a task-list category belongs to, by title similarity (the body restarts
    its numbering in each part while the list runs on, so numbers cannot be used)."""
    m = SECTION_RE.match(category)
    title = m.group(2) if m else category
    best, best_key = None, (0.0, 0.0)
    for part in parts:
        pr = _title_ratio(part_heading, part.heading) if part_heading else 0.0
        for sec in part.sections:
            key = (_title_ratio(title, sec.title), pr)
            if key > best_key:
                best, best_key = sec, key
    return best if best_key[0] >= 0.6 else None


def link_tasks(doc: Document) -> Document:
    """Fill Task.section_id and Task.body (ids of the body sentences stating the task)."""
    if not doc.tasks:
        return doc
    everything = [list(p.sentences) for p in doc.paragraphs()]
    linked = []
    for task in doc.tasks:
        sec = match_section(task.category, task.part, doc.parts)
        ids, coverage = ((), 0.0)
        if sec is not None:
            ids, coverage = best_span(task.text, [list(p.sentences) for p in sec.paragraphs])
        if coverage < MIN_COVERAGE:
            # The body may state a task outside its category's section.
            ids, coverage = best_span(task.text, everything)
        body = ids if coverage >= MIN_COVERAGE else ()
        linked.append(replace(task, body=body, section_id=sec.id if sec else ""))
    return replace(doc, tasks=tuple(linked))


# ---------------------------------------------------------------- corpus

def read_manifest(corpus_dir: Path) -> list[tuple[DocumentMeta, Path]]:
    path = corpus_dir / MANIFEST_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise NotFound(f"document manifest not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: not valid YAML: {exc}") from exc
    entries = (data or {}).get("documents") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InvalidInput(f"{path}: expected a non-empty list under 'documents'")
    out, ids = [], set()
    for i, e in enumerate(entries, start=1):
        if not isinstance(e, dict) or not e.get("id") or not e.get("file"):
            raise InvalidInput(f"{path}: document #{i} needs 'id' and 'file'")
        if e["id"] in ids:
            raise InvalidInput(f"{path}: document id {e['id']!r} is listed twice")
        ids.add(e["id"])
        file = corpus_dir / str(e["file"])
        if not file.is_file():
            raise NotFound(f"{path}: file of document {e['id']!r} not found: {file}")
        meta = DocumentMeta(
            id=str(e["id"]), title=str(e.get("title") or ""), doc_number=str(e.get("doc_number") or ""),
            date=str(e.get("date") or ""), issuer=str(e.get("issuer") or ""), source=str(e.get("source") or ""),
        )
        out.append((meta, file))
    return out


def parse_corpus(documents: list[tuple[DocumentMeta, str]], table: DepartmentTable) -> Corpus:
    """Pure: (metadata, text) pairs and the alias table -> linked Corpus with its directory."""
    docs = tuple(link_tasks(parse_document(text, meta, table)) for meta, text in documents)
    return Corpus(documents=docs, departments=build_directory(docs, table))


_cache: dict[tuple, Corpus] = {}


def load_corpus(corpus_dir: Path) -> Corpus:
    """Read documents.yaml, departments.yaml and the texts; cached until a file changes."""
    corpus_dir = Path(corpus_dir).resolve()
    if not corpus_dir.is_dir():
        raise NotFound(f"corpus directory not found: {corpus_dir}")
    manifest = read_manifest(corpus_dir)
    table_path = corpus_dir / TABLE_FILE
    watched = [corpus_dir / MANIFEST_FILE, table_path, *(file for _, file in manifest)]
    key = (corpus_dir, tuple((str(f), f.stat().st_mtime_ns if f.exists() else None) for f in watched))
    if key in _cache:
        return _cache[key]
    table = DepartmentTable.from_file(table_path) if table_path.exists() else DepartmentTable([], str(table_path))
    corpus = parse_corpus([(meta, file.read_text(encoding="utf-8")) for meta, file in manifest], table)
    _cache.clear()
    _cache[key] = corpus
    return corpus


# ---------------------------------------------------------------- views

def _paragraph_json(p: Paragraph) -> dict:
    return {"id": p.id, "text": p.text, "lead": p.lead,
            "sentences": [{"id": s.id, "text": s.text} for s in p.sentences]}


def corpus_to_json(corpus: Corpus) -> dict:
    docs = []
    for d in corpus.documents:
        sentences = d.sentences()
        docs.append({
            "id": d.id, "title": d.title, "doc_number": d.doc_number, "date": d.date, "issuer": d.issuer,
            "source": d.source,
            "front_heading": d.front_heading,
            "front_matter": [_paragraph_json(p) for p in d.front_matter],
            "preamble": [_paragraph_json(p) for p in d.preamble],
            "parts": [
                {"id": part.id, "number": part.number, "title": part.title, "heading": part.heading,
                 "paragraphs": [_paragraph_json(p) for p in part.paragraphs],
                 "sections": [
                     {"id": s.id, "number": s.number, "title": s.title, "heading": s.heading,
                      "paragraphs": [_paragraph_json(p) for p in s.paragraphs]}
                     for s in part.sections
                 ]}
                for part in d.parts
            ],
            "closing": [_paragraph_json(p) for p in d.closing],
            "attachment_title": d.attachment_title,
            "tasks": [
                {"number": t.number, "category": t.category, "category_number": t.category_number,
                 "part": t.part, "text": t.text, "departments": list(t.departments),
                 "departments_raw": t.departments_raw, "section_id": t.section_id,
                 "body_ids": list(t.body), "body": [sentences[i].text for i in t.body]}
                for t in d.tasks
            ],
        })
    return {
        "documents": docs,
        "departments": [
            {"name": x.name, "aliases": list(x.aliases), "tasks": list(x.tasks), "sole_tasks": list(x.sole_tasks),
             "first_tasks": list(x.first_tasks), "note": x.note, "pseudo": x.pseudo, "document": x.document}
            for x in corpus.departments
        ],
    }


def link_coverage(doc: Document) -> tuple[int, int, list[int]]:
    """(linked tasks, all tasks, numbers of unlinked tasks)."""
    unlinked = [t.number for t in doc.tasks if not t.body]
    return len(doc.tasks) - len(unlinked), len(doc.tasks), unlinked


def _directory_table(corpus: Corpus, doc_id: str) -> DepartmentTable:
    """The alias table as far as this document's directory records it."""
    entries = [TableEntry(d.name, {a: "" for a in d.aliases}) for d in corpus.departments if d.document == doc_id]
    return DepartmentTable(entries, "directory")


def corpus_summary(corpus: Corpus) -> str:
    lines = [f"{len(corpus.documents)} document(s)"]
    for d in corpus.documents:
        sections = [s for p in d.parts for s in p.sections]
        body = d.paragraphs()
        n_sent = sum(len(p.sentences) for p in body)
        lines += [
            "",
            f"{d.id}: 《{d.title}》 {d.doc_number} {d.date}".rstrip(),
            f"  issuer: {d.issuer}" if d.issuer else "",
            (f"  body: {len(d.parts)} parts, {len(sections)} sections, {len(body)} paragraphs, {n_sent} sentences"
             f" (+{len(d.front_matter)} notice, {len(d.closing)} closing paragraphs)"),
        ]
        for p in d.parts:
            lines.append(f"    {p.heading}")
            for s in p.sections:
                leads = [x.lead for x in s.paragraphs if x.lead]
                lead_note = f"  leads: {'／'.join(leads)}" if leads else ""
                lines.append(f"      {s.heading}: {len(s.paragraphs)} paragraphs{lead_note}")
        if d.tasks:
            numbers = [t.number for t in d.tasks]
            cats = list(dict.fromkeys(t.category for t in d.tasks))
            linked, total, unlinked = link_coverage(d)
            lines.append(f"  tasks: {total} (numbered {min(numbers)}..{max(numbers)}), {len(cats)} categories")
            lines.append(f"  body links: {linked}/{total} tasks ({100 * linked / total:.1f}%)"
                         + (f"; unlinked: {', '.join(map(str, unlinked))}" if unlinked else ""))
            missing = [t.number for t in d.tasks if not t.departments]
            if missing:
                lines.append(f"  tasks without a lead department: {', '.join(map(str, missing))}")
            for written, canon, nums in alias_uses(d, _directory_table(corpus, d.id)):
                lines.append(f"  alias: {written} -> {canon} (task {', '.join(map(str, nums))})")
        else:
            lines.append("  tasks: none (no task list)")
        depts = [x for x in corpus.departments if x.document == d.id]
        if depts:
            lines.append(f"  departments: {len(depts)}")
            for x in depts:
                flag = "  [pseudo: not one office]" if x.pseudo else ""
                lines.append(f"    {x.name}: {len(x.tasks)} tasks ({len(x.sole_tasks)} alone, {len(x.first_tasks)} first){flag}")
    return "\n".join(line for line in lines if line != "")
