"""The people API's bodies and answers (coop.pages.people)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from caoyuan.bounds import ID_MAX

Phone = Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
RoleName = Annotated[str, msgspec.Meta(min_length=1, max_length=16)]


class PersonIn(msgspec.Struct, forbid_unknown_fields=True):
    phone: Phone
    name: Name
    role: RoleName
    member_id: Annotated[int, msgspec.Meta(ge=1, le=ID_MAX)] | None = None


class RoleIn(msgspec.Struct, forbid_unknown_fields=True):
    role: RoleName


class GrantIn(msgspec.Struct, forbid_unknown_fields=True):
    phone: Phone


class PersonOut(msgspec.Struct):
    user_id: int
    name: str
    phone: str  # masked
    role: str
    active: bool
    must_change_password: bool
    member_no: int | None = None


class TemporaryPasswordOut(msgspec.Struct):
    """Shown once: it is stored only as a hash, and its owner must change it at the first login."""

    user_id: int
    temporary_password: str
