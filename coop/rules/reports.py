"""Trial balance, income statement and balance sheet from per-account sums (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

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
