"""Tests for bot/corpus/departments.py: the reviewed alias table and the department directory."""

from __future__ import annotations

import re

import pytest
import yaml

from bot.corpus.records import Document, Task
from bot.corpus.departments import (
    DepartmentTable,
    UnknownDepartment,
    alias_uses,
    build_directory,
    canonical,
    load_table,
)
from bot.errors import InvalidInput, NotFound, PolicyBotError
from bot.corpus import load_corpus
from bot.settings import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "corpus"


@pytest.fixture(scope="module")
def table() -> DepartmentTable:
    return load_table(CORPUS / "departments.yaml")


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(CORPUS)


def test_table_names_have_no_whitespace_and_aliases_are_unique(table):
    spellings = table.spellings()
    assert all(not re.search(r"\s", s) for s in spellings)
    # every alias maps to an existing canonical entry
    assert set(spellings.values()) <= set(table.entries)


@pytest.mark.parametrize(
    "written, expected",
    [
        ("园区 海关", "园区海关"),
        ("海关", "园区海关"),
        ("税务局", "园区税务局"),
        ("法院", "园区法院"),
        ("检察院", "园区检察院"),
        ("科创 委", "科创委"),
        ("市 市场监管局", "市市场监管局"),  # the city bureau, not the park's (departments.yaml)
        ("金管局", "金融局"),
        ("政法委（司法局）", "政法委"),
        ("党政办（大数据局）", "党政办（大数据局）"),
        ("各相关部门", "各相关部门"),
        ("公安", "公安"),
    ],
)
def test_canonical(table, written, expected):
    assert table.canonical(written) == expected


def test_module_level_canonical_uses_configured_corpus():
    assert canonical("园区 海关") == "园区海关"


def test_split_repairs_wrapped_cell(table):
    assert table.split("行政审批局、 园区税务局、 人社局、园区 海关") == ("行政审批局", "园区税务局", "人社局", "园区海关")
    assert table.split("综合协调局、市 市场监管局、科创 委、园区海关") == ("综合协调局", "市市场监管局", "科创委", "园区海关")
    # the same office twice under two spellings is listed once, at its first place
    assert table.split("园区法院、法院") == ("园区法院",)
    assert table.split("") == ()


def test_unknown_department_fails_loudly_naming_the_cell(table):
    with pytest.raises(ValueError, match="外星局") as info:
        table.split("行政审批局、外星局")
    assert "行政审批局、外星局" in str(info.value)
    assert isinstance(info.value, UnknownDepartment) and isinstance(info.value, PolicyBotError)
    # a missing separator glues two names into an unknown one rather than being guessed apart
    with pytest.raises(UnknownDepartment):
        table.split("科创委园区海关")


def test_table_rejects_clashes_and_bad_shapes():
    with pytest.raises(InvalidInput, match="twice"):
        DepartmentTable.from_mapping({"departments": {"甲局": {"aliases": {"甲": ""}}, "乙局": {"aliases": {"甲": ""}}}})
    with pytest.raises(InvalidInput, match="whitespace"):
        DepartmentTable.from_mapping({"departments": {"甲 局": {}}})
    with pytest.raises(InvalidInput, match="unknown keys"):
        DepartmentTable.from_mapping({"departments": {"甲局": {"alias": ["甲"]}}})
    with pytest.raises(InvalidInput):
        DepartmentTable.from_mapping({"departments": ["甲局"]})


def test_table_file_errors(tmp_path):
    with pytest.raises(NotFound):
        load_table(tmp_path / "missing.yaml")
    bad = tmp_path / "departments.yaml"
    bad.write_text("departments: [unclosed", encoding="utf-8")
    with pytest.raises(InvalidInput):
        DepartmentTable.from_file(bad)


def test_table_is_the_reviewed_file(table):
    data = yaml.safe_load((CORPUS / "departments.yaml").read_text(encoding="utf-8"))
    assert set(table.entries) == set(data["departments"])
    assert table.entries["各相关部门"].pseudo
    assert all(e.note for e in table.entries.values()), "every entry carries a note for review"


def _task(number: int, departments: tuple[str, ...]) -> Task:
    return Task(number, "（一）甲", 1, "一、乙", f"任务{number}。", departments, "、".join(departments))


def test_build_directory_counts_sole_and_first_tasks():
    table = DepartmentTable.from_mapping({"departments": {"甲局": {}, "乙局": {"aliases": {"乙": "简称"}}}})
    doc = Document("d", "t", "", "", "", (), (), (_task(1, ("甲局",)), _task(2, ("乙局", "甲局")), _task(3, ("甲局", "乙局"))))
    by_name = {d.name: d for d in build_directory([doc], table)}
    assert by_name["甲局"].tasks == (1, 2, 3)
    assert by_name["甲局"].sole_tasks == (1,)
    assert by_name["甲局"].first_tasks == (1, 3)
    assert by_name["乙局"].tasks == (2, 3) and by_name["乙局"].first_tasks == (2,)
    assert by_name["乙局"].aliases == ("乙",)
    assert {d.document for d in by_name.values()} == {"d"}


def test_corpus_directory_matches_tasks(corpus):
    doc = corpus.documents[0]
    named = {n for t in doc.tasks for n in t.departments}
    directory = {d.name: d for d in corpus.departments if d.document == doc.id}
    assert set(directory) == named
    for name, entry in directory.items():
        assert list(entry.tasks) == [t.number for t in doc.tasks_of(name)]
        assert not re.search(r"\s", name)
    assert directory["各相关部门"].pseudo and directory["各相关部门"].tasks == (64, 65)
    assert directory["金融局"].tasks.count(87) == 1
    assert corpus.department("司法局").name == "政法委"
    assert corpus.department("海关").name == "园区海关"


def test_alias_uses_reports_every_non_canonical_spelling(corpus, table):
    uses = {(w, c): nums for w, c, nums in alias_uses(corpus.documents[0], table)}
    assert uses[("金管局", "金融局")] == [87]
    assert ("市市场监管局", "市场监管局") not in uses  # a department of its own since task 103 was settled
    assert uses[("海关", "园区海关")] == [52, 66]
    assert uses[("政法委（司法局）", "政法委")] == [80, 81, 83]
