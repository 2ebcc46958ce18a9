"""A JSON body decoded by the handler itself, for the few routes too hot for Litestar's parameter machinery.

Refusals are the API's usual ones, in Chinese and at the field: a body that is not JSON is
``malformed_json``; a value of the wrong type, out of bounds, missing or unknown is ``validation_error``
naming its field (the same words as a page form's, ``forms.message_for``).
"""

from __future__ import annotations

from typing import TypeVar

import msgspec

from caoyuan.errors import AppError, KernelCode
from caoyuan.web.forms import message_for

T = TypeVar("T")


def decode_body(raw: bytes, decoder: msgspec.json.Decoder[T]) -> T:
    try:
        return decoder.decode(raw)
    except msgspec.ValidationError as exc:
        message, field = message_for(exc)
        raise AppError(message, code=KernelCode.VALIDATION_ERROR, field=field or "body") from None
    except msgspec.DecodeError:
        raise AppError("请求体不是有效的 JSON", code=KernelCode.MALFORMED_JSON) from None
