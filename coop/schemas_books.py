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
