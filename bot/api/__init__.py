"""HTTP API: the FastAPI app that serves answers, search, the widget, the console and the admin."""

from bot.api.app import create_app

__all__ = ["create_app"]
