"""Prices per mu: the charter's rule (market − a discount), member and non-member, hardship relief."""

from __future__ import annotations

from dataclasses import dataclass

HARDSHIP_REDUCE = "reduce"
HARDSHIP_WAIVE = "waive"


@dataclass(frozen=True, slots=True)
class PriceRule:
    member_discount_fen: int = 3000  # 八道岭村: 30 元/mu below market
    non_member_discount_fen: int = 1000
    hardship_mode: str = HARDSHIP_REDUCE
    hardship_reduction_fen: int = 2000


@dataclass(frozen=True, slots=True)
class UnitPrice:
    """Per mu, in fen."""

    market_fen: int
    list_fen: int  # the member or non-member price
    price_fen: int  # what this farmer pays, after any hardship relief
    relief_fen: int  # list − price: the collective's assistance

    @property
    def saving_fen(self) -> int:
        return self.market_fen - self.price_fen


def unit_price(
    market_fen: int,
    rule: PriceRule,
    *,
    member: bool,
    hardship: bool,
    member_fen: int | None = None,
    non_member_fen: int | None = None,
) -> UnitPrice:
    """The price one farmer pays per mu. Fixed season prices override the discount rule.

    Hardship relief is for member households only (the register says who is 困难户).
    """
    if member:
        listed = member_fen if member_fen is not None else market_fen - rule.member_discount_fen
    else:
        listed = non_member_fen if non_member_fen is not None else market_fen - rule.non_member_discount_fen
    listed = max(0, min(listed, market_fen))
    price = listed
    if member and hardship:
        price = 0 if rule.hardship_mode == HARDSHIP_WAIVE else max(0, listed - rule.hardship_reduction_fen)
    return UnitPrice(market_fen, listed, price, listed - price)


def per_mu(area: int, fen_per_mu: int) -> int:
    """Area (hundredths of a mu) × price per mu, rounded half up to the fen."""
    return (area * fen_per_mu + 50) // 100


@dataclass(frozen=True, slots=True)
class Bill:
    market_fen: int
    list_fen: int
    amount_fen: int  # what the farmer pays
    relief_fen: int  # assistance given on this job
    saving_fen: int  # against the market price


def bill(area: int, unit: UnitPrice) -> Bill:
    """Each total is rounded once from the area, so amount + relief == list and amount + saving == market."""
    market, listed, amount = per_mu(area, unit.market_fen), per_mu(area, unit.list_fen), per_mu(area, unit.price_fen)
    return Bill(market, listed, amount, listed - amount, market - amount)
