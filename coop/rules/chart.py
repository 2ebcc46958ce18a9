"""The two charts of accounts, one per kind of cooperative, kept in code (pure).

* 农民专业合作社: 《农民专业合作社会计制度》(财会〔2021〕37号, in force 2023-01-01). Member and
  non-member business have separate income accounts (合作社法 art. 41). Its codes are the *roles* the
  services write with (``CASH``, ``SURPLUS_RESERVE`` …).
* 股份经济合作社: a rural collective economic organisation keeps its books under 《农村集体经济组织会计制度》
  (财会〔2023〕14号, in force 2024-01-01, replacing 财会〔2004〕12号). ``COLLECTIVE_ROLES`` says which of
  its accounts each business role is posted to. Source: 财会〔2023〕14号's 会计科目表, as recalled — no
  copy of it could be found to check against; the names and codes it kept from 财会〔2004〕12号 were
  checked against the published 2004 会计科目表. docs/law.md lists which codes are unconfirmed.

``chart_for(kind)`` picks the chart; ``Chart.localize`` turns a role into the chart's own code, so every
entry — from ``coop.posting`` or any other service — lands on the accounts of its cooperative's chart.
Codes of the two charts never collide (four digits / three or five digits), so a stored code names one
account whatever the chart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coop.rules.journal import Line


class AccountKind(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"


KIND_LABELS = {"asset": "资产", "liability": "负债", "equity": "所有者权益", "income": "收入", "expense": "支出"}


@dataclass(frozen=True, slots=True)
class Account:
    code: str
    name: str
    kind: AccountKind
    group: str = ""  # income / expense line for the reports
    member_business: bool | None = None  # income: True member business, False non-member, None neither
    contra: bool = False  # e.g. 累计折旧: an asset account with a credit balance
    line: str = ""  # the line of the chart's own statements (收益及收益分配表 / 资产负债表); "" = group

    @property
    def debit_normal(self) -> bool:
        natural = self.kind in (AccountKind.ASSET, AccountKind.EXPENSE)
        return natural != self.contra


A, L, E, IN, X = AccountKind.ASSET, AccountKind.LIABILITY, AccountKind.EQUITY, AccountKind.INCOME, AccountKind.EXPENSE

CASH, BANK, ALIPAY = "1001", "1002", "1012"
RECEIVABLE, MEMBER_CURRENT = "1131", "1141"
FIXED_ASSETS, DEPRECIATION_ACC = "1501", "1502"
LAND_RIGHTS, LABOUR_CAPITAL = "1701", "1801"
PAYABLE, WAGES_PAYABLE = "2111", "2121"
PATRONAGE_PAYABLE, REMAINDER_PAYABLE = "2211", "2221"
SHARE_CAPITAL, SPECIAL_FUND, CAPITAL_RESERVE = "3001", "3101", "3201"
SURPLUS_RESERVE, WELFARE_FUND = "3301", "3302"
CURRENT_SURPLUS, UNDISTRIBUTED = "3401", "3501"
FARMING_INCOME = "4001"
MACHINERY_MEMBER, MACHINERY_NON_MEMBER = "4101", "4102"
LIVE_COMMISSION_MEMBER, LIVE_SALES_COLLECTIVE, SHIPPING_INCOME = "4201", "4202", "4203"
SUBSIDY_INCOME, OTHER_INCOME = "4301", "4401"
MAINTENANCE, INSURANCE, WAGES, DEPRECIATION, ASSISTANCE = "5101", "5102", "5103", "5104", "5105"
ADMIN_EXPENSE, SHIPPING_EXPENSE, OTHER_EXPENSE = "5106", "5107", "5109"
PRODUCTION_COST, LAND_RENT, FUEL = "5108", "5110", "5111"
MACHINERY_FUND = "machinery"  # journal-line tag: a cost of the machinery business (the 六四开 pool is net of it)
# A role with no account of its own in the farmers' chart: the 集体股's dividend, kept by the collective.
# A 农民专业合作社 has no 集体股 (its charter refuses one); were it ever posted, it stays where it always was.
COLLECTIVE_SHARE = "集体股分红"

FARMER_ACCOUNTS: dict[str, Account] = {
    a.code: a
    for a in (
        Account(CASH, "库存现金", A),
        Account(BANK, "银行存款", A),
        Account(ALIPAY, "其他货币资金—支付宝", A),
        Account(RECEIVABLE, "应收款", A),
        Account(MEMBER_CURRENT, "成员往来", A),
        Account(FIXED_ASSETS, "固定资产", A),
        Account(DEPRECIATION_ACC, "累计折旧", A, contra=True),
        Account(LAND_RIGHTS, "土地经营权（资源）", A),
        Account(LABOUR_CAPITAL, "劳务折股资产", A),
        Account(PAYABLE, "应付款", L),
        Account(WAGES_PAYABLE, "应付工资", L),
        Account(PATRONAGE_PAYABLE, "应付盈余返还", L),
        Account(REMAINDER_PAYABLE, "应付剩余盈余", L),
        Account(SHARE_CAPITAL, "股金", E),
        Account(SPECIAL_FUND, "专项基金", E),
        Account(CAPITAL_RESERVE, "资本公积", E),
        Account(SURPLUS_RESERVE, "盈余公积", E),
        Account(WELFARE_FUND, "公益金", E),
        Account(CURRENT_SURPLUS, "本年盈余", E),
        Account(UNDISTRIBUTED, "未分配盈余", E),
        Account(FARMING_INCOME, "经营收入—统一种植销售", IN, "种植经营", False),
        Account(MACHINERY_MEMBER, "农机作业收入—成员", IN, "农机作业", True),
        Account(MACHINERY_NON_MEMBER, "农机作业收入—非成员", IN, "农机作业", False),
        Account(LIVE_COMMISSION_MEMBER, "直播销售佣金—成员供货", IN, "直播销售", True),
        Account(LIVE_SALES_COLLECTIVE, "直播销售收入—集体自营", IN, "直播销售", False),
        Account(SHIPPING_INCOME, "直播运费收入", IN, "直播销售", False),
        Account(SUBSIDY_INCOME, "补助收入", IN, "补助收入"),
        Account(OTHER_INCOME, "其他收入", IN, "其他收入"),
        Account(MAINTENANCE, "维修费", X, "维修"),
        Account(INSURANCE, "保险费", X, "保险"),
        Account(WAGES, "工资（农机手等）", X, "工资"),
        Account(DEPRECIATION, "折旧费", X, "折旧"),
        Account(ASSISTANCE, "帮扶支出", X, "帮扶"),
        Account(ADMIN_EXPENSE, "管理费用", X, "管理"),
        Account(SHIPPING_EXPENSE, "快递运费", X, "直播销售"),
        Account(PRODUCTION_COST, "生产成本（种子、化肥、农药）", X, "种植经营"),
        Account(LAND_RENT, "土地流转费（非成员地块）", X, "种植经营"),
        Account(FUEL, "燃油费", X, "燃油"),
        Account(OTHER_EXPENSE, "其他支出", X, "其他"),
    )
}


class ChartError(KeyError):
    """A code the cooperative's chart does not have (and no role of it either)."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Chart:
    kind: str  # the cooperative kind (coop.models.CoopKind) keeping its books in this chart
    title: str
    source: str
    accounts: Mapping[str, Account]
    roles: Mapping[str, str] = field(default_factory=dict)  # role (farmers'-chart code) → this chart's code
    balance_sheet_title: str = "资产负债表"
    income_statement_title: str = "盈余及盈余分配表"

    def code(self, role: str) -> str:
        """The account of this chart a role (or one of its own codes) is posted to."""
        if role in self.accounts:
            return role
        mapped = self.roles.get(role)
        if mapped is None:
            raise ChartError(f"科目 {role} 不在《{self.title}》的科目表中")
        return mapped

    def localize(self, lines: Iterable[Line]) -> list[Line]:
        """The lines on this chart's own accounts (idempotent: lines already on them pass unchanged)."""
        return [
            ln if ln.account_code in self.accounts else replace(ln, account_code=self.code(ln.account_code))
            for ln in lines
        ]


