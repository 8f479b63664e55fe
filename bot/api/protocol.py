"""The HTTP protocol under uvicorn, with what uvicorn leaves out: a time limit on reading a request
head (uvicorn waits for a half-sent head forever; its keep-alive timer only runs between
requests), a size limit on it (httptools, uvicorn's default parser, took a 2 MB header), and its
own 400 answer to a malformed request in the JSON error shape with the security headers (uvicorn
answers those before any ASGI middleware could)."""

from __future__ import annotations

import asyncio
import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from bot.api.security import security_headers_for

MAX_HEAD_BYTES = 16 * 1024


def _error(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode("utf-8")


_BAD_REQUEST = _error("bad_request", "无法解析的 HTTP 请求 / malformed HTTP request")
_HEAD_TOO_LARGE = _error("headers_too_large", f"请求头超过 {MAX_HEAD_BYTES} 字节 / request head exceeds {MAX_HEAD_BYTES} bytes")


class GuardedHttpProtocol(HttpToolsProtocol):
    read_timeout = 10.0  # seconds to deliver a whole request head

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes: int | None = None
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        # The first bytes of the next request on a kept-alive connection start its clock.
        if self._head_timer is None and (self.cycle is None or self.cycle.response_complete):
            self._arm_head_timer()
        if self._head_bytes is not None:
            self._head_bytes += len(data)
        super().data_received(data)
        # Still reading the head (on_headers_complete resets the count) and over the limit.
        if self._head_bytes is not None and self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            self._cancel_head_timer()
            self._send_error(b"431 Request Header Fields Too Large", _HEAD_TOO_LARGE)

    def on_headers_complete(self) -> None:
        self._cancel_head_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_bytes = 0
        self._head_timer = self.loop.call_later(self.read_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        self._head_bytes = None
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.cycle is None or self.cycle.response_complete:  # still no complete head: let it go
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        self._send_error(b"400 Bad Request", _BAD_REQUEST)

    def _send_error(self, status: bytes, body: bytes) -> None:
        lines = [b"HTTP/1.1 " + status]
        lines += [name + b": " + value for name, value in self.server_state.default_headers]
        headers = security_headers_for("", "'none'")
        headers |= {"Content-Type": "application/json", "Content-Length": str(len(body)), "Connection": "close"}
        lines += [f"{name}: {value}".encode("latin-1") for name, value in headers.items()]
        self.transport.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        self.transport.close()


def protocol_with(read_timeout: float) -> type[GuardedHttpProtocol]:
    return type("GuardedHttpProtocol", (GuardedHttpProtocol,), {"read_timeout": float(read_timeout)})
