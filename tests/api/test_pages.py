"""The static pages and assets: served from bot/web, with sensible caching; the admin page only when enabled."""

import httpx
import pytest

from bot.api.app import create_app
from bot.api.routes.pages import WEB_DIR


@pytest.mark.parametrize(
    "path, file",
    [
        ("/", "index.html"),
        ("/widget/frame", "frame.html"),
        ("/console", "console.html"),
        ("/admin", "admin.html"),
    ],
)
def test_pages_are_the_static_files(live_server, path, file):
    r = httpx.get(f"{live_server}{path}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.content == (WEB_DIR / file).read_bytes()
    assert r.headers["cache-control"] == "no-cache"


def test_widget_script(live_server):
    r = httpx.get(f"{live_server}/widget.js")
    assert r.status_code == 200
    assert "javascript" in r.headers["content-type"]
    assert r.content == (WEB_DIR / "widget.js").read_bytes()
    assert "max-age" in r.headers["cache-control"]


def test_static_assets_revalidate_with_etag(live_server):
    r = httpx.get(f"{live_server}/static/frame.css")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/css")
    assert "max-age" in r.headers["cache-control"]
    again = httpx.get(f"{live_server}/static/frame.css", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304


def test_index_embeds_the_widget_with_one_script_tag(live_server):
    html = httpx.get(f"{live_server}/").text
    assert html.count('src="/widget.js"') == 1


def test_admin_page_hidden_without_a_token(api_settings, policy_bot, start_server):
    base = start_server(create_app(api_settings(admin_token=""), bot=policy_bot)).url
    r = httpx.get(f"{base}/admin")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
    api = httpx.get(f"{base}/api/admin/questions", headers={"Authorization": "Bearer anything"})
    assert api.status_code == 404
