"""Trial balance, income statement and balance sheet from per-account sums, and the 公示 notice (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from caoyuan.bounds import DAY_MAX, DAY_MIN
from coop.rules.chart import AccountKind, account

Sums = Mapping[str, tuple[int, int]]  # account code → (debits, credits)


@dataclass(frozen=True, slots=True)
class TrialRow:
    code: str
    name: str
    opening: int  # signed: debit positive
    debit: int
    credit: int

    @property
    def closing(self) -> int:
        return self.opening + self.debit - self.credit


def trial_balance(opening: Sums, period: Sums) -> list[TrialRow]:
    codes = sorted(set(opening) | set(period))
    rows = []
    for code in codes:
        od, oc = opening.get(code, (0, 0))
        d, c = period.get(code, (0, 0))
        if od - oc or d or c:
            rows.append(TrialRow(code, account(code).name, od - oc, d, c))
    return rows


@dataclass
class Section:
    title: str
    lines: list[tuple[str, str, int]] = field(default_factory=list)  # code, name, amount

    @property
    def total(self) -> int:
        return sum(a for _, _, a in self.lines)


@dataclass
class IncomeStatement:
    income: Section
    expenses: Section
    member_income: int
    non_member_income: int
    by_line: dict[str, int]  # income line (农机作业, 直播销售, …) → amount

    @property
    def surplus(self) -> int:
        return self.income.total - self.expenses.total


def income_statement(period: Sums) -> IncomeStatement:
    income, expenses = Section("收入"), Section("支出")
    member = non_member = 0
    by_line: dict[str, int] = {}
    for code in sorted(period):
        acc, (d, c) = account(code), period[code]
        if acc.kind == AccountKind.INCOME and c - d:
            income.lines.append((code, acc.name, c - d))
            by_line[acc.group] = by_line.get(acc.group, 0) + c - d
            if acc.member_business is True:
                member += c - d
            elif acc.member_business is False:
                non_member += c - d
        elif acc.kind == AccountKind.EXPENSE and d - c:
            expenses.lines.append((code, acc.name, d - c))
    return IncomeStatement(income, expenses, member, non_member, by_line)


@dataclass
class BalanceSheet:
    assets: Section
    liabilities: Section
    equity: Section

    @property
    def balanced(self) -> bool:
        return self.assets.total == self.liabilities.total + self.equity.total


def balance_sheet(to_date: Sums) -> BalanceSheet:
    """Income and expense not yet closed show as 本年盈余 (unclosed) so the sheet always balances."""
    assets, liabilities, equity = Section("资产"), Section("负债"), Section("所有者权益")
    unclosed = 0
    for code in sorted(to_date):
        acc, (d, c) = account(code), to_date[code]
        if acc.kind == AccountKind.ASSET and d - c:
            assets.lines.append((code, acc.name, d - c))
        elif acc.kind == AccountKind.LIABILITY and c - d:
            liabilities.lines.append((code, acc.name, c - d))
        elif acc.kind == AccountKind.EQUITY and c - d:
            equity.lines.append((code, acc.name, c - d))
        elif acc.kind in (AccountKind.INCOME, AccountKind.EXPENSE):
            unclosed += c - d
    if unclosed:
        equity.lines.append(("", "本年盈余（未结转）", unclosed))
    return BalanceSheet(assets, liabilities, equity)


# ---------------------------------------------------------------- the 公示 notice under the table

PUBLICITY_DAYS = 7  # the board shows the table at least this long before paying out
PUBLICITY_DAYS_MAX = 90
PHONE_CHARS = frozenset("0123456789-+ ")


@dataclass(frozen=True, slots=True)
class PublicityNotice:
    """What the printed 公示表 carries besides the figures: its period and where to object."""

    start: date
    end: date
    phone: str  # "" leaves a blank line to write the number by hand

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class PublicityError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def publicity_notice(published_on: date, start: date | None, end: date | None, phone: str) -> PublicityNotice:
    """The period defaults to 7 days from the day of publishing; the phone is digits (a landline may carry
    a 区号 and a hyphen). Refused with the field it belongs to."""
    for value, name in ((start, "publicity_start"), (end, "publicity_end")):
        if value is not None and not DAY_MIN <= value <= DAY_MAX:
            raise PublicityError(f"日期应在 {DAY_MIN.year} 到 {DAY_MAX.year} 年之间", name)
    start = start or published_on
    end = end or start + timedelta(days=PUBLICITY_DAYS - 1)
    if end < start:
        raise PublicityError("公示结束日期不能早于开始日期", "publicity_end")
    if (end - start).days + 1 > PUBLICITY_DAYS_MAX:
        raise PublicityError(f"公示期最长 {PUBLICITY_DAYS_MAX} 天", "publicity_end")
    phone = phone.strip()
    if len(phone) > 20 or not set(phone) <= PHONE_CHARS or (phone and sum(ch.isdigit() for ch in phone) < 7):
        raise PublicityError("异议联系电话应为 7 到 20 位的电话号码（可含区号和 -）", "phone")
    return PublicityNotice(start, end, phone)


def publicity_footer(notice: PublicityNotice) -> list[str]:
    """The lines under the table, the same on paper and in the spreadsheet."""
    day = "{0.year} 年 {0.month} 月 {0.day} 日".format
    return [
        f"公示期：{day(notice.start)}至{day(notice.end)}（共 {notice.days} 天）",
        f"如有异议，请在公示期内向理事会或监事会反映，联系电话：{notice.phone or '________________'}",
        "理事长（签字）：________________    监事（签字）：________________",
        "（合作社盖章）",
    ]
