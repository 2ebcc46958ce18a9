from __future__ import annotations

import msgspec


class MemberPublic(msgspec.Struct):
    """A member as shown to the member themself or the accountant: the ID number is masked."""

    id: int
    member_no: int
    name: str
    id_number_masked: str
    phone_masked: str
    village: str
    group_name: str
    household_size: int
    hardship: bool
    status: str
