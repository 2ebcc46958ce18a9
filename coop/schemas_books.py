"""Shapes of the books API (journal pages, reversals, opening balances, subsidies), bounded where they enter."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec
from msgspec import Meta


class ReverseIn(msgspec.Struct):
    reason: Annotated[str, Meta(min_length=1, max_length=200)]


class JournalLineOut(msgspec.Struct):
    account_code: str
    account_name: str
    debit_fen: int
    credit_fen: int
    member_id: int | None
    memo: str


class JournalEntryOut(msgspec.Struct):
    id: int
    entry_date: date
    source: str
    source_label: str
    description: str
    total_fen: int
    reverses_entry_id: int | None
    reversed_by_entry_id: int | None
    lines: list[JournalLineOut]


class EntryPageOut(msgspec.Struct):
    entries: list[JournalEntryOut]
    total: int
    page: int
    per_page: int
    pages: int


class OpeningBalanceIn(msgspec.Struct):
    account_code: Annotated[str, Meta(min_length=1, max_length=8)]
    amount_fen: Annotated[int, Meta(ge=-(10**15), le=10**15)]  # in the account's normal direction; < 0 the other


class OpeningIn(msgspec.Struct):
    entry_date: date
    balances: Annotated[list[OpeningBalanceIn], Meta(min_length=1, max_length=200)]


class OpeningOut(msgspec.Struct):
    entry_id: int | None
    entry_date: date | None


class SubsidyLineIn(msgspec.Struct):
    member_id: Annotated[int, Meta(ge=1, le=2**31 - 1)]
    amount_fen: Annotated[int, Meta(ge=1, le=10**15)]


class SubsidyIn(msgspec.Struct):
    year: Annotated[int, Meta(ge=2000, le=2100)]
    basis: Annotated[str, Meta(min_length=1, max_length=200)]
    lines: Annotated[list[SubsidyLineIn], Meta(min_length=1, max_length=2000)]


class SubsidyRowOut(msgspec.Struct):
    year: int
    member_id: int
    member_no: int
    name: str
    amount_fen: int
    basis: str


class SubsidyOut(msgspec.Struct):
    total_fen: int
    rows: list[SubsidyRowOut]


class MemberOpeningIn(msgspec.Struct):
    member_no: Annotated[int, Meta(ge=1, le=999_999)]
    shares: Annotated[int, Meta(ge=0, le=10**9)] = 0
    capital_fen: Annotated[int, Meta(ge=0, le=10**15)] = 0
    reserve_fen: Annotated[int, Meta(ge=0, le=10**15)] = 0


class MembersOpeningIn(msgspec.Struct):
    rows: Annotated[list[MemberOpeningIn], Meta(min_length=1, max_length=5000)]


class MembersOpeningOut(msgspec.Struct):
    households: int
