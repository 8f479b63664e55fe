"""Chunks designed for this kind of document: one per task (the unit that answers), plus body context."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from bot.corpus.records import Corpus, Document

_CATEGORY_NUMBER = re.compile(r"^[（(][一二三四五六七八九十百]+[）)]\s*")


@dataclass(frozen=True)
class Chunk:
    id: str
    doc: str
    kind: str  # "task" | "passage"
    text: str  # the exact policy text quoted back to the user
    section: str  # heading path, e.g. "一、… > （一）市场准入与退出"
    task: int | None = None
    category: str = ""
    departments: tuple[str, ...] = ()
    body: tuple[str, ...] = ()  # body sentences stating the same task
    topic: str = ""  # the body paragraph's lead phrase, e.g. "便利市场主体退出"
    embed_text: str = ""  # what the dense model sees
    lexical_text: str = ""  # what BM25 sees

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Chunk":
        d = dict(d)
        for key in ("departments", "body"):
            d[key] = tuple(d.get(key, ()))
        return cls(**d)


def category_title(category: str) -> str:
    """"（一）市场准入与退出" -> "市场准入与退出"."""
    return _CATEGORY_NUMBER.sub("", category).strip()


def _join(*parts: str) -> str:
    """Join text pieces into sentences without doubling their final punctuation."""
    return "。".join(p.rstrip("。；; ") for p in parts if p) + "。"


def _paragraph_index(doc: Document) -> dict[str, tuple[str, str, str]]:
    """sentence id -> (paragraph id, section path, paragraph lead)."""
    out: dict[str, tuple[str, str, str]] = {}
    for para in doc.paragraphs():
        path = doc.section_path(para.id)
        for s in para.sentences:
            out[s.id] = (para.id, path, para.lead)
    return out


def build_chunks(
    corpus: Corpus,
    aliases: dict[str, tuple[str, ...]] | None = None,
    examples: dict[tuple[str, int], list[str]] | None = None,
) -> list[Chunk]:
    """Task chunks carry category, topic, body sentences and departments; sentences that state
    no task become passage chunks, one paragraph run at a time, never cutting a sentence."""
    aliases = aliases or {}
    examples = examples or {}
    chunks: list[Chunk] = []
    for doc in corpus.documents:
        sentences = doc.sentences()
        where = _paragraph_index(doc)
        linked: set[str] = set()
        for task in doc.tasks:
            body = tuple(sentences[sid].text for sid in task.body if sid in sentences)
            linked.update(task.body)
            para_id, path, topic = where.get(task.body[0], ("", "", "")) if task.body else ("", "", "")
            section = path or f"{task.part} > {task.category}"
            title = category_title(task.category)
            # Body sentences add the body's wording (often different from the list's).
            extra_body = [b for b in body if b != task.text]
            embed = _join(title, topic, task.text, *extra_body)
            dept_words = [n for d in task.departments for n in (d, *aliases.get(d, ()))]
            # BM25 also sees the task's example questions: the words users say, not only the policy's.
            asked = examples.get((doc.id, task.number), [])
            lexical = " ".join([title, topic, task.text, *extra_body, *dept_words, *asked])
            chunks.append(
                Chunk(
                    id=f"{doc.id}#task-{task.number}",
                    doc=doc.id,
                    kind="task",
                    text=task.text,
                    section=section,
                    task=task.number,
                    category=task.category,
                    departments=tuple(task.departments),
                    body=body,
                    topic=topic,
                    embed_text=embed,
                    lexical_text=lexical,
                )
            )
        for para in doc.paragraphs():
            run: list[str] = []
            path = doc.section_path(para.id)

            def flush(k: int) -> None:
                if run and len("".join(run)) >= 8:
                    text = "".join(run)
                    chunks.append(
                        Chunk(
                            id=f"{doc.id}#{para.id}-{k}",
                            doc=doc.id,
                            kind="passage",
                            text=text,
                            section=path,
                            topic=para.lead,
                            embed_text=_join(path.split(" > ")[-1], text),
                            lexical_text=f"{path} {text}",
                        )
                    )
                run.clear()

            for k, s in enumerate(para.sentences):
                if s.id in linked or s.text.rstrip("。；;") == para.lead.rstrip("。；;"):
                    flush(k)
                else:
                    run.append(s.text)
            flush(len(para.sentences))
    return chunks
