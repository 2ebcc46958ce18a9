"""Fen ↔ Alipay's amount text ("12.34" 元, no grouping, two decimals) — never through float."""

from __future__ import annotations

from datetime import UTC, datetime

from caoyuan.clock import BEIJING
from caoyuan.money import MoneyError, format_fen, parse_fen

ALIPAY_TIME = "%Y-%m-%d %H:%M:%S"  # Alipay's timestamps are Beijing wall-clock time


def yuan_text(fen: int) -> str:
    """1234 → '12.34' (Alipay's total_amount / refund_amount)."""
    return format_fen(fen, symbol="").replace(",", "")


def fen_from_text(text: str) -> int:
    """'12.34' → 1234; raises MoneyError for anything that is not plain 元 with ≤ 2 decimals."""
    if not text or any(c in text for c in ",¥￥元 "):
        raise MoneyError(f"「{text}」不是支付宝金额格式")
    return parse_fen(text)


def alipay_time(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime(ALIPAY_TIME)


def parse_alipay_time(text: str | None) -> datetime | None:
    """Beijing wall-clock text → aware UTC datetime (None for missing or malformed)."""
    if not text:
        return None
    try:
        return datetime.strptime(text, ALIPAY_TIME).replace(tzinfo=BEIJING).astimezone(UTC)
    except ValueError:
        return None
