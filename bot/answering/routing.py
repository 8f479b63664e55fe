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
    tasks: tuple[int, ...] = ()  # for task_number: the numbers named (cues.LAST_TASK for the last)
    department: str | None = None
    category: str | None = None
    instruction: bool = False  # refused because it is addressed to the system


@dataclass(frozen=True)
class NameMatchers:
    """How departments and topics are found in a question.

    `departments` leaves out spoken names that are also a topic's name ("市场监管"), which name the
    topic; `departments_any` keeps them, for lists of what a department leads."""

    departments: SurfaceMatcher
    departments_any: SurfaceMatcher
    categories: SurfaceMatcher


def route(q: QuestionFeatures, names: NameMatchers) -> Route:
    """What the wording asks for: a task by number, a department's or a topic's list, who, or what.
    Text addressed to the system, and a request for help breaking the law, are refused whatever else
    they ask. A question about another year's
    plan or another place's policy is never answered by structure: the answerability decision judges it."""
    if q.instructs:
        return Route("out_of_scope", q.lang, instruction=True)
    if q.malice == "illegal":
        return Route("out_of_scope", q.lang)
    if not any(ch.isalnum() for ch in q.text):
        # Only symbols and punctuation: nothing is asked, and similarity to anything is noise.
        return Route("out_of_scope", q.lang)
    if q.elsewhere:
        return Route("department" if q.asks_who else "content", q.lang)
    listed = _list_of_one_name(q, names)
    # A department's or topic's list is fixed text of the plan that no wording can steer, and
    # imperative requests for one ("List every task the customs office leads") read like orders to
    # the learned detector; the written rule above still refuses instructions to the system.
    if q.malice == "injection" and listed is None:
        return Route("out_of_scope", q.lang, instruction=True)
    if q.task_numbers:
        return Route("task_number", q.lang, tasks=q.task_numbers)
    if listed is not None:
        return listed
    if q.asks_who:
        return Route("department", q.lang)
    return Route("content", q.lang)


def _list_of_one_name(q: QuestionFeatures, names: NameMatchers) -> Route | None:
    """The list of what one named department leads, or of one named topic's measures; else None."""
    named_departments = names.departments.find(q.text)
    if q.wants_list and q.names_leader and not named_departments:
        named_departments = names.departments_any.find(q.text)
    if q.wants_list and len(named_departments) == 1:
        return Route("department_tasks", q.lang, department=named_departments[0])
    named_categories = names.categories.find(q.text)
    if q.wants_list and len(named_categories) == 1 and not q.asks_who:
        return Route("category_tasks", q.lang, category=named_categories[0])
    return None


def needs_answerability(r: Route) -> bool:
    """Lists and task numbers are answered by the question's structure; the rest must be in scope."""
    return r.kind in ("department", "content")


def decide(r: Route, outcome: str, list_category: str | None) -> Route:
    """The final kind, in one place. `outcome`: the answerability judgement (answered, not_stated,
    out_of_scope); `list_category`: the topic a list question that names none is taken to ask
    about, when it is broad enough (see Answerability.list_window)."""
    if not needs_answerability(r):
        return r
    if r.kind == "content" and list_category is not None:
        return Route("category_tasks", r.lang, category=list_category)
    if outcome == "answered":
        return r
    return Route(outcome, r.lang)
