"""Security headers and content security policies of every response, by path."""

from __future__ import annotations

# Pages keep every script and style in separate files, so no 'unsafe-inline' is needed.
_PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors {ancestors}"
)
# FastAPI's /docs and /redoc pages load Swagger UI / ReDoc from a CDN and start them with an inline script.
_DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com; "
    "worker-src blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
# Evaluation reports are generated HTML: styles allowed, never scripts; the admin page may frame them.
_REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
# JSON and everything else: nothing to load, nothing to frame.
_API_CSP = "default-src 'none'; frame-ancestors 'none'"

WIDGET_FRAME_PATH = "/widget/frame"
_PAGE_PATHS = {"/", "/console", "/admin", WIDGET_FRAME_PATH}


def frame_ancestors(cors_origins: list[str]) -> str:
    """Who may embed the widget frame: the CORS allowlist; with an empty list, pages of the same origin only."""
    if "*" in cors_origins:
        return "*"
    if not cors_origins:
        return "'self'"
    return " ".join(["'self'", *cors_origins])


def security_headers_for(path: str, widget_frame_ancestors: str) -> dict[str, str]:
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }
    if path == WIDGET_FRAME_PATH:
        # X-Frame-Options cannot express an allowlist; frame-ancestors alone decides for this page.
        headers["Content-Security-Policy"] = _PAGE_CSP.format(ancestors=widget_frame_ancestors)
    elif path in _PAGE_PATHS:
        headers["Content-Security-Policy"] = _PAGE_CSP.format(ancestors="'none'")
        headers["X-Frame-Options"] = "DENY"
    elif path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        headers["Content-Security-Policy"] = _DOCS_CSP
        headers["X-Frame-Options"] = "DENY"
    elif path.startswith("/api/admin/eval/reports/"):
        headers["Content-Security-Policy"] = _REPORT_CSP
        headers["X-Frame-Options"] = "SAMEORIGIN"
    else:
        headers["Content-Security-Policy"] = _API_CSP
        headers["X-Frame-Options"] = "DENY"
    return headers
