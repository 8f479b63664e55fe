"""Metric functions, the runner's table and the report, on small hand-made expectations and returned answers."""

from __future__ import annotations

import json
import re
import xml.dom.minidom

import pytest

from bot.evaluation.report import bar_chart, render_html, wrong_departments, write_report
from bot.evaluation.metrics import METRICS, aggregate, cited_tasks, failure_record, score_question, task_rank
from bot.evaluation.runner import format_table, select_split


def answer(tasks, departments=(), answered=True, text="", kind="content"):
    return {
        "question": "?",
        "answered": answered,
        "kind": kind,
        "answer": text,
        "reply": "",
        "departments": list(departments),
        "citations": [{"doc": "d", "section": "s", "task": t, "text": "", "score": 1.0} for t in tasks],
    }


def q(id="q0001", kind="content", lang="zh", **kw):
    return {"id": id, "question": "问题", "kind": kind, "lang": lang, "split": "dev", **kw}


ALIASES = {"海关": "园区海关", "税务局": "园区税务局"}


def canon(name):
    return ALIASES.get(name, name)


def test_cited_tasks_are_distinct_in_order_and_skip_body_passages():
    assert cited_tasks(answer([7, None, 6, 7, 31])) == [7, 6, 31]
    assert cited_tasks(answer([7, 6], answered=False)) == []


def test_task_rank():
    r = answer([None, 9, 9, 11, 6])
    assert task_rank([11], r) == 2
    assert task_rank([6, 7], r) == 3
    assert task_rank([40], r) is None
    assert task_rank([6], r, k=2) is None


def test_score_single_answer():
    s = score_question(q(tasks_any=[11], departments=["行政审批局"]), answer([11, 9], ["行政审批局"]))
    assert (s["rank"], s["top1"], s["top3"], s["rr"], s["dept_exact"]) == (1, True, True, 1.0, True)
    s = score_question(q(tasks_any=[11], departments=["行政审批局"]), answer([9, 10, 11], ["规建委", "行政审批局"]))
    assert (s["rank"], s["top1"], s["top3"], s["dept_exact"]) == (3, False, True, False)
    assert s["rr"] == pytest.approx(1 / 3) and s["dept_extra"] == ["规建委"]


def test_departments_compared_after_canonicalising():
    expected = q(tasks_any=[66], departments=["经发委", "市场监管局", "园区税务局", "园区海关"])
    got = answer([66], ["海关", "税务局", "经发委", "市场监管局"])  # other spelling, other order
    assert score_question(expected, got, canon)["dept_exact"] is True
    assert score_question(expected, got)["dept_exact"] is False


def test_unanswered_is_a_miss_everywhere():
    s = score_question(q(tasks_any=[11], departments=["行政审批局"]), answer([11], ["行政审批局"], answered=False))
    assert (s["top1"], s["top3"], s["rr"], s["dept_exact"], s["refused"]) == (False, False, 0.0, False, True)


def test_list_recall_and_contains():
    s = score_question(q(kind="category_tasks", tasks_all=[27, 28, 29, 30, 31]), answer([27, None, 29, 31, 40]))
    assert s["list_recall"] == pytest.approx(0.6) and s["list_missing"] == [28, 30]
    s = score_question(q(tasks_any=[21], departments=["金融局"], contains=["10亿", "资金池"]),
                       answer([21], ["金融局"], text="园区风险补偿资金池总规模扩大至 10 亿元。"))
    assert s["contains_ok"] is True  # stray spaces in the source text do not count
    s = score_question(q(tasks_any=[21], contains=["20亿"], departments=["金融局"]), answer([21], ["金融局"], text="10亿"))
    assert s["contains_ok"] is False


def test_aggregate_metrics():
    questions = [
        q("q1", tasks_any=[1], departments=["A"]),
        q("q2", kind="department", tasks_any=[2], departments=["B"]),
        q("q3", lang="en", tasks_any=[3], departments=["C"]),
        q("q4", kind="task_number", tasks_any=[4], departments=["D"]),
        q("q5", kind="department_tasks", tasks_all=[1, 2], departments=["A"]),
        q("q6", kind="out_of_scope", refuse=True),
        q("q7", kind="out_of_scope", refuse=True),
    ]
    results = [
        answer([1], ["A"]),  # right
        answer([5, 6, 2], ["B"]),  # rank 3
        answer([3], ["C"], answered=False),  # wrongly refused
        answer([4], ["D"], kind="task_number"),
        answer([1, 9]),  # half the list
        answer([], answered=False),  # rightly refused
        answer([8]),  # answered out of scope
    ]
    scores = [score_question(x, r) for x, r in zip(questions, results)]
    m = aggregate(questions, scores, categories={1: "（一）", 2: "（一）", 3: "（二）", 4: "（二）"})
    assert set(METRICS) <= set(m) and m["n"] == 7
    assert m["top1"] == 0.5 and m["top3"] == 0.75
    assert m["mrr10"] == pytest.approx((1 + 1 / 3 + 0 + 1) / 4, abs=1e-4)
    assert m["dept_exact"] == 0.75
    assert m["list_recall"] == 0.5
    assert m["must_contain"] is None
    assert m["refusal_precision"] == 0.5 and m["refusal_recall"] == 0.5
    assert m["wrong_refusals"] == pytest.approx(1 / 5)
    assert m["english_top3"] == 0.0 and m["task_number_acc"] == 1.0
    assert m["by_kind"]["content"] == {"n": 2, "top1": 0.5, "top3": 0.5, "mrr10": 0.5, "dept_exact": 0.5,
                                       "list_recall": None, "refused": 0.5}
    assert m["by_kind"]["out_of_scope"]["refused"] == 0.5
    assert m["by_category"] == {"（一）": {"n": 2, "top1": 0.5, "top3": 1.0}, "（二）": {"n": 2, "top1": 0.5, "top3": 0.5}}


