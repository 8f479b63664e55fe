"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> dict:
    """The process is up (the model may still be loading)."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "still loading, or loading failed"}})
def readyz(request: Request) -> JSONResponse:
    """Ready once model and index are loaded; reports what was loaded."""
    state = request.app.state
    if state.bot is not None and getattr(state.bot, "ready", True):
        return JSONResponse({"status": "ready", **state.bot.info()})
    if state.load_error:
        return JSONResponse({"status": "failed", "error": state.load_error}, status_code=503)
    return JSONResponse(
        {"status": "loading", "reason": getattr(state, "loading", "loading")}, status_code=503, headers={"Retry-After": "2"}
    )
