"""The vocabulary file and finding names in text by their surface forms."""

from __future__ import annotations

import pytest

from bot.corpus.vocabulary import SurfaceMatcher, Vocabulary, abbreviation, load_vocabulary
from bot.errors import InvalidInput
from bot.settings import PROJECT_ROOT


def test_surface_matcher_longest_form_wins():
    matcher = SurfaceMatcher({"园区海关": [], "海关总署": ["海关"]})
    assert matcher.find("园区海关负责什么") == ["园区海关"]
    assert matcher.find("海关负责什么") == ["海关总署"]


def test_surface_matcher_alias_maps_to_canonical_name_once():
    matcher = SurfaceMatcher({"园区税务局": ["税务局", "税务"], "园区海关": ["海关"]})
    assert matcher.find("税务局和海关，还有税务") == ["园区税务局", "园区海关"]
    assert matcher.find("人社局") == []


def test_surface_matcher_english_forms_need_word_boundaries():
    matcher = SurfaceMatcher({"园区海关": ["customs"], "园区": ["SIP"]})
    assert matcher.find("Where is the Customs office?") == ["园区海关"]
    assert matcher.find("customsx and gossip") == []
    assert matcher.find("SIP tax") == ["园区"]


def test_surface_matcher_normalises_full_width_text():
    matcher = SurfaceMatcher({"园区海关": ["customs"]})
    assert matcher.find("ＣＵＳＴＯＭＳ") == ["园区海关"]


def test_real_vocabulary_loads_every_section():
    vocab = load_vocabulary(PROJECT_ROOT / "corpus")
    assert "customs" in vocab.departments["园区海关"]
    assert vocab.categories and vocab.glossary


def test_missing_vocabulary_is_empty(tmp_path):
    assert load_vocabulary(tmp_path) == Vocabulary()


@pytest.mark.parametrize(
    "text, problem",
    [
        ("departments: [a, b]\n", "must map each name"),
        ("departments:\n  人社局: 劳动局\n", "list of non-empty strings"),
        ("departments:\n  人社局: ['']\n", "list of non-empty strings"),
        ("synonyms: {}\n", "unknown section"),
        ("departments: {人社局: [劳动局\n", "not valid YAML"),
        ("- just a list\n", "expected a mapping"),
    ],
)
def test_bad_vocabulary_is_refused_with_the_reason(tmp_path, text, problem):
    (tmp_path / "vocabulary.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match=problem):
        load_vocabulary(tmp_path)


@pytest.mark.parametrize(
    "name, short",
    [
        ("综合协调局", "综协局"),
        ("宣传和统战部", "宣统部"),
        ("市场监管局", "市监局"),
        ("企业服务中心", "企服中心"),
        ("园区税务局", None),  # 园区 says where; 税务局 is already short
        ("人社局", None),
        ("党政办（大数据局）", None),
        ("消防大队", None),
    ],
)
def test_abbreviation_of_an_office_name(name, short):
    assert abbreviation(name) == short
