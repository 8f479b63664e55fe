"""The attachment's task table: tab-separated rows with repeated headers, carried categories and wrapped cells."""

from __future__ import annotations

from dataclasses import replace

from bot.corpus.departments import DepartmentTable
from bot.corpus.numerals import cn_number
from bot.corpus.parse.text import PART_RE, SECTION_RE, clean_text, normalise_category, squash, strip_markup
from bot.corpus.records import Task
from bot.errors import InvalidInput

_HEADER_NAMES = {
    "category": ("类目", "类别", "领域"),
    "number": ("序号", "编号"),
    "text": ("事项", "任务", "工作任务", "主要任务", "任务内容"),
    "departments": ("牵头部门", "牵头单位", "责任部门", "责任单位"),
}


def _header_columns(cells: list[str]) -> dict[str, int] | None:
    names = [squash(strip_markup(c)) for c in cells]
    cols = {}
    for key, options in _HEADER_NAMES.items():
        idx = next((i for i, n in enumerate(names) if n in options), None)
        if idx is None:
            return None
        cols[key] = idx
    return cols


def parse_task_rows(rows: list[tuple[int, str]], table: DepartmentTable | None) -> list[Task]:
    """Tab-separated task-list rows -> Tasks. Repeated header rows are skipped; the category
    cell, given only on a category's first row, is carried forward; part rows (plain or bold)
    set the part. Rows that fit none of these raise InvalidInput naming the line."""
    table = table or DepartmentTable([])
    cols = {"category": 0, "number": 1, "text": 2, "departments": 3}
    tasks: list[Task] = []
    part = category = ""
    category_number = 0
    seen: set[int] = set()
    for line_no, raw in rows:
        cells = raw.split("\t")
        if (header := _header_columns(cells)) is not None:
            cols = header
            continue
        cells += [""] * (max(cols.values()) + 1 - len(cells))
        number_cell = squash(cells[cols["number"]])
        first = clean_text(strip_markup(cells[cols["category"]]))
        text = clean_text(cells[cols["text"]])
        dept_raw = cells[cols["departments"]].strip()
        if not number_cell:
            if not text and not dept_raw:
                if PART_RE.match(first):
                    part, category = first, ""
                    continue
                if SECTION_RE.match(first):
                    category = normalise_category(first)
                    category_number = cn_number(SECTION_RE.match(category).group(1))
                    continue
            if tasks and not first:
                # A task's text or departments wrapped onto a row of their own.
                last = tasks[-1]
                merged_raw = "、".join(x for x in (last.departments_raw, dept_raw) if x)
                tasks[-1] = replace(
                    last, text=clean_text(last.text + " " + text), departments_raw=merged_raw,
                    departments=table.split(merged_raw),
                )
                continue
            raise InvalidInput(f"task list line {line_no}: cannot read row {raw!r}")
        if not number_cell.isdigit():
            raise InvalidInput(f"task list line {line_no}: task number {number_cell!r} is not a number")
        number = int(number_cell)
        if number in seen:
            raise InvalidInput(f"task list line {line_no}: task {number} appears twice")
        seen.add(number)
        if first:
            category = normalise_category(first)
            m = SECTION_RE.match(category)
            category_number = cn_number(m.group(1)) if m else category_number + 1
        if not category:
            raise InvalidInput(f"task list line {line_no}: task {number} has no category")
        tasks.append(
            Task(number=number, category=category, category_number=category_number, part=part, text=text,
                 departments=table.split(dept_raw), departments_raw=dept_raw)
        )
    return tasks
