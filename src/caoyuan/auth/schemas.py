from __future__ import annotations

from typing import Annotated

import msgspec


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    phone: Annotated[str, msgspec.Meta(min_length=1, max_length=20, description="中国大陆手机号")]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class TokenResponse(msgspec.Struct):
    access_token: str
    token_type: str
    expires_at: str
    role: str


class Me(msgspec.Struct):
    id: int
    phone: str
    display_name: str
    role: str
