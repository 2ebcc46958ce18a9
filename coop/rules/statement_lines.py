"""The lines of a 股份经济合作社's 收益及收益分配表 (财会〔2023〕14号) from the period's account sums and the
year's posted distribution (pure). A 农民专业合作社 keeps the 收支明细表 of coop.rules.reports.

The income part follows the 2023 system's order: 经营收入 less 经营支出 and 管理费用 is 经营收益; add 补助收入
and 其他收入, less 公益支出 and 其他支出: 收益总额 (this software keeps no 所得税费用, so 净收益 equals it).
The distribution part starts from the year's opening 未分配收益 (a loss carried is negative) and takes out
what the posted distribution drew, in its order, leaving the year-end 未分配收益."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from coop.rules.chart import AccountKind, Chart, account

Sums = Mapping[str, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class ReportLine:
    label: str
    amount: int
    total: bool = False  # a 一、二、… line (bold); the others are its 加 / 减 items


@dataclass(frozen=True, slots=True)
class Drawn:
    """What a posted distribution took out of the year's 可分配收益."""

    reserve: int  # 提取公积公益金, the 六四开 pool included (both kept as 公积公益金)
    members: int  # 向成员分配 (by shares, and by volume if the charter has it)
    collective: int  # the 集体股's dividend, kept by the collective


def by_line(period: Sums) -> dict[str, int]:
    """Each report line's amount in its normal direction (income credit, expense debit)."""
    out: dict[str, int] = {}
    for code, (d, c) in period.items():
        acc = account(code)
        if acc.kind == AccountKind.INCOME:
            out[acc.line or acc.group] = out.get(acc.line or acc.group, 0) + c - d
        elif acc.kind == AccountKind.EXPENSE:
            out[acc.line or acc.group] = out.get(acc.line or acc.group, 0) + d - c
    return out


def income_and_distribution(
    chart: Chart, period: Sums, opening_undistributed: int, drawn: Drawn | None
) -> list[ReportLine]:
    del chart  # one layout today; the argument keeps the call site honest about which chart it reports
    v = by_line(period)
    operating = v.get("经营收入", 0) - v.get("经营支出", 0) - v.get("管理费用", 0)
    total = operating + v.get("补助收入", 0) + v.get("其他收入", 0) - v.get("公益支出", 0) - v.get("其他支出", 0)
    lines = [
        ReportLine("一、经营收入", v.get("经营收入", 0), True),
        ReportLine("减：经营支出", v.get("经营支出", 0)),
        ReportLine("　　管理费用", v.get("管理费用", 0)),
        ReportLine("二、经营收益", operating, True),
        ReportLine("加：补助收入", v.get("补助收入", 0)),
        ReportLine("　　其他收入", v.get("其他收入", 0)),
        ReportLine("减：公益支出", v.get("公益支出", 0)),
        ReportLine("　　其他支出", v.get("其他支出", 0)),
        ReportLine("三、收益总额", total, True),
        ReportLine("四、净收益", total, True),
    ]
    if drawn is None:
        return lines
    available = total + opening_undistributed
    left = available - drawn.reserve - drawn.members - drawn.collective
    return [
        *lines,
        ReportLine("加：年初未分配收益", opening_undistributed),
        ReportLine("五、可分配收益", available, True),
        ReportLine("减：提取公积公益金", drawn.reserve),
        ReportLine("　　向成员分配", drawn.members),
        ReportLine("　　集体股收益（转公积公益金）", drawn.collective),
        ReportLine("六、年末未分配收益", left, True),
    ]
