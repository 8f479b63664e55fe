"""Tests for bot/cli.py: the real commands in-process (sharing the loaded model), usage errors as a real process."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli
from bot.settings import PROJECT_ROOT

POLICYBOT = Path(sys.executable).parent / "policybot"


@pytest.fixture(scope="module", autouse=True)
def _model_loaded_once(policy_bot):
    """The commands load their own PolicyBot; the session's one keeps the model in this process's cache."""
    return policy_bot


def _run(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(POLICYBOT), *args], capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT)


def test_ask_json(capsys):
    assert cli.main(["ask", "--json", "企业注销找哪个部门？"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    result = json.loads(out[0])
    assert result["question"] == "企业注销找哪个部门？"
    assert result["kind"] == "department"
    assert result["citations"][0]["task"] == 6


def test_ask_plain_prints_the_reply_and_citations(capsys):
    assert cli.main(["ask", "第32项是什么？", "--top-k", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("根据《苏州工业园区2023年营商环境建设行动方案》任务清单第32项")
    assert "[第32项 " in out


def test_ask_batch_file_gives_one_json_line_per_question_in_order(tmp_path, capsys):
    questions = ["企业注销找哪个部门？", "第三十二条", "你喜欢吃火锅吗", "人社局负责哪些任务？"]
    path = tmp_path / "questions.txt"
    path.write_text("\n".join(questions) + "\n", encoding="utf-8")
    assert cli.main(["ask", "--json", "--file", str(path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(questions)
    results = [json.loads(line) for line in lines]
    assert [r["question"] for r in results] == questions
    assert [r["kind"] for r in results] == ["department", "task_number", "out_of_scope", "department_tasks"]


def test_ask_batch_accepts_json_lines_with_history(tmp_path, capsys):
    lines = [
        "企业注销找哪个部门？",
        json.dumps({"question": "能网上办吗？", "history": [{"question": "企业注销找哪个部门？", "tasks": [6]}]}, ensure_ascii=False),
        json.dumps({"question": "这个找谁？", "history": [{"question": "第32项是什么", "tasks": [32]}]}, ensure_ascii=False),
        json.dumps({"question": "第5项"}, ensure_ascii=False),
    ]
    path = tmp_path / "thread.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert cli.main(["ask", "--json", "--file", str(path)]) == 0
    results = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [r["question"] for r in results] == ["企业注销找哪个部门？", "能网上办吗？", "这个找谁？", "第5项"]
    assert results[1]["tasks"][0] == 4 and results[2]["departments"] == ["园区海关"]
    assert all(r["id"] for r in results) and len({r["id"] for r in results}) == 4


def test_ask_batch_with_a_broken_json_line_names_it(tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text('企业注销找哪个部门？\n{"question": \n', encoding="utf-8")
    assert cli.main(["ask", "--json", "--file", str(path)]) == 2
    assert "line 2" in capsys.readouterr().err


def test_ask_batch_from_stdin_skips_blank_lines(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("第5项\n\n   \ntask 7\n"))
    assert cli.main(["ask", "--file", "-"]) == 0
    results = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [r["citations"][0]["task"] for r in results] == [5, 7]


def test_ask_invalid_top_k_is_a_clear_error(capsys):
    assert cli.main(["ask", "企业注销找哪个部门？", "--top-k", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("policybot: ") and "top_k" in err


def test_corpus_json_has_107_tasks(capsys):
    assert cli.main(["corpus", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    tasks = data["documents"][0]["tasks"]
    assert len(tasks) == 107
    assert [t["number"] for t in tasks] == list(range(1, 108))


def test_model_info_json(capsys):
    assert cli.main(["model", "info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["name"] == "multilingual-e5-small"
    assert Path(info["path"]).is_dir()
    assert info["dim"] == 384


def test_ask_without_a_question_is_a_usage_error():
    proc = _run(["ask"])
    assert proc.returncode != 0
    assert "give a question" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_bad_option_value_is_a_usage_error():
    proc = _run(["ask", "--top-k", "many", "企业注销"])
    assert proc.returncode == 2
    assert "usage:" in proc.stderr and "--top-k" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_question_file_is_a_clear_error(tmp_path):
    proc = _run(["ask", "--file", str(tmp_path / "missing.txt")])
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "missing.txt" in proc.stderr
