"""Example questions per task (corpus/example_questions.yaml): how users ask about each task.

Retrieval matches a question against these as well as against the policy text: a colloquial or
English question is far closer to another user's question than to the policy's formal wording.
They are an index view only; answers quote the policy, never an example.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.corpus.records import Corpus
from bot.errors import InvalidInput, validation_problems

EXAMPLES_FILE = "example_questions.yaml"


@dataclass(frozen=True)
class ExampleQuestion:
    doc: str
    task: int
    lang: str  # zh | en
    text: str

    def to_dict(self) -> dict:
        return {"doc": self.doc, "task": self.task, "lang": self.lang, "text": self.text}


class _TaskExamples(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task: int
    zh: list[str] = []
    en: list[str] = []


class _ExamplesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: dict[str, list[_TaskExamples]] = {}


def load_examples(corpus_dir: Path, corpus: Corpus) -> list[ExampleQuestion]:
    """Every example question, checked against the corpus; no file means no examples."""
    path = Path(corpus_dir) / EXAMPLES_FILE
    if not path.exists():
        return []
    try:
        data = _ExamplesFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        raise InvalidInput(f"{path}: {validation_problems(exc)}") from exc
    out: list[ExampleQuestion] = []
    for doc_id, entries in data.documents.items():
        doc = corpus.document(doc_id)
        if doc is None:
            raise InvalidInput(f"{path}: unknown document {doc_id!r}")
        numbers = {t.number for t in doc.tasks}
        for entry in entries:
            if entry.task not in numbers:
                raise InvalidInput(f"{path}: {doc_id} has no task {entry.task}")
            for lang, texts in (("zh", entry.zh), ("en", entry.en)):
                for text in texts:
                    text = " ".join(text.split())
                    if text:
                        out.append(ExampleQuestion(doc_id, entry.task, lang, text))
    return out


def by_task(examples: list[ExampleQuestion]) -> dict[tuple[str, int], list[str]]:
    """Example texts grouped by (document, task), in file order."""
    grouped: dict[tuple[str, int], list[str]] = {}
    for e in examples:
        grouped.setdefault((e.doc, e.task), []).append(e.text)
    return grouped