def test_no_refusals_gives_full_precision_and_zero_recall():
    questions = [q("q1", tasks_any=[1], departments=["A"]), q("q2", kind="out_of_scope", refuse=True)]
    scores = [score_question(x, answer([1], ["A"])) for x in questions]
    m = aggregate(questions, scores)
    assert (m["refusal_precision"], m["refusal_recall"], m["wrong_refusals"]) == (1.0, 0.0, 0.0)


def test_failure_records_say_what_came_back():
    expected = q(tasks_any=[31], departments=["园区税务局"])
    got = answer([65, 31], ["经发委", "各相关部门"])
    f = failure_record(expected, got, score_question(expected, got))
    assert f["expected"] == {"tasks_any": [31], "departments": ["园区税务局"]}
    assert f["got"] == {"kind": "content", "answered": True, "top_tasks": [65, 31], "departments": ["经发委", "各相关部门"]}
    assert len(f["reasons"]) == 2 and "rank 2" in f["reasons"][0]
    right = answer([31], ["园区税务局"])
    assert failure_record(expected, right, score_question(expected, right)) is None
    oos = q(kind="out_of_scope", refuse=True)
    assert failure_record(oos, answer([], answered=False), score_question(oos, answer([], answered=False))) is None
    assert failure_record(oos, answer([3]), score_question(oos, answer([3])))["reasons"] == ["answered a question it should refuse (out_of_scope)"]


def test_select_split():
    from bot.evaluation.evalset import EvalQuestion

    qs = [EvalQuestion(**q("q1", split="dev", kind="out_of_scope", refuse=True) | {"split": s}) for s in ("dev", "test")]
    assert [x.split for x in select_split(qs, "test")] == ["test"]
    assert len(select_split(qs, "all")) == 2


def _results():
    questions = [q("q1", tasks_any=[1], departments=["A"]), q("q2", question="<script>x</script>", tasks_any=[2], departments=["B"])]
    questions[1]["question"] = "<script>alert(1)</script>"
    out = {"systems": {}, "n": 2, "split": "test", "failures": {}}
    for system, got in (("bm25", answer([9], ["Z&Co"])), ("full", answer([2], ["B"]))):
        scores = [score_question(x, got) for x in questions]
        out["systems"][system] = aggregate(questions, scores, {1: "（一）", 2: "（一）"})
        out["failures"][system] = [f for x in questions if (f := failure_record(x, got, score_question(x, got)))]
    return out


def test_table_and_report(tmp_path):
    results = _results()
    table = format_table(results)
    assert "top1" in table and "bm25" in table and "<script>alert(1)</script>" in table
    path = write_report(tmp_path, results)
    html = path.read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Z&amp;Co" in html
    assert not re.search(r"(src|href)=['\"]?https?:", html)  # self-contained
    for svg in re.findall(r"<svg.*?</svg>", html, re.S):
        xml.dom.minidom.parseString(svg)
    assert json.loads((path.parent / "results.json").read_text(encoding="utf-8"))["n"] == 2
    write_report(tmp_path, results)
    history = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(history) == 2 and history[0]["systems"]["full"]["top1"] == 0.5
    assert "accuracy over time" in render_html(results, history, "t", None)


def test_report_is_chinese_full_system_first_and_has_no_inline_styles(tmp_path):
    html = render_html(_results(), [], "t", None)
    # Shown in pages whose CSP allows no inline styles: no <style> element, no style attribute.
    assert not re.search(r"<style|\sstyle\s*=", html, re.I)
    assert "<html lang='zh'>" in html and "评测报告" in html
    full_results, full_failures = html.index("完整系统（full）的结果"), html.index("完整系统（full）未通过的题目")
    baseline = html.index("与基线对比")
    baseline_failures = html.index("基线未通过的题目")
    assert full_results < full_failures < baseline < baseline_failures
    assert html.index("<details open><summary>完整系统") < baseline_failures


def test_wrong_departments_counts_extra_and_missing():
    fails = [{"kind": "content", "expected": {"departments": ["A", "B"]}, "got": {"departments": ["A", "C"]}}]
    assert wrong_departments(fails) == {"C (extra)": 1, "B (missing)": 1}


def test_bar_chart_is_valid_svg_with_escaped_labels():
    svg = bar_chart("a<b", ["x&y", "z"], {"full": [0.5, None], "bm25": [1.2, 0.0]})
    xml.dom.minidom.parseString(svg)
    assert "x&amp;y" in svg


def test_cli_refuses_an_invalid_set_before_loading_anything(tmp_path, capsys):
    from argparse import Namespace

    from bot.evaluation.runner import run_cli
    from bot.settings import get_settings

    bad = tmp_path / "q.yaml"
    bad.write_text("- id: q0001\n  question: 第200项是什么\n  kind: task_number\n  lang: zh\n  split: dev\n  tasks_any: [200]\n",
                   encoding="utf-8")
    code = run_cli(Namespace(set_file=str(bad), split="all", json=False, report=None), get_settings())
    assert code != 0
    assert "task 200 does not exist" in capsys.readouterr().err
