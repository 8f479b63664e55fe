"""Typed records for the parsed policy corpus. Pure data: imports nothing of ours."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Sentence:
    id: str  # "<doc>/p<part>.s<section>.para<k>.sent<j>"
    text: str


@dataclass(frozen=True)
class Paragraph:
    id: str
    text: str  # page-break splits joined, conversion damage repaired
    sentences: tuple[Sentence, ...]
    lead: str = ""  # the paragraph's opening topic phrase, e.g. "便利市场主体登记设立"


@dataclass(frozen=True)
class Section:
    """A sub-section such as （一）市场准入与退出."""

    id: str
    number: int  # 1-based within its part, as printed in the body
    title: str  # e.g. "市场准入与退出"
    heading: str  # e.g. "（一）市场准入与退出"
    paragraphs: tuple[Paragraph, ...]


@dataclass(frozen=True)
class Part:
    """A top-level part such as 一、对标先进持续优化服务…"""

    id: str
    number: int
    title: str
    heading: str
    sections: tuple[Section, ...]
    paragraphs: tuple[Paragraph, ...] = ()  # text directly under the part, if any


@dataclass(frozen=True)
class Task:
    number: int
    category: str  # e.g. "（一）市场准入与退出"
    category_number: int  # running number of the category in the task list
    part: str  # heading of the part the category belongs to
    text: str
    departments: tuple[str, ...]  # canonical names, lead first, as listed
    departments_raw: str  # the cell as it reached us, for review
    body: tuple[str, ...] = ()  # ids of the body sentences that state this task
    section_id: str = ""  # the body section matching the category


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    doc_number: str
    date: str
    issuer: str
    preamble: tuple[Paragraph, ...]
    parts: tuple[Part, ...]
    tasks: tuple[Task, ...] = ()
    # Text outside the numbered parts, kept so nothing of the document is lost:
    front_matter: tuple[Paragraph, ...] = ()  # covering notice before the title (印发通知)
    front_heading: str = ""  # the notice's own heading, e.g. "…关于印发《…》的通知"
    closing: tuple[Paragraph, ...] = ()  # "附件：…" reference, 抄送, signature
    attachment_title: str = ""  # heading of the task-list attachment, if any
    source: str = ""

    def sentences(self) -> dict[str, Sentence]:
        """Every sentence of the document (notice and closing included) by id."""
        out: dict[str, Sentence] = {}
        for para in self.all_paragraphs():
            for s in para.sentences:
                out[s.id] = s
        return out

    def paragraphs(self) -> list[Paragraph]:
        """The policy proper in reading order: preamble and parts (no notice, no closing)."""
        out = list(self.preamble)
        for part in self.parts:
            out.extend(part.paragraphs)
            for sec in part.sections:
                out.extend(sec.paragraphs)
        return out

    def all_paragraphs(self) -> list[Paragraph]:
        """Every paragraph in reading order: notice, preamble, parts, closing."""
        return [*self.front_matter, *self.paragraphs(), *self.closing]

    def section(self, section_id: str) -> Section | None:
        for part in self.parts:
            for sec in part.sections:
                if sec.id == section_id:
                    return sec
        return None

    def section_path(self, paragraph_id: str) -> str:
        """Human-readable heading path of a paragraph, e.g. "一、… > （一）市场准入与退出".

        Notice paragraphs give the notice heading; preamble and closing give the title."""
        if any(p.id == paragraph_id for p in self.front_matter):
            return self.front_heading or self.title
        if any(p.id == paragraph_id for p in (*self.preamble, *self.closing)):
            return self.title
        for part in self.parts:
            if any(p.id == paragraph_id for p in part.paragraphs):
                return part.heading
            for sec in part.sections:
                if any(p.id == paragraph_id for p in sec.paragraphs):
                    return f"{part.heading} > {sec.heading}"
        return ""

    def task(self, number: int) -> Task | None:
        for t in self.tasks:
            if t.number == number:
                return t
        return None

    def tasks_of(self, department: str) -> list[Task]:
        """Tasks a department (canonical name) leads, alone or jointly."""
        return [t for t in self.tasks if department in t.departments]


@dataclass(frozen=True)
class Department:
    name: str  # canonical
    aliases: tuple[str, ...]
    tasks: tuple[int, ...]  # every task it leads, alone or jointly
    sole_tasks: tuple[int, ...] = ()  # tasks it leads alone
    first_tasks: tuple[int, ...] = ()  # tasks where it is listed first
    note: str = ""  # from corpus/departments.yaml, for review
    pseudo: bool = False  # not one office, e.g. 各相关部门 ("all relevant departments")
    document: str = ""  # id of the document whose task list these numbers refer to


@dataclass(frozen=True)
class Corpus:
    documents: tuple[Document, ...]
    departments: tuple[Department, ...] = field(default_factory=tuple)

    def document(self, doc_id: str) -> Document | None:
        return next((d for d in self.documents if d.id == doc_id), None)

    def department(self, name: str, doc_id: str | None = None) -> Department | None:
        """Directory entry by canonical name or alias (first document unless doc_id is given)."""
        for d in self.departments:
            if (name == d.name or name in d.aliases) and (doc_id is None or d.document == doc_id):
                return d
        return None

    def to_dict(self) -> dict:
        return asdict(self)
