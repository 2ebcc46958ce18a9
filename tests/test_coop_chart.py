"""Issue 15 item 5: each kind of cooperative keeps its books in its own chart — a 农民专业合作社 in
财会〔2021〕37号's, a 股份经济合作社 in 财会〔2023〕14号's — and every posting map balances on its chart."""

from hypothesis import given, settings
from hypothesis import strategies as st

from coop.models import CoopKind, Distribution
from coop.rules import chart as c
from coop.rules import postings as rules
from coop.rules.charter import Terms
from coop.rules.journal import check_balanced, credit, drop_zero
from coop.services.distribution.post import closing_lines, distribution_lines

CHARTS = [c.FARMER, c.COLLECTIVE]
ROLES = sorted(c.FARMER_ACCOUNTS) + [c.COLLECTIVE_SHARE]
TERMS = Terms(policy="farmer", patronage_rate_bp=6000, reserve_rate_bp=1000, live_sale_commission_bp=750)
fen = st.integers(1, 10**10)
maybe_fen = st.integers(0, 10**10)
channel = st.sampled_from(sorted(c.MONEY_ACCOUNTS))
member = st.one_of(st.none(), st.integers(1, 10**6))


def on_chart(chart: c.Chart, built: rules.Built) -> None:
    check_balanced(built.lines)
    assert {ln.account_code for ln in built.lines} <= set(chart.accounts)


def test_each_kind_has_its_chart_and_the_codes_never_collide() -> None:
    assert c.chart_for(CoopKind.FARMER) is c.FARMER and c.chart_for(CoopKind.SHAREHOLDING) is c.COLLECTIVE
    assert "2023" in c.COLLECTIVE.source and "2021" in c.FARMER.source
    assert not set(c.FARMER.accounts) & set(c.COLLECTIVE.accounts)  # a stored code names one account


def test_every_role_lands_on_an_account_of_each_chart_of_the_same_nature() -> None:
    """An income role is income in both charts, an expense an expense, money an asset; only 专项基金 changes
    side (a collective holds state money for a set purpose as 专项应付款, a liability)."""
    for chart in CHARTS:
        for role in ROLES:
            acc = chart.accounts[chart.code(role)]
            if role == c.COLLECTIVE_SHARE:
                assert acc.kind == c.AccountKind.EQUITY
                continue
            farmer = c.FARMER_ACCOUNTS[role]
            if (chart, role) == (c.COLLECTIVE, c.SPECIAL_FUND):
                assert acc.kind == c.AccountKind.LIABILITY and acc.name == "专项应付款"
                continue
            assert (acc.kind, acc.debit_normal, acc.group) == (farmer.kind, farmer.debit_normal, farmer.group)


def test_the_collective_chart_keeps_the_2023_accounts_apart() -> None:
    code = c.COLLECTIVE.code
    assert c.COLLECTIVE.accounts[code(c.COLLECTIVE_SHARE)].name.startswith("公积公益金")  # not 未分配
    assert code(c.COLLECTIVE_SHARE) != code(c.UNDISTRIBUTED) and code(c.UNDISTRIBUTED).startswith("322")
    assert code(c.SHARE_CAPITAL) == "301" and code(c.CURRENT_SURPLUS) == "321" and code(c.CASH) == "101"
    assert code(c.REMAINDER_PAYABLE).startswith("211") and code(c.ASSISTANCE) == "532"  # 公益支出
    assert c.COLLECTIVE.income_statement_title == "收益及收益分配表"
    # the farmers' chart maps nothing but the 集体股 role: its books are exactly as before
    assert c.FARMER.roles == {c.COLLECTIVE_SHARE: c.UNDISTRIBUTED}
    assert all(c.FARMER.code(role) == role for role in c.FARMER_ACCOUNTS)


@settings(deadline=None)  # the first call builds the models; the load of a shared machine varies
@given(channel, member, fen, maybe_fen)
def test_a_live_sale_and_its_refunds_balance_on_each_chart(ch, supplier, goods, shipping) -> None:  # type: ignore[no-untyped-def]
    for chart in CHARTS:
        paid = rules.live_sale_paid(TERMS, ch, supplier, goods, shipping, chart)
        on_chart(chart, paid)
        back = rules.refund_commission(goods, paid.commission_fen, 0, 0, goods)
        on_chart(chart, rules.live_sale_refunded(ch, supplier, goods, shipping, back, chart))


@settings(deadline=None)  # the first call builds the models; the load of a shared machine varies
@given(channel, member, maybe_fen, maybe_fen, st.integers(0, 10000), fen)
def test_machinery_income_and_wages_balance_on_each_chart(ch, farmer, amount, relief, dev_bp, wage) -> None:  # type: ignore[no-untyped-def]
    if amount + relief == 0:
        amount = 1
    terms = Terms(
        policy="shareholding",
        patronage_rate_bp=0,
        reserve_rate_bp=1500,
        machinery_development_bp=dev_bp,
    )
    for chart in CHARTS:
        on_chart(chart, rules.machinery_paid(terms, ch, farmer, amount, relief, chart))
        on_chart(chart, rules.wage_accrued(wage, "农机手工资", chart))


