"""Browse the task list, the lead departments and the categories."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from bot.api.deps import BotDep
from bot.api.schemas import CategoryList, DepartmentList, ErrorBody, Task, TaskList

router = APIRouter(prefix="/api", tags=["browse"])


@router.get("/tasks", response_model=TaskList)
def list_tasks(bot: BotDep):
    """Every task of the attachment's task list, in order."""
    return {"tasks": bot.browse.tasks()}


@router.get("/tasks/{number}", response_model=Task, responses={404: {"model": ErrorBody}, 422: {"model": ErrorBody}})
def get_task(bot: BotDep, number: Annotated[int, Path(ge=1, le=100000)]):
    """One task by its number; 404 when there is no such task."""
    return bot.browse.task(number)


@router.get("/departments", response_model=DepartmentList)
def list_departments(bot: BotDep):
    """Lead departments with their aliases and the tasks they lead."""
    return {"departments": bot.browse.departments()}


@router.get("/categories", response_model=CategoryList)
def list_categories(bot: BotDep):
    """Task categories with their task numbers."""
    return {"categories": bot.browse.categories()}
