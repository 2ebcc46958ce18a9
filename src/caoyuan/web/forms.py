"""Typed page forms and the one way a page shows a refusal: roll back, keep the input, message at the field.

A page handler takes its body as ``URLEncodedBody[dict[str, str]]`` (so nothing is refused before the
handler runs and loses what the person typed), turns it into a msgspec Struct with ``parse_form`` (a refusal
names its field, in Chinese), calls the same service the API calls, and on any ``AppError`` returns
``refused_form(...)``:

    try:
        booking = await request_booking(db, user, parse_form(data, BookingForm))
    except AppError as exc:
        return await refused_form(db, exc, "machinery/book.html", data, lambda: booking_context(db, user))

``refused_form`` rolls the request's transaction back first, then builds the page's context afresh (objects
loaded before the rollback are expired and must not reach the template), and renders the same template with
``form`` (what was typed), ``errors`` ({field: message}) and ``error`` (the message, for a summary line).
Templates show a field's message with the ``field_error(name)`` macro from ``forms.html``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import msgspec
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.errors import AppError, BadInput

T = TypeVar("T")

_AT = re.compile(r" - at `\$\.(\w+)")
_MISSING = re.compile(r"missing required field `(\w+)`")
_UNKNOWN = re.compile(r"unknown field `(\w+)`")
_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Expected `int` >= (-?\d+)"), "不能小于 {0}"),
    (re.compile(r"Expected `int` <= (-?\d+)"), "不能大于 {0}"),
    (re.compile(r"Expected `str` of length >= (\d+)"), "至少 {0} 个字"),
    (re.compile(r"Expected `str` of length <= (\d+)"), "最多 {0} 个字"),
    (re.compile(r"Expected `str` matching regex"), "格式不对"),
    (re.compile(r"Expected `int`"), "请填写整数"),
    (re.compile(r"Expected `(?:float|decimal)`"), "请填写数字"),
    (re.compile(r"Expected `bool`"), "请选择是或否"),
    (re.compile(r"Expected `str`"), "请填写文字"),
    (re.compile(r"Expected `object`"), "应为一个 JSON 对象"),
    (re.compile(r"Invalid (?:RFC ?3339 encoded )?date"), "日期格式应为 年-月-日"),
    (re.compile(r"Invalid (?:RFC ?3339 encoded )?(?:datetime|time)"), "时间格式不对"),
    (re.compile(r"Invalid enum value"), "请从列表中选择"),
)


def message_for(error: msgspec.ValidationError) -> tuple[str, str | None]:
    """A Chinese message and the field it belongs to, from msgspec's English one."""
    text = str(error)
    if missing := _MISSING.search(text):
        return "请填写此项", missing.group(1)
    if unknown := _UNKNOWN.search(text):
        return f"不认识的字段 {unknown.group(1)}", unknown.group(1)
    at = _AT.search(text)
    field = at.group(1) if at else None
    head = text.split(" - at `", 1)[0]
    for pattern, template in _MESSAGES:
        if match := pattern.search(head):
            return template.format(*match.groups()), field
    return head, field  # messages raised by a struct's __post_init__ are already Chinese


def parse_form(raw: Mapping[str, Any], struct: type[T]) -> T:
    """A typed form from text fields: blank fields take the struct's default, text is stripped."""
    cleaned = {k: v.strip() if isinstance(v, str) else v for k, v in raw.items()}
    cleaned = {k: v for k, v in cleaned.items() if v != ""}
    try:
        return msgspec.convert(cleaned, struct, strict=False)
    except msgspec.ValidationError as exc:
        message, field = message_for(exc)
        raise BadInput(message, field=field) from None


async def refused_form(
    db: AsyncSession,
    exc: AppError,
    template: str,
    form: Mapping[str, Any],
    context: Callable[[], Awaitable[dict[str, Any]]],
) -> Template:
    """Roll back, rebuild the page's context, and show the form again with the input and the message."""
    await db.rollback()
    page = await context()
    errors = {exc.field: exc.message} if exc.field else {}
    page.update(form=dict(form), errors=errors, error=exc.message)
    return Template(template, context=page, status_code=exc.status)