FARMER = Chart(
    "farmer",
    "农民专业合作社会计制度",
    "财会〔2021〕37号，2023-01-01 起施行",
    FARMER_ACCOUNTS,
    {COLLECTIVE_SHARE: UNDISTRIBUTED},
)

# 财会〔2023〕14号's first-level accounts (three digits) that these books use, and the detail accounts
# (明细科目, five digits: the first-level code + two) this software opens under them — the system lets an
# organisation open its own detail accounts; here they keep the lines the distribution and the reports
# need (农机作业 income apart, the 六四开 pools apart). Codes and names: see docs/law.md for which were
# confirmed against a published text and which are from the system as recalled.
COLLECTIVE_ACCOUNTS: dict[str, Account] = {
    a.code: a
    for a in (
        Account("101", "库存现金", A),
        Account("102", "银行存款", A),
        Account("10201", "银行存款—支付宝账户", A),
        Account("112", "应收款", A),
        Account("113", "内部往来", A),  # with members and the units it owns; a credit balance is owed to them
        Account("151", "固定资产", A),
        Account("152", "累计折旧", A, contra=True),
        Account("153", "在建工程", A),
        Account("161", "无形资产", A),
        Account("211", "应付款", L),
        Account("21101", "应付款—应付成员收益分配（按交易量）", L),
        Account("21102", "应付款—应付成员收益分配（按股）", L),
        Account("212", "应付工资", L),
        Account("241", "专项应付款", L),
        Account("301", "资本", E),
        Account("311", "公积公益金", E),
        Account("31101", "公积公益金—资产评估增值", E),
        Account("31102", "公积公益金—收益提取", E),
        Account("31103", "公积公益金—集体股收益", E),
        Account("31104", "公积公益金—农机收入帮扶", E),
        Account("321", "本年收益", E),
        Account("322", "收益分配", E),
        Account("32201", "收益分配—未分配收益", E),
        Account("50101", "经营收入—统一种植销售", IN, "种植经营", line="经营收入"),
        Account("50102", "经营收入—农机作业（成员）", IN, "农机作业", True, line="经营收入"),
        Account("50103", "经营收入—农机作业（非成员）", IN, "农机作业", False, line="经营收入"),
        Account("50104", "经营收入—直播代销佣金", IN, "直播销售", True, line="经营收入"),
        Account("50105", "经营收入—直播自营销售", IN, "直播销售", False, line="经营收入"),
        Account("50106", "经营收入—直播运费", IN, "直播销售", False, line="经营收入"),
        Account("521", "补助收入", IN, "补助收入", line="补助收入"),
        Account("522", "其他收入", IN, "其他收入", line="其他收入"),
        Account("50201", "经营支出—维修费", X, "维修", line="经营支出"),
        Account("50202", "经营支出—保险费", X, "保险", line="经营支出"),
        Account("50203", "经营支出—劳务及工资", X, "工资", line="经营支出"),
        Account("50204", "经营支出—折旧费", X, "折旧", line="经营支出"),
        Account("50205", "经营支出—快递运费", X, "直播销售", line="经营支出"),
        Account("50206", "经营支出—种植成本", X, "种植经营", line="经营支出"),
        Account("50207", "经营支出—土地流转费", X, "种植经营", line="经营支出"),
        Account("50208", "经营支出—燃油费", X, "燃油", line="经营支出"),
        Account("531", "管理费用", X, "管理", line="管理费用"),
        Account("532", "公益支出", X, "帮扶", line="公益支出"),
        Account("533", "其他支出", X, "其他", line="其他支出"),
    )
}

