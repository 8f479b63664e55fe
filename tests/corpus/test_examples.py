"""Tests for bot/corpus/examples.py: the example-question file is sound, wired into the index, and apart from the eval set."""

from __future__ import annotations

import random
import shutil
from collections import Counter

import pytest

from bot.retrieval.chunks import build_chunks
from bot.errors import InvalidInput
from bot.evaluation.evalset import load_evalset
from bot.corpus.examples import EXAMPLES_FILE, by_task, load_examples
from bot.corpus import load_corpus
from bot.settings import get_settings

# Character-bigram Jaccard above which an example counts as a near-repeat of an eval question.
NEAR_REPEAT = 0.45


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(get_settings().corpus_dir)


@pytest.fixture(scope="module")
def examples(corpus):
    return load_examples(get_settings().corpus_dir, corpus)


def _bigrams(text: str) -> set[str]:
    text = text.lower()
    return {text[i : i + 2] for i in range(len(text) - 1)}


def test_every_task_has_chinese_and_english_examples(corpus, examples):
    per_task = Counter((e.doc, e.task, e.lang) for e in examples)
    for doc in corpus.documents:
        for task in doc.tasks:
            assert per_task[(doc.id, task.number, "zh")] >= 3, task.number
            assert per_task[(doc.id, task.number, "en")] >= 1, task.number


def test_examples_are_not_policy_text(corpus, examples):
    # They are users' words; an example that copies a task verbatim adds nothing.
    task_texts = {t.text for d in corpus.documents for t in d.tasks}
    assert not [e.text for e in examples if e.text in task_texts]


def test_no_example_nearly_repeats_an_eval_question(examples):
    """The eval set measures unseen questions only if no indexed example is a near-copy of one."""
    questions = load_evalset(get_settings().eval_file)
    grams = [(q.id, _bigrams(q.question)) for q in questions]
    repeats = []
    for e in examples:
        g = _bigrams(e.text)
        for qid, qg in grams:
            if len(g & qg) / max(1, len(g | qg)) > NEAR_REPEAT:
                repeats.append((e.task, e.text, qid))
    assert not repeats, repeats[:5]


def test_task_lexical_text_carries_its_examples(corpus, examples):
    asked = by_task(examples)
    chunks = build_chunks(corpus, {}, asked)
    for c in chunks:
        if c.kind == "task":
            assert all(text in c.lexical_text for text in asked[(c.doc, c.task)])
            assert not any(text in c.embed_text or text in c.text for text in asked[(c.doc, c.task)])


def test_no_file_means_no_examples(tmp_path, corpus):
    assert load_examples(tmp_path, corpus) == []


@pytest.mark.parametrize(
    "content, message",
    [
        ("documents: [", "not valid YAML"),
        ("documents:\n  sip-2023-business-environment-plan:\n    - task: 999\n      zh: [问]\n", "has no task 999"),
        ("documents:\n  no-such-doc:\n    - task: 1\n      zh: [问]\n", "unknown document 'no-such-doc'"),
        ("documents:\n  sip-2023-business-environment-plan:\n    - task: 1\n      fr: [question]\n", "fr"),
    ],
)
def test_bad_file_is_refused_with_a_clear_message(tmp_path, corpus, content, message):
    (tmp_path / EXAMPLES_FILE).write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        load_examples(tmp_path, corpus)
    assert message in str(info.value) and EXAMPLES_FILE in str(info.value)


def test_a_bad_examples_file_stops_the_build_and_keeps_the_old_index(tmp_path):
    from bot.retrieval import store as index

    settings = get_settings()
    corpus_dir = tmp_path / "corpus"
    shutil.copytree(settings.corpus_dir, corpus_dir)
    (corpus_dir / EXAMPLES_FILE).write_text("documents:\n  nope: []\n", encoding="utf-8")
    target = settings.model_copy(update={"corpus_dir": corpus_dir, "index_dir": tmp_path / "index"})
    with pytest.raises(InvalidInput):
        index.build(target)
    assert not (tmp_path / "index" / "current").exists()


def test_an_example_question_finds_its_task(policy_bot):
    """The example view is wired into retrieval: asked verbatim, examples land on their own task."""
    sample = random.Random(7).sample(policy_bot.index.examples, 40)
    hits = 0
    for e in sample:
        result = policy_bot.ask(e.text, top_k=3).to_dict()
        cited = [c["task"] for c in result["citations"]]
        hits += bool(cited) and e.task in cited
    assert hits >= 36, hits
