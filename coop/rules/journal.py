"""Journal lines and the balance rule every entry obeys."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from coop.rules.chart import CHART


class UnbalancedEntry(ValueError):
    pass


# Where an entry came from (JournalEntry.kind), in the accountant's words: the one map pages, API and
# exports use. An unknown kind shows as itself rather than disappearing.
SOURCE_LABELS = {
    "manual": "手工凭证",
    "live_sale": "直播销售",
    "live_refund": "直播退款",
    "machinery": "农机作业",
    "wage": "农机手工资",
    "contribution": "社员入股",
    "share_transfer": "股份转让",
    "share_redeem": "退股",
    "asset": "固定资产",
    "depreciation": "计提折旧",
    "closing": "损益结转",
    "distribution": "年度分配",
    "dividend_paid": "分红发放",
    "dividend_converted": "分红转股",
    "opening": "期初余额",
    "reversal": "冲销",
}


def source_label(kind: str) -> str:
    return SOURCE_LABELS.get(kind, kind)


@dataclass(frozen=True, slots=True)
class Line:
    account_code: str
    debit_fen: int = 0
    credit_fen: int = 0
    member_id: int | None = None
    fund: str = ""
    memo: str = ""

    def reversed(self) -> Line:
        return replace(self, debit_fen=self.credit_fen, credit_fen=self.debit_fen)


def debit(code: str, fen: int, **kw: object) -> Line:
    return Line(code, debit_fen=fen, **kw)  # type: ignore[arg-type]


def credit(code: str, fen: int, **kw: object) -> Line:
    return Line(code, credit_fen=fen, **kw)  # type: ignore[arg-type]


def drop_zero(lines: Iterable[Line]) -> list[Line]:
    """Builders may produce zero lines (no shipping, no relief); a journal line is never zero."""
    return [ln for ln in lines if ln.debit_fen or ln.credit_fen]


def check_balanced(lines: Sequence[Line]) -> None:
    """Debits equal credits, at least two lines, each line one-sided and positive, known accounts."""
    if len(lines) < 2:
        raise UnbalancedEntry("一张凭证至少要有借、贷两行")
    for ln in lines:
        if ln.account_code not in CHART:
            raise UnbalancedEntry(f"科目 {ln.account_code} 不在科目表中")
        if not isinstance(ln.debit_fen, int) or not isinstance(ln.credit_fen, int):
            raise UnbalancedEntry("金额必须是整数（分）")
        if ln.debit_fen < 0 or ln.credit_fen < 0 or (ln.debit_fen > 0) == (ln.credit_fen > 0):
            raise UnbalancedEntry("每一行只能填借方或贷方，且金额大于零")
    debits = sum(ln.debit_fen for ln in lines)
    credits = sum(ln.credit_fen for ln in lines)
    if debits != credits:
        raise UnbalancedEntry(f"借贷不平衡：借方合计 {debits} 分，贷方合计 {credits} 分")
