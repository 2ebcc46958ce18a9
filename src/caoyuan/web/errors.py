"""Every error becomes JSON (API) or a Chinese page (browser) with a code and a message a person understands."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect, Template

from caoyuan.errors import AppError, KernelCode
from caoyuan.web.dberrors import database_refusal

log = logging.getLogger("caoyuan.errors")

DEFAULT_MESSAGES = {
    400: "请求有误",
    401: "请先登录",
    403: "没有权限访问这里",
    404: "页面不存在",
    405: "不支持这种请求方式",
    409: "操作冲突，请刷新后重试",
    413: "上传的内容太大",
    422: "填写的内容有误",
    423: "账户已锁定",
    429: "请求太频繁，请稍后再试",
    500: "服务器出错了，我们已经记录，请稍后再试",
    503: "服务暂时不可用，请稍后再试",
}
CODES = {
    400: KernelCode.BAD_REQUEST,
    401: KernelCode.UNAUTHORIZED,
    403: KernelCode.FORBIDDEN,
    404: KernelCode.NOT_FOUND,
    405: KernelCode.METHOD_NOT_ALLOWED,
    409: KernelCode.CONFLICT,
    413: KernelCode.TOO_LARGE,
    422: KernelCode.INVALID,
    429: KernelCode.TOO_MANY_REQUESTS,
    500: KernelCode.SERVER_ERROR,
    503: KernelCode.UNAVAILABLE,
}


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/ws/", "/healthz", "/readyz", "/schema", "/pay/")):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


_AT_PATH = re.compile(r"at `\$\.([\w.\[\]]+)`")
_MISSING = re.compile(r"missing required field `(\w+)`")


def _field_name(message: str, key: str | None) -> str:
    """msgspec names the field inside its message ('… - at `$.quantity`'); prefer that over 'data'."""
    if match := _MISSING.search(message) or _AT_PATH.search(message):
        return match.group(1)
    return key or "body"


def _describe(exc: Exception) -> tuple[int, str, str, list[dict], dict]:
    """status, code, message, field errors, extra."""
    if isinstance(exc, AppError):
        fields = [{"field": exc.field, "message": exc.message}] if exc.field else []
        return exc.status, exc.code, exc.message, fields, exc.extra
    if isinstance(exc, ValidationException):
        fields = []
        for item in exc.extra if isinstance(exc.extra, list) else []:
            text = str(item.get("message", ""))
            fields.append({"field": _field_name(text, item.get("key")), "message": text})
        detail = str(exc.detail or "")
        if "JSON is malformed" in detail or "Malformed" in detail or "decode" in detail.lower():
            return 400, KernelCode.MALFORMED_JSON, "请求体不是有效的 JSON", fields, {}
        if fields:
            names = "、".join(f["field"] for f in fields)
            return 400, KernelCode.VALIDATION_ERROR, f"请检查这些字段：{names}", fields, {}
        return 400, KernelCode.VALIDATION_ERROR, f"请求数据有误：{detail}", fields, {}
    if isinstance(exc, HTTPException):
        status = exc.status_code
        detail = str(exc.detail or "")
        if status == 403 and "CSRF" in detail:
            return 403, KernelCode.CSRF_FAILED, "表单已过期或校验失败，请刷新页面后重试", [], {}
        if status == 400 and ("JSON" in detail or "decode" in detail.lower()):
            return 400, KernelCode.MALFORMED_JSON, "请求体不是有效的 JSON", [], {}
        return status, CODES.get(status, KernelCode.ERROR), DEFAULT_MESSAGES.get(status, detail or "请求失败"), [], {}
    if refusal := database_refusal(exc):
        return refusal.status, refusal.code, refusal.message, [], {}
    return 500, KernelCode.SERVER_ERROR, DEFAULT_MESSAGES[500], [], {}


def handle_exception(request: Request, exc: Exception) -> Response:
    status, code, message, fields, extra = _describe(exc)
    if refusal := database_refusal(exc):
        # The request's transaction is already rolled back (the db dependency). Log what kind of refusal
        # and which constraint, never the statement's values: they may be personal.
        log.warning(
            "database refused %s %s: %s (sqlstate=%s constraint=%s)",
            request.method,
            request.url.path,
            refusal.kind,
            refusal.sqlstate or "-",
            refusal.constraint or "-",
        )
    elif status >= 500:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if wants_json(request):
        body: dict = {"code": code, "message": message}
        if fields:
            body["fields"] = fields
        if extra:
            body.update(extra)
        return Response(body, status_code=status, media_type=MediaType.JSON)
    if status == 401:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return Redirect(f"/login?next={target}", status_code=303)  # type: ignore[return-value]
    return Template(  # type: ignore[return-value]
        template_name="error.html",
        context={"status": status, "code": code, "message": message, "fields": fields},
        status_code=status,
    )
