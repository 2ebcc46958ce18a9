"""Chart of accounts after 财会〔2021〕37号 (农民专业合作社会计制度), kept in code so every cooperative
shares it. Member and non-member business have separate income accounts (art. 41)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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

CHART: dict[str, Account] = {
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

MONEY_ACCOUNTS = {"cash": CASH, "bank": BANK, "alipay": ALIPAY}
CHANNEL_LABELS = {"cash": "现金", "bank": "银行转账", "alipay": "支付宝"}


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