# Each role the services post to → the collective chart's account. Why each, where it is not obvious:
COLLECTIVE_ROLES = {
    CASH: "101",
    BANK: "102",
    ALIPAY: "10201",  # the 2023 system has no 其他货币资金; a payment-platform balance is kept under 银行存款
    RECEIVABLE: "112",
    MEMBER_CURRENT: "113",  # 内部往来: dealings with members (goods sold for them, owed to them)
    FIXED_ASSETS: "151",
    DEPRECIATION_ACC: "152",
    LAND_RIGHTS: "161",  # a land-management right contributed or bought: 无形资产
    LABOUR_CAPITAL: "153",  # labour invested in building: 在建工程, credited to 资本 (as in 财会〔2004〕12号)
    PAYABLE: "211",
    WAGES_PAYABLE: "212",
    PATRONAGE_PAYABLE: "21101",
    REMAINDER_PAYABLE: "21102",  # members' dividends, owed until paid
    SHARE_CAPITAL: "301",  # 资本: the members' shares (成员股) and the 集体股
    SPECIAL_FUND: "241",  # state money for a set purpose: 专项应付款 (a liability here, not equity)
    CAPITAL_RESERVE: "31101",  # assets valued above the shares given for them
    SURPLUS_RESERVE: "31102",  # the yearly 提取公积公益金 and the 六四开 development share
    WELFARE_FUND: "31104",  # the 六四开 assistance share, kept for 帮扶 (spent through 公益支出)
    COLLECTIVE_SHARE: "31103",  # the 集体股's dividend stays with the collective as 公积公益金, not 未分配
    CURRENT_SURPLUS: "321",
    UNDISTRIBUTED: "32201",
    FARMING_INCOME: "50101",
    MACHINERY_MEMBER: "50102",
    MACHINERY_NON_MEMBER: "50103",
    LIVE_COMMISSION_MEMBER: "50104",
    LIVE_SALES_COLLECTIVE: "50105",
    SHIPPING_INCOME: "50106",
    SUBSIDY_INCOME: "521",
    OTHER_INCOME: "522",
    MAINTENANCE: "50201",
    INSURANCE: "50202",
    WAGES: "50203",
    DEPRECIATION: "50204",
    ASSISTANCE: "532",  # hardship relief is a 公益支出 of a collective
    ADMIN_EXPENSE: "531",
    SHIPPING_EXPENSE: "50205",
    PRODUCTION_COST: "50206",
    LAND_RENT: "50207",
    FUEL: "50208",
    OTHER_EXPENSE: "533",
}

