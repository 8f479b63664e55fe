"""GET /api/search: ranked task and passage search with highlight offsets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from bot.api.deps import BotDep
from bot.api.schemas import ErrorBody, SearchResponse

router = APIRouter(prefix="/api", tags=["browse"])


@router.get("/search", response_model=SearchResponse, responses={422: {"model": ErrorBody}})
def search(
    bot: BotDep,
    q: Annotated[str, Query(max_length=200, description="search text; empty lists the filter's tasks")] = "",
    department: Annotated[str | None, Query(max_length=50)] = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
):
    """Search the task list and the body text; filter by lead department or category."""
    return bot.browse.search(q.strip(), department=department or None, category=category or None, limit=limit)
