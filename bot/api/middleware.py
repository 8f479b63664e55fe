"""Request body limits, HEAD, the security-headers middleware, CORS refusals and the per-client rate limit on /api/ask."""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from urllib.parse import urlsplit

from limits import RateLimitItemPerMinute
from limits.errors import ConfigurationError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.api.errors import ApiError, error_response
from bot.api.security import security_headers_for
from bot.errors import ConfigError

_log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 16 * 1024
DEFAULT_READ_TIMEOUT = 10.0


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response, and makes redirects to this site relative
    (Starlette builds them from the client's Host header, which a client can set to anything)."""

    def __init__(self, app: ASGIApp, widget_frame_ancestors: str) -> None:
        self.app = app
        self.widget_frame_ancestors = widget_frame_ancestors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers_for(scope["path"], self.widget_frame_ancestors)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
                if 300 <= message["status"] < 400 and "location" in headers:
                    target = urlsplit(headers["location"])
                    if target.netloc and target.netloc == Headers(scope=scope).get("host", target.netloc):
                        headers["location"] = target.path + (f"?{target.query}" if target.query else "")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadAsGetMiddleware:
    """HEAD is answered wherever GET is: the GET response's status and headers, without its body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


class JsonCORSMiddleware(CORSMiddleware):
    """Starlette's CORS handling, with a refused preflight in the JSON error shape."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        reason = bytes(response.body).decode("utf-8", "replace")
        kept = {k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")}
        return error_response(400, "cors_refused", f"跨域请求被拒绝 / cross-origin request refused: {reason}", headers=kept)


class PayloadTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, "payload_too_large", f"请求体超过 {limit} 字节 / request body exceeds {limit} bytes")


class RequestTimeout(ApiError):
    def __init__(self, seconds: float) -> None:
        super().__init__(408, "request_timeout", f"请求体未在 {seconds:g} 秒内发完 / the request body was not sent within {seconds:g} s")


class BodySizeLimitMiddleware:
    """Rejects bodies over the limit (at once from Content-Length, or while reading a chunked body)
    and bodies not sent within the read timeout (a half-sent body would hold a worker forever)."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES, read_timeout: float = DEFAULT_READ_TIMEOUT) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout = read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            if declared.isdigit():
                exc = PayloadTooLarge(self.max_bytes)
                await error_response(413, exc.code, exc.detail)(scope, receive, send)
            else:
                await error_response(400, "bad_request", "Content-Length 无效 / invalid Content-Length")(
                    scope, receive, send
                )
            return

        received = 0
        started = False
        body_done = False

        async def limited_receive() -> Message:
            nonlocal received, body_done
            if body_done:  # after the body: waiting for a disconnect is not bounded
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.read_timeout)
            except asyncio.TimeoutError:
                raise RequestTimeout(self.read_timeout) from None
            if message["type"] == "http.request":
                body_done = not message.get("more_body", False)
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI re-raises HTTPException from body parsing, so the JSON handler answers.
                    raise PayloadTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except (PayloadTooLarge, RequestTimeout) as exc:
            if started:
                raise
            headers = {"Connection": "close"} if isinstance(exc, RequestTimeout) else None
            await error_response(exc.status_code, exc.code, exc.detail, headers=headers)(scope, receive, send)


def client_key(request: Request, trust_forwarded: bool) -> str:
    """The client's address; X-Forwarded-For only when a trusted proxy sets it."""
    if trust_forwarded:
        forwarded = request.headers.get("x-forwarded-for", "")
        # The right-most entry is the one our own proxy appended; entries to its left are client-supplied.
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-1]
    return request.client.host if request.client else "unknown"


def _redact(uri: str) -> str:
    """The storage URI without a password, for logs and error messages."""
    return re.sub(r"//[^@/]*@", "//***@", uri)


def rate_limit_storage(uri: str) -> Storage:
    """The `limits` storage a URI names; a clear error for an unknown scheme or a missing driver."""
    try:
        return storage_from_string(uri)
    except ConfigurationError as exc:
        raise ConfigError(f"rate_limit_storage {_redact(uri)!r} cannot be used: {exc}") from exc


class RateLimiter:
    """A moving one-minute window per client key; 0 or less disables the limit.

    The counters live where `storage_uri` says (a `limits` storage URI): `memory://` keeps them in
    this worker, `redis://host:port/db` shares them between workers and replicas.
    """

    def __init__(self, per_minute: int, storage_uri: str = "memory://", name: str = "ask") -> None:
        self.item = RateLimitItemPerMinute(per_minute) if per_minute > 0 else None
        self.name = name  # the counters' namespace: limits on one storage stay apart
        self.storage_uri = storage_uri
        self.limiter = MovingWindowRateLimiter(rate_limit_storage(storage_uri))
        self._last_warning = -math.inf

    def check(self, key: str) -> None:
        if self.item is None:
            return
        try:
            if self.limiter.hit(self.item, self.name, key):
                return
            reset_at, _ = self.limiter.get_window_stats(self.item, self.name, key)
        except Exception as exc:  # the shared store is down: answering beats refusing everyone
            now = time.monotonic()
            if now - self._last_warning > 60:  # once a minute, not once a request
                self._last_warning = now
                _log.warning("rate-limit storage %s unavailable, requests let through: %s", _redact(self.storage_uri), exc)
            return
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise ApiError(
            429,
            "rate_limited",
            f"请求过于频繁，请 {retry_after} 秒后再试 / too many requests, retry in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
