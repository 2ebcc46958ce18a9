"""Turning contributions into shares, and what the charter allows a member to redeem."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from coop.rules.charter import Terms


class ShareRuleError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Valued:
    value_fen: int
    shares: int
    share_value_fen: int  # → 股金
    capital_reserve_fen: int  # → 资本公积


SHARES_MAX = 1_000_000_000  # a holding is a 32-bit integer column


def land_value(terms: Terms, area_hundredths: int) -> int:
    """亩 × the charter's value per 亩 (area in hundredths; rounded down to the fen)."""
    if area_hundredths <= 0:
        raise ShareRuleError("入股土地面积必须大于零", "area")
    return area_hundredths * terms.land_value_per_mu_fen // 100


def labour_value(terms: Terms, days: int) -> int:
    if days <= 0:
        raise ShareRuleError("劳动力天数必须大于零", "labour_days")
    return days * terms.labour_value_per_day_fen


def to_shares(terms: Terms, value_fen: int) -> Valued:
    """Whole shares at the charter's price; what is left over goes to 资本公积."""
    if value_fen <= 0:
        raise ShareRuleError("出资金额必须大于零", "value")
    shares, rest = divmod(value_fen, terms.share_price_fen)
    if shares == 0:
        raise ShareRuleError(f"出资不足一股（每股 {terms.share_price_fen / 100:.2f} 元）", "value")
    if shares > SHARES_MAX:
        raise ShareRuleError(f"一次出资最多折 {SHARES_MAX:,} 股，请核对金额", "value")
    return Valued(value_fen, shares, shares * terms.share_price_fen, rest)


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for dom in (day.day, 30, 29, 28):
        try:
            return date(year, month, dom)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def redeemable(terms: Terms, holding: int, acquisitions: list[tuple[date, int]], on: date) -> int:
    """Shares a member may redeem on a day: the holding less what was acquired within the lock period."""
    if not terms.redemption_allowed:
        return 0
    cutoff = add_months(on, -terms.redemption_lock_months)
    locked = sum(n for day, n in acquisitions if day > cutoff and n > 0)
    return max(0, min(holding, holding - locked))


def check_redemption(terms: Terms, holding: int, acquisitions: list[tuple[date, int]], on: date, shares: int) -> None:
    if shares <= 0:
        raise ShareRuleError("退股数必须大于零", "shares")
    if not terms.redemption_allowed:
        raise ShareRuleError("本社章程不允许退股", "shares")
    if shares > holding:
        raise ShareRuleError(f"退股 {shares} 股超过持有的 {holding} 股", "shares")
    allowed = redeemable(terms, holding, acquisitions, on)
    if shares > allowed:
        raise ShareRuleError(
            f"按章程，入股满 {terms.redemption_lock_months} 个月的股份才能退；目前最多可退 {allowed} 股", "shares"
        )