COLLECTIVE = Chart(
    "shareholding",
    "农村集体经济组织会计制度",
    "财会〔2023〕14号，2024-01-01 起施行（取代财会〔2004〕12号）",
    COLLECTIVE_ACCOUNTS,
    COLLECTIVE_ROLES,
    income_statement_title="收益及收益分配表",
)

CHARTS: dict[str, Chart] = {FARMER.kind: FARMER, COLLECTIVE.kind: COLLECTIVE}
# Every account of every chart by code: stored codes are unique across charts, so a journal line's code
# names one account whatever the chart (reports and the ledger page look names up here).
CHART: dict[str, Account] = {**FARMER_ACCOUNTS, **COLLECTIVE_ACCOUNTS}

MONEY_ACCOUNTS = {"cash": CASH, "bank": BANK, "alipay": ALIPAY}
CHANNEL_LABELS = {"cash": "现金", "bank": "银行转账", "alipay": "支付宝"}


def chart_for(kind: str) -> Chart:
    """The chart a cooperative of this kind keeps its books in."""
    try:
        return CHARTS[str(kind)]
    except KeyError:
        raise ChartError(f"没有「{kind}」这类合作社的科目表") from None


def account(code: str) -> Account:
    try:
        return CHART[code]
    except KeyError:
        raise KeyError(f"科目 {code} 不在科目表中") from None


def money_account(channel: str) -> str:
    try:
        return MONEY_ACCOUNTS[channel]
    except KeyError:
        raise KeyError(f"不支持的收付方式「{channel}」（可选：现金、银行、支付宝）") from None


def signed_balance(code: str, debit_fen: int, credit_fen: int) -> int:
    """Balance in the account's normal direction (positive = normal)."""
    return debit_fen - credit_fen if account(code).debit_normal else credit_fen - debit_fen
