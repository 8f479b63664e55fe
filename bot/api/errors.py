"""One place that turns every error into the JSON body {"error": {"code", "message", "details"?}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot import errors
from bot.api.security import security_headers_for

log = logging.getLogger("policybot.api")

# Typed service errors, most specific first.
_SERVICE_CODES: tuple[tuple[type[errors.PolicyBotError], str], ...] = (
    (errors.InvalidInput, "invalid_input"),
    (errors.NotFound, "not_found"),
    (errors.Conflict, "conflict"),
    (errors.IndexNotReady, "not_ready"),
    (errors.ModelError, "model_error"),
)

_HTTP_CODES = {
    400: ("bad_request", "请求有误 / bad request"),
    401: ("unauthorized", "需要有效的管理令牌 / a valid admin token is required"),
    403: ("forbidden", "无权访问 / forbidden"),
    404: ("not_found", "未找到 / not found"),
    405: ("method_not_allowed", "不支持该请求方法 / method not allowed"),
    406: ("not_acceptable", "not acceptable"),
    409: ("conflict", "数据已被修改，请刷新后重试 / conflict"),
    413: ("payload_too_large", "请求体过大 / request body too large"),
    415: ("unsupported_media_type", "请使用 application/json / unsupported media type"),
    422: ("invalid_input", "输入无效 / invalid input"),
    428: ("precondition_required", "缺少 If-Match 头 / the If-Match header is required"),
    429: ("rate_limited", "请求过于频繁，请稍后再试 / too many requests, retry later"),
    503: ("unavailable", "服务暂不可用，请稍后再试 / the service is unavailable, retry shortly"),
}


class ApiError(StarletteHTTPException):
    """An HTTP error with a machine-readable code; raised by routes and dependencies."""

    def __init__(
        self,
        status_code: int,
        code: str | None = None,
        message: str | None = None,
        details: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        default_code, default_message = _HTTP_CODES.get(status_code, ("error", "error"))
        super().__init__(status_code=status_code, detail=message or default_message, headers=headers)
        self.code = code or default_code
        self.details = details


def error_body(code: str, message: str, details: list[Any] | None = None) -> dict:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return {"error": body}


def error_response(
    status_code: int, code: str, message: str, details: list[Any] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status_code, headers=headers)


# How to fix a field, in Chinese, by pydantic's error type (the English is pydantic's own message).
_FIX_ZH = {
    "missing": "必须填写",
    "extra_forbidden": "不认识的字段，请删去",
    "string_too_short": "不能为空",
    "string_too_long": "太长，请缩短",
    "too_long": "项数太多，请删减",
    "too_short": "项数太少",
    "literal_error": "取值无效，请从可选值中选一个",
    "enum": "取值无效，请从可选值中选一个",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为文本",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "greater_than_equal": "数值太小",
    "greater_than": "数值太小",
    "less_than_equal": "数值太大",
    "less_than": "数值太大",
}


def _validation_details(exc: RequestValidationError) -> tuple[str, list[dict]]:
    details = []
    for err in exc.errors():
        # The offending input is left out on purpose: it can be large, and echoing it adds nothing.
        item = {"loc": [str(p) for p in err.get("loc", ())], "msg": err.get("msg", ""), "type": err.get("type", "")}
        item["msg_zh"] = _FIX_ZH.get(item["type"], "取值无效")
        details.append(item)
    if any(d["type"] == "json_invalid" for d in details):
        return "请求体不是合法的 JSON / the request body is not valid JSON", details
    zh, en = [], []
    for d in details:
        field = ".".join(d["loc"][1:] or d["loc"])
        zh.append(f"{field}：{d['msg_zh']}")
        en.append(f"{field}: {d['msg']}")
    return f"输入无效，请修改 {'；'.join(zh)} / invalid input, fix {'; '.join(en)}", details


async def _on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    message, details = _validation_details(exc)
    code = "invalid_json" if any(d["type"] == "json_invalid" for d in details) else "invalid_input"
    return error_response(422, code, message, details)


async def _on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    default_code, default_message = _HTTP_CODES.get(exc.status_code, ("error", "error"))
    code = getattr(exc, "code", None) or default_code
    # Starlette's own messages ("Not Found", "There was an error parsing the body") are replaced by ours.
    message = exc.detail if isinstance(exc, ApiError) else default_message
    if not isinstance(exc, ApiError) and exc.status_code == 400:
        message = "无法解析请求体 / the request body could not be parsed"
    return error_response(exc.status_code, code, str(message), getattr(exc, "details", None), exc.headers)


async def _on_service_error(request: Request, exc: errors.PolicyBotError) -> JSONResponse:
    # Subclasses defined elsewhere (e.g. an unavailable question log) are named by their status code.
    code = next((c for cls, c in _SERVICE_CODES if isinstance(exc, cls)), None)
    code = code or _HTTP_CODES.get(exc.status_code, ("error", ""))[0]
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    message = lines[0] if lines else code
    # Multi-line messages (e.g. a list of eval-set problems) become details.
    details = lines[1:] or None
    headers = {"Retry-After": "5"} if exc.status_code == 503 else None
    return error_response(exc.status_code, code, message, details, headers)


async def _on_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    # This response bypasses the user middleware, so it carries the security headers itself.
    headers = security_headers_for(request.url.path, request.app.state.frame_ancestors)
    return error_response(500, "internal_error", "服务器内部错误 / internal server error", headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(errors.PolicyBotError, _on_service_error)
    app.add_exception_handler(Exception, _on_unexpected_error)
