"""Checks of eval records against the corpus: every problem named with the field to fix and how,
in Chinese and English (staff read them in the admin page)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from bot.corpus.records import Corpus, Task
from bot.errors import InvalidInput

# How a question is asked (answerable ones), or why the plan does not answer it (the others). The
# runner reports each apart, so a class that regresses is seen even when the totals hold.
STYLES = ("situation", "hotline", "colloquial", "noisy", "number", "list", "english", "formal")
REASONS = (
    "other_region", "other_year", "national_rule", "private_person", "not_stated", "outside_procedure",
    "chitchat", "illegal", "injection", "other",
)
# Kinds the service answers with answered: false (a task number outside the list is refused too).
REFUSED_KINDS = ("out_of_scope", "not_stated")
ID_PATTERN = re.compile(r"^q\d{4,}$")


# ---------------------------------------------------------------- corpus view


def department_aliases(corpus: Corpus) -> dict[str, str]:
    """Every known spelling (canonical names included) → canonical name."""
    table: dict[str, str] = {}
    for dept in corpus.departments:
        table[dept.name] = dept.name
        for alias in dept.aliases:
            table[alias] = dept.name
    return table


def canonical_department(name: str, aliases: dict[str, str]) -> str:
    key = re.sub(r"\s+", "", name)
    return aliases.get(key, key)


def all_tasks(corpus: Corpus) -> dict[int, Task]:
    return {t.number: t for doc in corpus.documents for t in doc.tasks}


def category_tasks(corpus: Corpus) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for number, task in sorted(all_tasks(corpus).items()):
        out.setdefault(task.category, []).append(number)
    return out


def department_tasks(corpus: Corpus) -> dict[str, list[int]]:
    return {d.name: sorted(d.tasks) for d in corpus.departments}


def _problem(where: str, field: str, zh: str, en: str) -> str:
    """One problem, for staff: the record, the field to fix, and how, in Chinese and English."""
    return f"{where} {field}：{zh} / {field}: {en}"


def _names(departments) -> str:
    return "、".join(departments)


def validate(questions: list[Any], corpus: Corpus) -> list[str]:
    """Every problem found, as readable lines (record, field, what to do; Chinese / English);
    empty when the set is sound."""
    problems: list[str] = []
    tasks = all_tasks(corpus)
    aliases = department_aliases(corpus)
    by_dept = department_tasks(corpus)
    categories = {tuple(v) for v in category_tasks(corpus).values()}
    highest = max(tasks) if tasks else 0
    seen: set[str] = set()
    for q in questions:
        where = f"{q.id}:"
        if not ID_PATTERN.match(q.id):
            problems.append(_problem(where, "id", "应形如 q0001", "id must look like q0001"))
        if q.id in seen:
            problems.append(_problem(where, "id", "与另一题重复，请换一个编号", "duplicate id: choose another"))
        seen.add(q.id)
        if not q.question.strip():
            problems.append(_problem(where, "question", "不能为空，请填写问题", "empty question: write the question"))
        has_cjk = bool(re.search(r"[\u4e00-\u9fff]", q.question))
        if q.lang == "zh" and not has_cjk and q.style != "noisy":
            problems.append(_problem(where, "lang", "填了 zh 但问题里没有中文，请改为 en",
                                     "lang zh but the question has no Chinese: set lang to en"))
        if q.lang == "en" and has_cjk and not re.search(r"[A-Za-z]{3,}", q.question):
            problems.append(_problem(where, "lang", "填了 en 但问题是中文，请改为 zh",
                                     "lang en but the question is Chinese: set lang to zh"))
        for n in q.tasks_any + q.tasks_all:
            if n not in tasks:
                field = "tasks_any" if n in q.tasks_any else "tasks_all"
                problems.append(_problem(where, field, f"第{n}项不存在，任务编号为 1–{highest}",
                                         f"task {n} does not exist: task numbers run 1–{highest}"))
        unknown = [d for d in q.departments if canonical_department(d, aliases) not in by_dept]
        for d in unknown:
            problems.append(_problem(where, "departments", f"不认识“{d}”，请填写牵头部门的名称，如 行政审批局",
                                     f"unknown department {d!r}: use a lead department's name, e.g. 行政审批局"))
        canon = [canonical_department(d, aliases) for d in q.departments]
        if len(set(canon)) != len(canon):
            problems.append(_problem(where, "departments", "同一部门填了两次，请删去重复的",
                                     "department listed twice: remove the repeat"))
        if q.style and q.style not in STYLES + REASONS:
            allowed = ", ".join(STYLES + REASONS)
            problems.append(_problem(where, "style", f"应为以下之一：{allowed}", f"style must be one of {allowed}"))
        out_of_range = q.kind == "task_number" and not q.tasks_any and not q.tasks_all
        expected_refuse = q.kind in REFUSED_KINDS or out_of_range
        if q.refuse != expected_refuse:
            problems.append(_problem(
                where, "refuse", f"只有 out_of_scope、not_stated 和清单外的任务编号为 true，这一题请改为 {str(expected_refuse).lower()}",
                f"refuse must be true exactly for out_of_scope, not_stated and task numbers outside the list: "
                f"set it to {str(expected_refuse).lower()}",
            ))
        problems.extend(_problem(where, *p) for p in _kind_problems(q, canon, tasks, by_dept, categories, unknown))
    return problems


def _kind_problems(q, canon, tasks, by_dept, categories, unknown) -> Iterator[tuple[str, str, str]]:
    """(field, Chinese, English) for each problem with what the record's kind requires."""
    if q.kind == "task_number":
        # One task (tasks_any), several (tasks_all: "第48和49条", "48-50项"), or none (a number outside the list).
        if q.tasks_any and (len(q.tasks_any) != 1 or q.tasks_all):
            yield ("tasks_any", "task_number 题在 tasks_any 填一个任务，或在 tasks_all 填多个",
                   "task_number names one task in tasks_any, or several in tasks_all")
        if len(q.tasks_all) == 1:
            yield ("tasks_all", "只有一个任务时请填在 tasks_any", "task_number with one task takes tasks_any")
    if q.kind in ("department", "content", "task_number"):
        if not q.tasks_any and q.kind != "task_number":
            yield ("tasks_any", f"{q.kind} 题需要填写预期的任务编号", f"{q.kind} needs tasks_any")
        if q.tasks_all and q.kind != "task_number":
            yield ("tasks_all", f"{q.kind} 题请把任务填在 tasks_any，tasks_all 留空", f"{q.kind} takes tasks_any, not tasks_all")
        if q.kind in ("department", "content") and not q.departments:
            yield ("departments", f"{q.kind} 题需要填写预期的牵头部门", f"{q.kind} needs the expected departments")
        if q.departments and not unknown and all(n in tasks for n in q.tasks_any):
            # The expectation must be the lead departments of one of the expected tasks, in order.
            options = [list(tasks[n].departments) for n in q.tasks_any]
            if canon not in options:
                hint = "；或 ".join(_names(o) for o in options)
                yield ("departments", f"应为所填任务的牵头部门，按清单顺序填写：{hint}",
                       f"departments {canon} are not the lead departments of task(s) {q.tasks_any}: {options}; "
                       f"write them in the list's order, e.g. {_names(options[0])}")
    elif q.kind == "department_tasks":
        if q.tasks_any:
            yield ("tasks_any", "department_tasks 题把任务填在 tasks_all", "department_tasks takes tasks_all, not tasks_any")
        if len(canon) != 1:
            yield ("departments", "department_tasks 题只填一个部门", "department_tasks names exactly one department in departments")
        elif not unknown and sorted(q.tasks_all) != by_dept.get(canon[0]):
            every = by_dept.get(canon[0])
            yield ("tasks_all", f"应为{canon[0]}牵头的全部任务：{every}", f"tasks_all must be every task {canon[0]} leads: {every}")
    elif q.kind == "category_tasks":
        if q.tasks_any or q.departments:
            yield ("tasks_all", "category_tasks 题只填 tasks_all，tasks_any 和 departments 留空", "category_tasks takes only tasks_all")
        # A whole category, or the tasks of one category that a narrower topic asks about ("融资贷款").
        if not q.tasks_all or not any(set(q.tasks_all) <= set(c) for c in categories):
            yield ("tasks_all", "应为同一类别（如“（五）纳税”）中的任务", "tasks_all must be tasks of one category")
    elif q.kind == "not_stated":
        if not q.tasks_any or q.tasks_all or q.departments:
            yield ("tasks_any", "not_stated 题只在 tasks_any 填相关任务，其余留空",
                   "not_stated takes the related task(s) in tasks_any, and nothing else")
    elif q.kind == "out_of_scope":
        if q.tasks_any or q.tasks_all or q.departments or q.contains:
            yield ("kind", "out_of_scope 题不填任务、部门或短语", "out_of_scope takes no expected tasks, departments or phrases")


def check_or_raise(questions: list[Any], corpus: Corpus) -> None:
    problems = validate(questions, corpus)
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise InvalidInput(
            f"评测集有 {len(problems)} 处问题，请按提示修改对应字段 / the eval set has {len(problems)} problem(s): "
            f"fix the fields named below\n  {shown}{more}"
        )


