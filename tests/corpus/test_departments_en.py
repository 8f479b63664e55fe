"""The reviewed English names: every department the task lists name and every topic has one."""

import re

import pytest
import yaml

from bot.corpus import load_corpus
from bot.corpus.english import ENGLISH_FILE, load_english_names
from bot.errors import InvalidInput
from bot.retrieval.chunks import category_title
from bot.settings import get_settings


@pytest.fixture(scope="module")
def corpus_dir():
    return get_settings().corpus_dir


def test_every_department_and_category_has_an_english_name(corpus_dir):
    corpus = load_corpus(corpus_dir)
    names = load_english_names(corpus_dir)
    table = yaml.safe_load((corpus_dir / "departments.yaml").read_text(encoding="utf-8"))["departments"]
    missing = [d for d in {*table, *(d.name for d in corpus.departments)} if d not in names.departments]
    assert not missing, f"add English names to {ENGLISH_FILE}: {missing}"
    topics = {category_title(t.category) for doc in corpus.documents for t in doc.tasks}
    assert topics - set(names.categories) == set()
    # English names only: no Chinese in them, none left blank, no two departments sharing one.
    for english in [*names.departments.values(), *names.categories.values()]:
        assert english.strip() and not re.search(r"[\u4e00-\u9fff]", english)
    assert len(set(names.departments.values())) == len(names.departments)
    # Nothing in the table that the corpus does not name (a stale entry hides a renamed one).
    assert set(names.departments) <= {*table, *(d.name for d in corpus.departments)}
    assert set(names.categories) == topics


def test_a_malformed_table_is_reported(tmp_path):
    (tmp_path / ENGLISH_FILE).write_text("departments:\n  行政审批局: ''\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="non-empty English name"):
        load_english_names(tmp_path)
    (tmp_path / ENGLISH_FILE).write_text("offices: {}\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="sections"):
        load_english_names(tmp_path)
