"""Fen ↔ Alipay's amount text ("12.34" 元, no grouping, two decimals) — never through float."""

from __future__ import annotations

from datetime import UTC, datetime

from caoyuan.bounds import YEAR_MAX, YEAR_MIN
from caoyuan.clock import BEIJING
from caoyuan.money import MoneyError, format_fen, parse_fen

ALIPAY_TIME = "%Y-%m-%d %H:%M:%S"  # Alipay's timestamps are Beijing wall-clock time
ALIPAY_MAX_FEN = 100_000_000_00  # 1 亿元: the most one Alipay trade can carry


def yuan_text(fen: int) -> str:
    """1234 → '12.34' (Alipay's total_amount / refund_amount)."""
    return format_fen(fen, symbol="").replace(",", "")


def fen_from_text(text: str) -> int:
    """'12.34' → 1234; raises MoneyError for anything that is not plain 元 with ≤ 2 decimals, or that
    lies outside 0 … 100,000,000.00 元 (Alipay's own ceiling for one trade)."""
    if not text or len(text) > 16 or any(c in text for c in ",¥￥元 "):
        raise MoneyError(f"「{text[:20]}」不是支付宝金额格式")
    fen = parse_fen(text)
    if not 0 <= fen <= ALIPAY_MAX_FEN:
        raise MoneyError("金额超出支付宝单笔交易的范围")
    return fen


def alipay_time(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime(ALIPAY_TIME)


def parse_alipay_time(text: str | None) -> datetime | None:
    """Beijing wall-clock text → aware UTC datetime (None for missing, malformed or outside 2000–2100:
    a year-0001 time cannot even be moved to UTC, and no real Alipay notice carries one)."""
    if not text or len(text) != len("2026-01-01 00:00:00"):
        return None
    try:
        local = datetime.strptime(text, ALIPAY_TIME)
    except ValueError:
        return None
    if not YEAR_MIN <= local.year <= YEAR_MAX:
        return None
    return local.replace(tzinfo=BEIJING).astimezone(UTC)
