"""Plain-Chinese lines explaining one member's distribution (for the statement and the member page)."""

from __future__ import annotations

from caoyuan.money import format_fen
from coop.rules.capital import BASES, year_days


def percent(part: int, whole: int) -> str:
    """Share of a whole as a percentage with two decimals, rounded half up (display only)."""
    if whole <= 0:
        return "0.00%"
    hundredths = (part * 10_000 * 2 + whole) // (2 * whole)  # in 0.01 %
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


def capital_lines(policy: str, year: int, a: dict, d: dict) -> list[str]:
    """Which capital rule the charter applied, and what it made of this household's holding."""
    basis = d.get("capital_basis") or "record_date"
    if not d.get("remainder_fen") or "capital_counted" not in a:
        return []
    unit = "股" if policy == "shareholding" else ""
    held = a["shares"] if policy == "shareholding" else a["capital_fen"]
    show = (lambda x: f"{x:,} 股") if unit else format_fen
    if basis == "days_held":
        full = year_days(year)
        return [
            f"按章程，出资{BASES[basis]}：本年在册 {a.get('member_days', 0)} 天，年末持有 {show(held)}，"
            f"折合全年 {show(a['capital_counted'] // full)}（每天的持有额之和除以 {full} 天）"
        ]
    if a["capital_counted"] or not held:
        return [f"按章程，出资{BASES[basis]}：12 月 31 日在册，持有 {show(held)}，全额计入"]
    return [f"按章程，出资{BASES[basis]}：12 月 31 日已不在册，持有的 {show(held)} 不参与本年按出资分配"]


def member_lines(policy: str, year: int, a: dict, d: dict) -> list[str]:
    """``a``: the member's allocation row, ``d``: the distribution's totals (both as plain dicts of fen)."""
    lines: list[str] = []
    k = year_days(year) if d.get("capital_basis") == "days_held" else 1
    counted = a.get("capital_counted", a["shares"] if policy == "shareholding" else a["capital_fen"])
    if policy == "farmer":
        if d["patronage_fen"]:
            lines.append(
                f"{year} 年全年与合作社交易额 {format_fen(a['volume_fen'])}，占全社 "
                f"{format_fen(d['volume_total_fen'])} 的 {percent(a['volume_fen'], d['volume_total_fen'])}，"
                f"按交易量返还 {format_fen(a['patronage_fen'])}"
            )
        if d["remainder_fen"]:
            weight = counted // k + a["reserve_base_fen"] + a["subsidy_fen"]  # in fen for a whole year
            parts = [f"出资额 {format_fen(counted // k)}" + ("（折合全年）" if k > 1 else "")]
            if a["reserve_base_fen"]:
                parts.append(f"历年量化公积金 {format_fen(a['reserve_base_fen'])}")
            if a["subsidy_fen"]:
                parts.append(f"量化补助 {format_fen(a['subsidy_fen'])}")
            total = f"，合计 {format_fen(weight)}" if len(parts) > 1 else ""
            lines.append(
                f"{' + '.join(parts)}{total}，占全社 "
                f"{percent(counted + (a['reserve_base_fen'] + a['subsidy_fen']) * k, d['weight_total_fen'])}，按出资额等分配 {format_fen(a['remainder_fen'])}"
            )
    else:
        lines.append(
            f"持有 {counted // k:,} 股{'（折合全年）' if k > 1 else ''}，占全社成员股 {d['weight_total_fen'] // k:,} 股的 "
            f"{percent(counted, d['weight_total_fen'])}，按股分红 {format_fen(a['remainder_fen'])}"
        )
    lines.extend(capital_lines(policy, year, a, d))
    adjusted = a["patronage_adj"] + a["remainder_adj"]
    if adjusted:
        lines.append(f"按精确到分的分配规则，尾差调整 +{format_fen(adjusted)}（已含在上面金额中）")
    lines.append(f"本年应发合计 {format_fen(a['total_fen'])}")
    if a.get("reserve_share_fen"):
        lines.append(f"另有本年公积金量化 {format_fen(a['reserve_share_fen'])} 记入您的成员账户（不发放现金）")
    return lines


def zero_reason(policy: str, a: dict) -> str:
    """Why a household on the list gets ¥0.00 this year ("" when it gets something): the 公示表 says so
    instead of showing a bare zero. ``a``: the member's allocation row as a dict."""
    if a["total_fen"]:
        return ""
    if policy == "shareholding":
        held = a["shares"]
        if held and not a.get("capital_counted", held):
            return "股份未计入本年分配（股权登记日不在册或年内未持有）"
        if not held:
            business = "有农机作业、直播等交易，" if a["volume_fen"] else ""
            return f"本年无股份；{business}股份经济合作社按股分红，交易额不参与分配"
        return "本年可分配盈余为零"
    if not a["volume_fen"] and not (a.get("capital_counted") or a["capital_fen"]):
        return "本年无交易额，出资未计入本年分配"
    return "本年可分配盈余为零"
