"""The static pages: demo host page, widget script and frame, hotline console, admin, and /static assets."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from bot.api.errors import ApiError

WEB_DIR = Path(__file__).resolve().parent.parent.parent / "web"

# HTML revalidates on every load (cheap with ETag) so a deploy shows at once; assets may be reused briefly.
HTML_CACHE = "no-cache"
ASSET_CACHE = "public, max-age=300"

router = APIRouter(include_in_schema=False)


def _file(name: str, cache: str, media_type: str | None = None) -> FileResponse:
    path = WEB_DIR / name
    if not path.is_file():
        raise ApiError(404, "not_found", f"页面不存在 / page not found: {name}")
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": cache})


@router.api_route("/", methods=["GET", "HEAD"])
def index() -> FileResponse:
    return _file("index.html", HTML_CACHE)


@router.api_route("/widget.js", methods=["GET", "HEAD"])
def widget_script() -> FileResponse:
    return _file("widget.js", ASSET_CACHE, "text/javascript; charset=utf-8")


@router.api_route("/widget/frame", methods=["GET", "HEAD"])
def widget_frame() -> FileResponse:
    return _file("frame.html", HTML_CACHE)


@router.api_route("/console", methods=["GET", "HEAD"])
def console() -> FileResponse:
    return _file("console.html", HTML_CACHE)


@router.api_route("/admin", methods=["GET", "HEAD"])
def admin_page(request: Request) -> FileResponse:
    # The page holds no data (it asks for the token); it is hidden when admin is not configured.
    if not request.app.state.settings.admin_token:
        raise ApiError(404, "not_found", "未找到 / not found")
    return _file("admin.html", HTML_CACHE)


class _CachedStaticFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope):
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = ASSET_CACHE
        return response


def mount_static(app) -> None:
    # Mounted on the app itself: include_router does not carry mounts over.
    app.mount("/static", _CachedStaticFiles(directory=WEB_DIR / "static", check_dir=False), name="static")
