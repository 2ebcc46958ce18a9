"""The audit log's details in words an accountant reads: Chinese field names and values (pure, no I/O).

Services write details with their own field names (``credit_code``, ``reserve_rate_bp``…); the page and
nothing else turns them into 统一社会信用代码, 公积金比例 10% and so on. A key not listed shows as written.
"""

from __future__ import annotations

from typing import Any

from caoyuan.auth.roles import ROLE_LABELS
from caoyuan.money import format_fen
from coop.models.assets import FUNDING_LABELS
from coop.models.members import KIND_LABELS
from coop.rules.capital import BASES
from coop.rules.charter import POLICIES

FIELD_LABELS = {
    "kind": "类型",
    "credit_code": "统一社会信用代码",
    "registered_on": "登记日期",
    "legal_representative": "法定代表人",
    "effective_on": "生效日期",
    "share_price_fen": "每股金额",
    "land_value_per_mu_fen": "土地每亩折价",
    "labour_value_per_day_fen": "劳动力每天折价",
    "reserve_rate_bp": "公积金比例",
    "policy": "分配方式",
    "patronage_rate_bp": "按交易量返还比例",
    "live_sale_commission_bp": "直播佣金",
    "machinery_development_bp": "农机收入用于发展的比例",
    "member_share_bp": "成员股比例",
    "collective_share_bp": "集体股比例",
    "redemption_allowed": "允许退股",
    "redemption_lock_months": "退股锁定月数",
    "split_machinery_pool": "农机收入单独六四开",
    "capital_basis": "出资怎样计入当年分配",
    "representatives": "成员代表人数",
    "reserve_before_pool": "先提公积金再六四开",
    "phone": "手机号",
    "role": "角色",
    "old": "原角色",
    "new": "新角色",
    "member_no": "社员号",
    "via": "方式",
    "cost_fen": "原值",
    "funding_source": "资金来源",
    "purchased_on": "购入日期",
    "insurance_policy": "保险单号",
    "insurance_expires_on": "保险到期",
}
ROLE_FIELDS = {"role", "old", "new"}
VIA_LABELS = {"setup_link": "一次性设置链接", "cli": "服务器命令"}


def value_words(key: str, value: Any) -> str:
    """One value as the page shows it: money in 元, basis points in %, codes by their Chinese name."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if key.endswith("_fen") and isinstance(value, int):
        return format_fen(value)
    if key.endswith("_bp") and isinstance(value, int):
        return f"{value / 100:g}%"
    words = {
        "kind": KIND_LABELS,
        "policy": POLICIES,
        "capital_basis": BASES,
        "via": VIA_LABELS,
        "funding_source": FUNDING_LABELS,
    }.get(key)
    if key in ROLE_FIELDS:
        words = {str(k.value) if hasattr(k, "value") else str(k): v for k, v in ROLE_LABELS.items()}
    if words is not None:
        return str(words.get(value, value))
    return str(value)


def readable(detail: dict[str, Any]) -> list[tuple[str, str]]:
    """(Chinese field name, value in words) for each detail, in the order written."""
    return [(FIELD_LABELS.get(k, k), value_words(k, v)) for k, v in detail.items()]
