"""Plain-Chinese lines explaining one member's distribution (for the statement and the member page)."""

from __future__ import annotations

from caoyuan.money import format_fen


def percent(part: int, whole: int) -> str:
    """Share of a whole as a percentage with two decimals, rounded half up (display only)."""
    if whole <= 0:
        return "0.00%"
    hundredths = (part * 10_000 * 2 + whole) // (2 * whole)  # in 0.01 %
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


def member_lines(policy: str, year: int, a: dict, d: dict) -> list[str]:
    """``a``: the member's allocation row, ``d``: the distribution's totals (both as plain dicts of fen)."""
    lines: list[str] = []
    if policy == "farmer":
        if d["patronage_fen"]:
            lines.append(
                f"{year} 年全年与合作社交易额 {format_fen(a['volume_fen'])}，占全社 "
                f"{format_fen(d['volume_total_fen'])} 的 {percent(a['volume_fen'], d['volume_total_fen'])}，"
                f"按交易量返还 {format_fen(a['patronage_fen'])}"
            )
        if d["remainder_fen"]:
            weight = a["capital_fen"] + a["reserve_base_fen"] + a["subsidy_fen"]
            parts = [f"出资额 {format_fen(a['capital_fen'])}"]
            if a["reserve_base_fen"]:
                parts.append(f"历年量化公积金 {format_fen(a['reserve_base_fen'])}")
            if a["subsidy_fen"]:
                parts.append(f"量化补助 {format_fen(a['subsidy_fen'])}")
            total = f"，合计 {format_fen(weight)}" if len(parts) > 1 else ""
            lines.append(
                f"{' + '.join(parts)}{total}，占全社 "
                f"{percent(weight, d['weight_total_fen'])}，按出资额等分配 {format_fen(a['remainder_fen'])}"
            )
    else:
        lines.append(
            f"持有 {a['shares']:,} 股，占全社成员股 {d['weight_total_fen']:,} 股的 "
            f"{percent(a['shares'], d['weight_total_fen'])}，按股分红 {format_fen(a['remainder_fen'])}"
        )
    adjusted = a["patronage_adj"] + a["remainder_adj"]
    if adjusted:
        lines.append(f"按精确到分的分配规则，尾差调整 +{format_fen(adjusted)}（已含在上面金额中）")
    lines.append(f"本年应发合计 {format_fen(a['total_fen'])}")
    if a.get("reserve_share_fen"):
        lines.append(f"另有本年公积金量化 {format_fen(a['reserve_share_fen'])} 记入您的成员账户（不发放现金）")
    return lines
