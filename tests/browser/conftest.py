"""Browser fixtures: Debian's headless Chromium driven by Playwright, a hostile host page, screenshots."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
# axe-core from npm (tests/browser/package.json; `npm ci --prefix tests/browser`, run by `make browser`).
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The answer comes from the real model and index; allow for a cold, busy 2-core machine.
ANSWER_TIMEOUT_MS = 60_000

playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed (`make browser` installs it)")
    executable = str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium"))
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageErrors(list):
    """Uncaught page errors and CSP violations seen while a test ran."""


@pytest.fixture
def page_errors() -> PageErrors:
    return PageErrors()


def _watch(page, errors: PageErrors) -> None:
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: errors.append(f"console: {msg.text}")
        if msg.type == "error" and "Content Security Policy" in msg.text
        else None,
    )


@pytest.fixture
def new_page(browser, page_errors, request):
    """Factory: a page in a fresh context (own viewport, permissions); screenshots on failure."""
    contexts = []

    def make(
        width: int = 1280,
        height: int = 800,
        permissions: list[str] | None = None,
        origin: str | None = None,
        bypass_csp: bool = False,
    ):
        # bypass_csp only for axe, whose script is injected inline; CSP itself is checked in the other tests.
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="zh-CN", bypass_csp=bypass_csp
        )
        if permissions:
            context.grant_permissions(permissions, origin=origin)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        _watch(page, page_errors)
        return page

    yield make
    failed = getattr(request.node, "rep_call", None)
    for i, context in enumerate(contexts):
        if failed is not None and failed.failed:
            for j, page in enumerate(context.pages):
                try:
                    shot(page, f"FAILED-{request.node.name}-{i}-{j}")
                except Exception:  # the page may already be gone; the failure itself is reported
                    pass
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)


def ask_in_widget(frame, question: str):
    """Send a question with Enter and wait for its own answer (not an earlier one); returns it."""
    done = frame.locator(".msg.bot:not(.loading)")
    before = done.count()
    frame.locator("html[data-ready]").wait_for(state="attached")  # frame.js handles Enter
    box = frame.locator("textarea#question")
    box.fill(question)
    box.press("Enter")
    answer = done.nth(before)
    answer.wait_for(timeout=ANSWER_TIMEOUT_MS)
    return answer


def axe_violations(frame) -> list[dict]:
    """WCAG 2.1 A/AA violations axe-core finds in one page or frame (its shadow DOM included)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci --prefix tests/browser` (make browser does)")
    if not frame.evaluate("() => !!window.axe"):
        frame.add_script_tag(path=str(AXE))
    result = frame.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, iframes: false, resultTypes: ['violations']})
              .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary}))})))""",
        AXE_TAGS,
    )
    return result


def shot(page, name: str) -> Path:
    """Save a screenshot under tests/artifacts/ (git-ignored) for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    path = ARTIFACTS / f"{safe}.png"
    page.screenshot(path=str(path))
    return path


HOSTILE_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Hostile host</title>
<style>
  /* Global rules a careless host page might ship: they must not reach the widget. */
  * { all: unset !important; }
  html, body { display: block !important; font: 40px/3 serif !important; color: #f0f !important; background: #222 !important; }
  div, iframe, button, section, dialog { display: none !important; }
  body * { position: static !important; z-index: 0 !important; box-sizing: content-box !important; }
  p, h1 { display: block !important; }
  .topbar { display: block !important; position: fixed !important; left: 0; right: 0; bottom: 0; top: auto;
            height: 180px; background: rgba(255, 200, 0, .85) !important; z-index: 2147482000 !important; }
  head, script, style { display: none !important; }
</style></head>
<body>
<h1>Another company's page</h1>
<p>Its styles are hostile on purpose.</p>
<aside class="topbar">cookie banner with a very high z-index</aside>
<script src="__WIDGET__" data-title="园区政策问答" async></script>
</body></html>
"""


class _HostPage:
    """A one-page HTTP server on its own port, i.e. a host page of another origin."""

    def __init__(self) -> None:
        self.body = b""
        page = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                if self.path.split("?")[0] != "/":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                self.wfile.write(page.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="host-page", daemon=True)

    def __enter__(self) -> _HostPage:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def hostile_host(api_settings, policy_bot, start_server) -> Iterator[str]:
    """URL of a hostile page on another origin embedding the widget of a real app that allows that origin.

    The widget frame may only be framed by origins on the CORS allowlist (frame-ancestors), as an
    enterprise's site would be listed in a deployment; the shared live server lists none of ours.
    """
    from bot.api.app import create_app

    with _HostPage() as host:
        settings = api_settings(cors_origins=[host.origin])
        server = start_server(create_app(settings, bot=policy_bot))
        host.body = HOSTILE_PAGE.replace("__WIDGET__", server.url + "/widget.js").encode("utf-8")
        yield host.origin + "/"
