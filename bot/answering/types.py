"""What the answering pipeline returns: typed answers and citations, turned into JSON only at the boundary."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal, get_args

Kind = Literal[
    "department", "content", "department_tasks", "category_tasks", "task_number", "not_stated", "out_of_scope"
]
KINDS: tuple[str, ...] = get_args(Kind)
Lang = Literal["zh", "en"]
# The shipped system and the two single-ranker baselines it is measured against (baselines first,
# as reports show them).
SYSTEMS = ("bm25", "dense", "full")


@dataclass(frozen=True)
class TaskHit:
    """A task with everything needed to cite it."""

    doc: str
    doc_title: str
    number: int
    category: str
    section: str
    text: str
    departments: tuple[str, ...]
    body: tuple[str, ...]
    score: float


@dataclass(frozen=True)
class Citation:
    """One quoted passage: a task's text, or a body sentence stating it."""

    doc: str
    section: str
    task: int | None
    text: str
    score: float

    def to_dict(self) -> dict:
        return {"doc": self.doc, "section": self.section, "task": self.task, "text": self.text, "score": self.score}


@dataclass(frozen=True)
class Answer:
    """The whole answer to one question. `confidence` is None for answers given by the question's
    structure (a task number, a list) rather than by the answerability decision."""

    answered: bool
    kind: Kind
    answer: str
    reply: str
    departments: tuple[str, ...] = ()
    citations: tuple[Citation, ...] = ()
    confidence: float | None = None
    question: str = field(default="", compare=False)
    # Opaque id of this answer for feedback (set where the answer is handed out, never cached).
    id: str = field(default="", compare=False)
    # A multi-part question's answers, one per part, in order; empty for a single question.
    parts: tuple["Answer", ...] = ()
    departments_en: tuple[str, ...] = ()

    @property
    def tasks(self) -> list[int]:
        """Task numbers the answer cites, in order, each once."""
        return list(dict.fromkeys(c.task for c in self.citations if c.task is not None))

    def to_dict(self) -> dict:
        out = {
            "id": self.id,
            "question": self.question,
            "confidence": self.confidence,
            "answered": self.answered,
            "kind": self.kind,
            "answer": self.answer,
            "reply": self.reply,
            "departments": list(self.departments),
            "citations": [c.to_dict() for c in self.citations],
            "tasks": self.tasks,
            "departments_en": list(self.departments_en),
        }
        if self.parts:
            out["parts"] = [replace(p, id=p.id or self.id).to_dict() for p in self.parts]
        return out
