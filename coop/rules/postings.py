"""How each business event becomes journal lines (pure: the posting service adds the I/O).

Each builder names the accounts by role (coop.rules.chart's constants) and returns the lines on the
accounts of the chart it is given — the cooperative's own (``chart_for(kind)``): a 农民专业合作社's
commission goes to 4201 直播销售佣金—成员供货, a 股份经济合作社's to 50104 经营收入—直播代销佣金."""

from __future__ import annotations

from dataclasses import dataclass

from caoyuan.money import allocate, apply_bp
from coop.rules import chart as c
from coop.rules.charter import Terms
from coop.rules.journal import Line, credit, debit, drop_zero


@dataclass(frozen=True, slots=True)
class Built:
    lines: list[Line]
    commission_fen: int = 0
    splits: dict[str, int] | None = None


def live_sale_paid(
    terms: Terms, channel: str, supplier: int | None, goods: int, shipping: int, chart: c.Chart = c.FARMER
) -> Built:
    money = c.money_account(channel)
    if supplier is None:  # the collective's own goods: non-member business
        return Built(
            chart.localize(
                drop_zero(
                    [
                        debit(money, goods + shipping),
                        credit(c.LIVE_SALES_COLLECTIVE, goods),
                        credit(c.SHIPPING_INCOME, shipping),
                    ]
                )
            )
        )
    commission = apply_bp(goods, terms.live_sale_commission_bp)
    return Built(
        chart.localize(
            drop_zero(
                [
                    debit(money, goods + shipping),
                    credit(c.MEMBER_CURRENT, goods - commission, member_id=supplier, memo="代销货款（应付社员）"),
                    credit(c.LIVE_COMMISSION_MEMBER, commission, member_id=supplier),
                    credit(c.SHIPPING_INCOME, shipping),
                ]
            )
        ),
        commission_fen=commission,
    )


def refund_commission(
    original_goods: int, original_commission: int, refunded_before: int, commission_back_before: int, goods: int
) -> int:
    """Commission handed back on this refund. Cumulative, so refunds adding up to the whole order
    give back exactly the commission that was kept — never a fen more or less."""
    cumulative = original_commission * (refunded_before + goods) // original_goods
    return cumulative - commission_back_before


def live_sale_refunded(
    channel: str, supplier: int | None, goods: int, shipping: int, commission_back: int, chart: c.Chart = c.FARMER
) -> Built:
    money = c.money_account(channel)
    if supplier is None:
        lines = [debit(c.LIVE_SALES_COLLECTIVE, goods), debit(c.SHIPPING_INCOME, shipping)]
    else:
        lines = [
            debit(c.MEMBER_CURRENT, goods - commission_back, member_id=supplier, memo="退款冲减应付货款"),
            debit(c.LIVE_COMMISSION_MEMBER, commission_back, member_id=supplier),
            debit(c.SHIPPING_INCOME, shipping),
        ]
    return Built(chart.localize(drop_zero([*lines, credit(money, goods + shipping)])), commission_fen=commission_back)


def machinery_paid(
    terms: Terms, channel: str, farmer: int | None, amount: int, relief: int, chart: c.Chart = c.FARMER
) -> Built:
    """Income by member / non-member (art. 41), split 六四开 between development and assistance;
    relief given to a hardship household is income at full price and an assistance expense (a machinery
    cost, so the year's machinery pool counts only what farmers paid)."""
    income = c.MACHINERY_MEMBER if farmer is not None else c.MACHINERY_NON_MEMBER
    splits = allocate(
        amount, {"development": terms.machinery_development_bp, "assistance": terms.machinery_assistance_bp}
    )
    return Built(
        chart.localize(
            drop_zero(
                [
                    debit(c.money_account(channel), amount),
                    debit(c.ASSISTANCE, relief, member_id=farmer, fund="machinery", memo="困难户作业减免"),
                    credit(income, splits["development"], member_id=farmer, fund="development"),
                    credit(income, splits["assistance"] + relief, member_id=farmer, fund="assistance"),
                ]
            )
        ),
        splits=splits,
    )


def wage_accrued(amount: int, memo: str, chart: c.Chart = c.FARMER) -> Built:
    """Operators' wages are a machinery cost (fund "machinery" marks what the 六四开 pool is net of)."""
    return Built(
        chart.localize(
            [debit(c.WAGES, amount, fund="machinery", memo=memo), credit(c.WAGES_PAYABLE, amount, memo=memo)]
        )
    )
