"""Routing: the kind of answer a question gets, decided once from its wording and its retrieval evidence."""

from __future__ import annotations

from dataclasses import dataclass

from bot.answering.cues import QuestionFeatures
from bot.answering.types import Kind, Lang
from bot.corpus.vocabulary import SurfaceMatcher


@dataclass(frozen=True)
class Route:
    kind: Kind
    lang: Lang
    task: int | None = None
    department: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class NameMatchers:
    """How departments and topics are found in a question.

    `departments` leaves out spoken names that are also a topic's name ("市场监管"), which name the
    topic; `departments_any` keeps them, for lists of what a department leads."""

    departments: SurfaceMatcher
    departments_any: SurfaceMatcher
    categories: SurfaceMatcher


def route(q: QuestionFeatures, names: NameMatchers) -> Route:
    """What the wording asks for: a task by number, a department's or a topic's list, who, or what."""
    if q.task_number is not None:
        return Route("task_number", q.lang, task=q.task_number)
    named_departments = names.departments.find(q.text)
    if q.wants_list and q.names_leader and not named_departments:
        named_departments = names.departments_any.find(q.text)
    if q.wants_list and len(named_departments) == 1:
        return Route("department_tasks", q.lang, department=named_departments[0])
    named_categories = names.categories.find(q.text)
    if q.wants_list and len(named_categories) == 1 and not q.asks_who:
        return Route("category_tasks", q.lang, category=named_categories[0])
    if q.asks_who:
        return Route("department", q.lang)
    return Route("content", q.lang)


def needs_answerability(r: Route) -> bool:
    """Lists and task numbers are answered by the question's structure; the rest must be in scope."""
    return r.kind in ("department", "content")


def decide(r: Route, covered: bool, list_category: str | None) -> Route:
    """The final kind, in one place. `covered`: the answerability decision for this question;
    `list_category`: the topic a list question that names none is taken to ask about, when its
    confidence is in the list window (see Answerability.list_window)."""
    if not needs_answerability(r):
        return r
    if r.kind == "content" and list_category is not None:
        return Route("category_tasks", r.lang, category=list_category)
    if not covered:
        return Route("out_of_scope", r.lang)
    return r
