"""Tests for bot/retrieval/chunks.py on the real policy: one chunk per task, no mixing of tasks, whole sentences only."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from bot.retrieval.chunks import Chunk, build_chunks, category_title
from bot.corpus import load_corpus
from bot.settings import get_settings


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(get_settings().corpus_dir)


@pytest.fixture(scope="module")
def doc(corpus):
    assert len(corpus.documents) == 1
    return corpus.documents[0]


@pytest.fixture(scope="module")
def chunks(corpus):
    aliases = {d.name: tuple(d.aliases) for d in corpus.departments}
    return build_chunks(corpus, aliases)


def test_exactly_one_task_chunk_per_task(chunks, doc):
    numbers = [c.task for c in chunks if c.kind == "task"]
    assert len(doc.tasks) == 107
    assert sorted(numbers) == [t.number for t in doc.tasks] == list(range(1, 108))
    assert all(c.kind in ("task", "passage") for c in chunks)
    assert len({c.id for c in chunks}) == len(chunks)


def test_task_chunk_text_is_its_own_task(chunks, doc):
    for c in (c for c in chunks if c.kind == "task"):
        task = doc.task(c.task)
        assert c.doc == doc.id
        assert c.text == task.text
        sentences = doc.sentences()
        assert c.body == tuple(sentences[sid].text for sid in task.body)
        # The search texts hold this task's own wording (and no other task's list text).
        assert task.text in c.embed_text and task.text in c.lexical_text
        others = [t.text for t in doc.tasks if t.number != c.task and t.text not in task.text]
        assert not [o for o in others if o in c.lexical_text]


def test_task_chunks_carry_category_section_and_departments(chunks, doc):
    for c in (c for c in chunks if c.kind == "task"):
        task = doc.task(c.task)
        assert c.category == task.category and c.category.startswith("（")
        assert c.departments == task.departments and c.departments
        # The section is the body's heading path (the attachment's part headings differ in wording).
        section = doc.section(task.section_id)
        part = next(p for p in doc.parts if section in p.sections)
        assert c.section == f"{part.heading} > {section.heading}"
        assert category_title(c.category) in section.heading


def test_passage_chunks_hold_no_task_sentence(chunks, doc):
    linked = {doc.sentences()[sid].text for t in doc.tasks for sid in t.body}
    passages = [c for c in chunks if c.kind == "passage"]
    assert passages, "the preamble states no task, so at least one passage chunk is expected"
    for c in passages:
        assert c.task is None and c.departments == () and c.category == ""
        for sentence in linked:
            assert sentence not in c.text, c.id


def _whole_sentence_runs(paragraph) -> set[str]:
    texts = [s.text for s in paragraph.sentences]
    return {"".join(texts[i:j]) for i in range(len(texts)) for j in range(i + 1, len(texts) + 1)}


def test_passage_chunks_are_whole_sentences_of_one_paragraph(chunks, doc):
    paragraphs = {p.id: p for p in doc.paragraphs()}
    for c in (c for c in chunks if c.kind == "passage"):
        para_id = c.id.split("#", 1)[1].rsplit("-", 1)[0]
        assert para_id in paragraphs, c.id
        paragraph = paragraphs[para_id]
        assert c.text in _whole_sentence_runs(paragraph), c.id
        assert c.section == doc.section_path(para_id)


def test_no_body_sentence_is_lost(chunks, doc):
    """Every sentence of the policy body is in some chunk, except the bare topic lines ("便利市场主体退出。")."""
    covered = " ".join(c.text for c in chunks) + " ".join(b for c in chunks for b in c.body)
    for para in doc.paragraphs():
        for s in para.sentences:
            if s.text.rstrip("。；;") == para.lead.rstrip("。；;"):
                continue
            assert s.text in covered, s.id


def test_chunk_round_trips_through_dict_and_json(chunks):
    for c in chunks:
        again = Chunk.from_dict(json.loads(json.dumps(c.to_dict(), ensure_ascii=False)))
        assert again == c
        assert isinstance(again.departments, tuple) and isinstance(again.body, tuple)


def test_chunk_dict_has_every_field():
    c = Chunk(id="d#task-1", doc="d", kind="task", text="文本。", section="一 > （一）", task=1,
              departments=("甲局", "乙委"), body=("正文。",))
    d = c.to_dict()
    assert set(d) == {f.name for f in fields(Chunk)}
    assert list(d["departments"]) == ["甲局", "乙委"]
    assert Chunk.from_dict(d) == c


def test_category_title_strips_the_number():
    assert category_title("（一）市场准入与退出") == "市场准入与退出"
    assert category_title("(十六)产业政策配套") == "产业政策配套"
    assert category_title("市场监管") == "市场监管"
