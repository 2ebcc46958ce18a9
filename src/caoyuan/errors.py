"""Errors a person can act on. Each carries a stable code, an HTTP status and a Chinese message.

Codes are members of an :class:`ErrorCode` enum — the kernel's :class:`KernelCode` here, and one enum per
domain in ``<domain>/errors.py`` (named in its ``Domain.error_codes``) — never bare strings, so every code
a client may see is listed, with its meaning, in the API description at ``/schema``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class ErrorCode(StrEnum):
    """A stable code (its value, sent to clients) with its meaning in Chinese (shown in /schema)."""

    meaning: str

    def __new__(cls, value: str, meaning: str = "") -> ErrorCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        return member


class KernelCode(ErrorCode):
    BAD_REQUEST = "bad_request", "请求有误"
    INVALID = "invalid", "填写的内容不符合要求（见 field 指出的字段）"
    NOT_FOUND = "not_found", "要找的记录不存在"
    CONFLICT = "conflict", "与当前数据冲突（例如已被别人处理）"
    FORBIDDEN = "forbidden", "没有权限"
    UNAUTHORIZED = "unauthorized", "需要登录，或登录已过期"
    ACCOUNT_LOCKED = "account_locked", "密码错误次数过多，账户暂时锁定"
    BAD_CREDENTIALS = "bad_credentials", "手机号或密码不对"
    MUST_CHANGE_PASSWORD = "must_change_password", "密码已被管理员重置，先修改密码才能继续"
    PHONE_TAKEN = "phone_taken", "手机号已注册"
    DATE_OUT_OF_RANGE = "date_out_of_range", "日期超出 2000–2100 年"
    PAYMENT_FAILED = "payment_failed", "支付宝接口调用失败"
    METHOD_NOT_ALLOWED = "method_not_allowed", "这个地址不支持这种请求方式"
    TOO_LARGE = "too_large", "上传的内容太大"
    TOO_MANY_REQUESTS = "too_many_requests", "请求太频繁"
    SERVER_ERROR = "server_error", "服务器出错（已记录）"
    UNAVAILABLE = "unavailable", "服务暂时不可用"
    MALFORMED_JSON = "malformed_json", "请求体不是有效的 JSON"
    VALIDATION_ERROR = "validation_error", "请求数据的字段类型或取值不对"
    CSRF_FAILED = "csrf_failed", "表单已过期或校验失败"
    ERROR = "error", "其他错误（见 message）"
    REFERENCE_MISSING = "reference_missing", "引用的记录不存在"
    DUPLICATE = "duplicate", "记录已存在，不能重复提交"
    MISSING_VALUE = "missing_value", "缺少必填的内容"
    RULE_VIOLATED = "rule_violated", "填写的内容不符合规则（数据库约束）"
    TOO_LONG = "too_long", "填写的内容太长"
    OUT_OF_RANGE = "out_of_range", "数值超出允许的范围"
    SETUP_LINK_GONE = "setup_link_gone", "设置链接已用过或已过期"
    ADMIN_EXISTS = "admin_exists", "已经有管理员账号，不能再用设置链接创建"


class AppError(Exception):
    """A refusal a person can act on. A kind of refusal is a subclass naming its HTTP status and code in
    its header, ``class Gone(AppError, status=410, code=KernelCode.…)``, so each kind is one line."""

    status = 400
    code: str = KernelCode.BAD_REQUEST

    def __init_subclass__(cls, *, status: int | None = None, code: str | None = None, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
        if code is not None:
            cls.code = code

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,  # an ErrorCode member
        field: str | None = None,
        status: int | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.field = field
        self.extra = extra or {}


class BadInput(AppError, status=422, code=KernelCode.INVALID):
    """What was sent breaks a rule of its field."""


class NotFound(AppError, status=404, code=KernelCode.NOT_FOUND):
    """The record asked for does not exist (or is not this person's to see)."""


class Conflict(AppError, status=409, code=KernelCode.CONFLICT):
    """Valid, but not now: the record's state or other data refuses it."""


class Forbidden(AppError, status=403, code=KernelCode.FORBIDDEN):
    """Signed in, but not allowed."""


class Unauthorized(AppError, status=401, code=KernelCode.UNAUTHORIZED):
    """Not signed in, or the sign-in has expired."""


class Locked(AppError, status=423, code=KernelCode.ACCOUNT_LOCKED):
    """Too many wrong passwords: the account waits."""


def code_table(enums: Iterable[type[ErrorCode]]) -> str:
    """The API description's list of error codes: every code a client may see, with its meaning. The same
    code may mean the same kind of refusal in two domains (``bad_state``): each is listed with its enum."""
    rows = [
        '错误响应：`{"code": …, "message": 中文说明, "field": 出错的字段}`。错误代码：',
        "",
        "| code | 定义于 | 含义 |",
        "|---|---|---|",
    ]
    for enum in dict.fromkeys(enums):
        rows.extend(f"| `{member.value}` | {enum.__name__} | {member.meaning} |" for member in enum)
    return "\n".join(rows)