@settings(deadline=None)  # the first call builds the models; the load of a shared machine varies
@given(st.lists(st.tuples(st.sampled_from(ROLES[:-1]), maybe_fen, maybe_fen), max_size=12), st.data())
def test_the_year_end_entries_balance_on_each_chart(rows, data) -> None:  # type: ignore[no-untyped-def]
    """Closing (结转) and distribution entries, built by role and localized, balance on each chart."""
    figures = {k: data.draw(maybe_fen) for k in ("loss", "reserve", "dev", "assist", "patr", "rem", "coll")}
    surplus = sum(figures.values())
    dist = Distribution(
        surplus_fen=surplus,
        loss_cover_fen=figures["loss"],
        reserve_fen=figures["reserve"],
        pool_development_fen=figures["dev"],
        pool_assistance_fen=figures["assist"],
        patronage_fen=figures["patr"],
        remainder_fen=figures["rem"],
        collective_fen=figures["coll"],
        policy="shareholding",
    )
    for chart in CHARTS:
        flows: dict[str, tuple[int, int]] = {}
        for role, d, cr in rows:
            code = chart.code(role)
            od, oc = flows.get(code, (0, 0))
            flows[code] = (od + d, oc + cr)
        net = sum(
            cr - d
            for code, (d, cr) in flows.items()
            if c.account(code).kind in (c.AccountKind.INCOME, c.AccountKind.EXPENSE)
        )
        closing = chart.localize(closing_lines(flows, net))
        if len(closing) >= 2:
            on_chart(chart, rules.Built(closing))
        lines = chart.localize(distribution_lines(dist))
        if surplus:
            on_chart(chart, rules.Built(lines))
        if chart is c.COLLECTIVE and figures["coll"]:
            assert any(ln.account_code == "31103" and ln.credit_fen == figures["coll"] for ln in lines)


def test_a_farmers_cooperative_posts_exactly_as_before() -> None:
    """The builders' default and the farmers' chart give the very lines the 2021 chart always had."""
    member_sale = rules.live_sale_paid(TERMS, "alipay", 7, 100_00, 8_00, c.FARMER)
    assert member_sale == rules.live_sale_paid(TERMS, "alipay", 7, 100_00, 8_00)
    assert [(ln.account_code, ln.debit_fen, ln.credit_fen) for ln in member_sale.lines] == [
        ("1012", 108_00, 0),
        ("1141", 0, 92_50),
        ("4201", 0, 7_50),
        ("4203", 0, 8_00),
    ]
    job = rules.machinery_paid(TERMS, "cash", None, 1_000_00, 50_00, c.FARMER)
    assert [ln.account_code for ln in job.lines] == ["1001", "5105", "4102", "4102"]
    assert [ln.account_code for ln in rules.wage_accrued(3_00, "x", c.FARMER).lines] == ["5103", "2121"]


def test_a_collective_posts_the_same_events_on_its_2023_accounts() -> None:
    sale = rules.live_sale_paid(TERMS, "alipay", 7, 100_00, 8_00, c.COLLECTIVE)
    assert [(ln.account_code, ln.debit_fen, ln.credit_fen) for ln in sale.lines] == [
        ("10201", 108_00, 0),
        ("113", 0, 92_50),
        ("50104", 0, 7_50),
        ("50106", 0, 8_00),
    ]
    job = rules.machinery_paid(TERMS, "cash", None, 1_000_00, 50_00, c.COLLECTIVE)
    assert [ln.account_code for ln in job.lines] == ["101", "532", "50103", "50103"]


def test_a_code_of_the_other_chart_is_refused() -> None:
    assert c.COLLECTIVE.localize(c.FARMER.localize([])) == []
    try:
        c.FARMER.code("50104")
    except c.ChartError as exc:
        assert "农民专业合作社会计制度" in str(exc)
    else:
        raise AssertionError("a 2023 code was accepted in a farmers' cooperative's books")


@settings(deadline=None)
@given(maybe_fen, maybe_fen, channel, st.integers(0, 10**9))
def test_paying_or_converting_dividends_balances_on_each_chart(patronage, remainder, ch, converted) -> None:  # type: ignore[no-untyped-def]
    """The payout (应付 → money) and the turning of a dividend into shares (应付 → 资本 / 股金 and cash)."""
    from coop.services.distribution.pay import _payout_lines

    owed = patronage + remainder
    if owed == 0:
        return
    converted = min(converted, owed)
    for chart in CHARTS:
        paid = chart.localize([*_payout_lines(patronage, remainder, 1, "x"), credit(c.money_account(ch), owed)])
        on_chart(chart, rules.Built(drop_zero(paid)))
        turned = chart.localize(
            [
                *_payout_lines(patronage, remainder, 1, "x"),
                credit(c.SHARE_CAPITAL, converted, member_id=1),
                credit(c.CASH, owed - converted),
            ]
        )
        on_chart(chart, rules.Built(drop_zero(turned)))
