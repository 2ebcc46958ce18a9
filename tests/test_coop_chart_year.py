"""A 股份经济合作社's year on both databases, posted on 财会〔2023〕14号's accounts from the first share to the
last dividend paid, with a prior loss to cover; a 农民专业合作社's same year stays on 财会〔2021〕37号's."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from caoyuan.errors import BadInput
from coop.models import CoopKind, JournalLine, Posting
from coop.posting import LiveSalePaid, MachineryServicePaid, OperatorWageAccrued, post
from coop.rules import chart as c
from coop.rules.charter import Terms
from coop.rules.journal import credit, debit
from coop.services import reports
from coop.services.chart_switch import adopt_own_chart
from coop.services.charter import record_charter
from coop.services.contributions import ContributionIn, contribute
from coop.services.distribution import approve, compute_draft, post_distribution
from coop.services.distribution.approve import AssemblyVote
from coop.services.distribution.pay import pay_all
from coop.services.ledger import write_entry
from tests.factories.coop import make_cooperative

SHARES = {1: 10, 2: 20, 3: 30, 4: 40}
LOSS, OTHER, EXPENSE, MACHINERY, WAGE, GOODS, SHIPPING = (
    5_000_00,
    200_000_00,
    30_000_00,
    9_000_00,
    1_000_00,
    800_00,
    12_00,
)
RESERVE_BP, COLLECTIVE_BP, DEVELOPMENT_BP, COMMISSION_BP = 1000, 2000, 6000, 500


def terms(kind: str) -> Terms:
    if kind == CoopKind.FARMER:
        return Terms(policy="farmer", patronage_rate_bp=6000, reserve_rate_bp=RESERVE_BP, share_price_fen=100_00)
    return Terms(
        policy="shareholding",
        patronage_rate_bp=0,
        reserve_rate_bp=RESERVE_BP,
        share_price_fen=100_00,
        collective_share_bp=COLLECTIVE_BP,
        member_share_bp=10000 - COLLECTIVE_BP,
        split_machinery_pool=True,
        machinery_development_bp=DEVELOPMENT_BP,
        live_sale_commission_bp=COMMISSION_BP,
    )


async def a_year(s, kind: str, operator_id: int):  # type: ignore[no-untyped-def]
    """Shares, a prior loss, live sales, a harvest job, a wage, income and cost, then the whole year end."""
    coop, people = await make_cooperative(s, members=4, kind=kind)
    await record_charter(s, coop.id, date(2020, 1, 1), terms(kind))
    for m in people:
        await contribute(
            s, coop.id, ContributionIn(m.id, "cash", date(2024, 3, 1), amount_fen=SHARES[m.member_no] * 100_00)
        )
    # last year's loss, carried in the kind's own 未分配 account
    await write_entry(
        s, coop.id, [debit(c.UNDISTRIBUTED, LOSS), credit(c.BANK, LOSS)], kind="manual", entry_date=date(2024, 12, 31)
    )
    at = datetime(2025, 9, 20, 3, tzinfo=UTC)
    await post(s, LiveSalePaid(coop.id, f"{coop.id}:sale", at, people[0].id, GOODS, SHIPPING))
    await post(s, MachineryServicePaid(coop.id, f"{coop.id}:harvest", at, people[1].id, MACHINERY))
    await post(s, OperatorWageAccrued(coop.id, f"{coop.id}:wage", at, operator_id, WAGE))
    await write_entry(
        s, coop.id, [debit(c.BANK, OTHER), credit(c.OTHER_INCOME, OTHER)], kind="manual", entry_date=date(2025, 6, 1)
    )
    await write_entry(
        s, coop.id, [debit(c.INSURANCE, EXPENSE), credit(c.BANK, EXPENSE)], kind="manual", entry_date=date(2025, 5, 1)
    )
    draft = await compute_draft(s, coop.id, 2025)
    await approve(s, draft.id, AssemblyVote(date(2026, 1, 18), frozenset({1, 2, 3, 4})))
    await post_distribution(s, draft.id)
    await pay_all(s, draft.id, "bank", date(2026, 1, 25))
    return coop, draft


async def balances(s, coop_id: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    sums = await reports.account_sums(s, coop_id, end=date(2026, 12, 31))
    return {code: c.signed_balance(code, d, cr) for code, (d, cr) in sums.items()}


async def test_a_collectives_year_is_posted_on_the_2023_chart_and_balances(db, make_user) -> None:
    operator = await make_user("operator")
    async with db.session() as s:
        coop, draft = await a_year(s, CoopKind.SHAREHOLDING, operator.id)
        codes = set(
            (await s.scalars(select(JournalLine.account_code).where(JournalLine.cooperative_id == coop.id))).all()
        )
        commission = await s.scalar(select(Posting.commission_fen).where(Posting.reference == f"{coop.id}:sale"))
        owed = await balances(s, coop.id)
        trial = await reports.trial_balance(s, coop.id, date(2025, 1, 1), date(2026, 12, 31))
        sheet = await reports.balance_sheet(s, coop.id, date(2026, 12, 31))
        income = await reports.income_statement(s, coop.id, date(2025, 1, 1), date(2025, 12, 31))
        report = await reports.collective_income_report(s, coop.id, date(2025, 1, 1), date(2025, 12, 31))
    assert codes <= set(c.COLLECTIVE.accounts), codes - set(c.COLLECTIVE.accounts)  # nothing on the 2021 chart
    assert {"301", "32201", "10201", "113", "50104", "50106", "50102", "50203", "212", "522", "50202", "321"} <= codes
    # the year, computed here: income less cost; the loss covered first; the machinery net leaves for 六四开
    assert commission == GOODS * COMMISSION_BP // 10000
    surplus = OTHER + MACHINERY + commission + SHIPPING - EXPENSE - WAGE
    pool = MACHINERY - WAGE  # the operator's wage is a machinery cost
    reserve = (surplus - LOSS - pool) * RESERVE_BP // 10000
    assert (draft.surplus_fen, draft.loss_cover_fen, draft.reserve_fen) == (surplus, LOSS, reserve)
    assert draft.pool_development_fen + draft.pool_assistance_fen == pool
    members, collective = draft.remainder_fen, draft.collective_fen
    assert members + collective == surplus - LOSS - pool - reserve and collective > 0
    # where the 2023 chart keeps each part
    assert owed.get("32201", 0) == 0  # the loss is covered
    assert owed["31102"] == reserve + draft.pool_development_fen  # 公积公益金—收益提取
    assert owed["31104"] == draft.pool_assistance_fen  # 公积公益金—农机收入帮扶
    assert owed["31103"] == collective  # the 集体股's dividend stays with the collective
    assert owed.get("21102", 0) == 0  # members' dividends credited to 应付款, then paid
    assert owed["301"] == sum(SHARES.values()) * 100_00
    assert owed.get("321", 0) == 0 and not any(
        c.account(k).kind in ("income", "expense") and v for k, v in owed.items()
    )
    # the books balance
    assert sum(r.debit for r in trial) == sum(r.credit for r in trial) and sum(r.closing for r in trial) == 0
    assert sheet.balanced
    assert {code for code, _, _ in income.income.lines} == {"50102", "50104", "50106", "522"}
    assert income.surplus == surplus
    # the 收益及收益分配表: the year's 净收益, last year's loss carried in, nothing left undistributed
    assert report is not None and report[0] == "收益及收益分配表"
    rows = {r.label.strip("　"): r.amount for r in report[1]}
    assert rows["一、经营收入"] == MACHINERY + commission + SHIPPING and rows["其他收入"] == OTHER
    assert rows["二、经营收益"] == MACHINERY + commission + SHIPPING - EXPENSE - WAGE
    assert rows["四、净收益"] == surplus and rows["加：年初未分配收益"] == -LOSS
    assert rows["五、可分配收益"] == surplus - LOSS and rows["集体股收益（转公积公益金）"] == collective
    assert rows["减：提取公积公益金"] == reserve + pool and rows["向成员分配"] == members
    assert rows["六、年末未分配收益"] == owed.get("32201", 0) == 0


async def test_a_farmers_cooperative_keeps_the_2021_chart(db, make_user) -> None:
    operator = await make_user("operator")
    async with db.session() as s:
        coop, draft = await a_year(s, CoopKind.FARMER, operator.id)
        codes = set(
            (await s.scalars(select(JournalLine.account_code).where(JournalLine.cooperative_id == coop.id))).all()
        )
        owed = await balances(s, coop.id)
        sheet = await reports.balance_sheet(s, coop.id, date(2026, 12, 31))
        report = await reports.collective_income_report(s, coop.id, date(2025, 1, 1), date(2025, 12, 31))
    assert report is None  # a 农民专业合作社 keeps its 收支明细表
    assert codes <= set(c.FARMER.accounts)
    assert {"3001", "3501", "1012", "1141", "4201", "4101", "5103", "2121", "3301", "2211"} <= codes
    assert owed.get("3501", 0) == 0 and owed["3301"] == draft.reserve_fen and sheet.balanced


async def test_a_collectives_pages_show_its_own_chart_and_report(client, db, make_user, login_page) -> None:
    operator = await make_user("operator")
    await make_user("admin", phone="13700000021")
    async with db.session() as s:
        coop, _ = await a_year(s, CoopKind.SHAREHOLDING, operator.id)
    await login_page(client, "13700000021")
    page = await client.get(f"/coop/{coop.id}/reports", params={"start": "2025-01-01", "end": "2025-12-31"})
    assert page.status_code == 200
    assert "收益及收益分配表" in page.text and "六、年末未分配收益" in page.text and "财会〔2023〕14号" in page.text
    assert "收支明细表" not in page.text and "32201 收益分配—未分配收益" in page.text  # the trial balance too
    ledger = await client.get(f"/coop/{coop.id}/ledger")
    assert ledger.status_code == 200
    assert '<option value="301">301 资本</option>' in ledger.text and 'value="3001"' not in ledger.text


async def test_old_books_of_a_collective_switch_over_to_its_chart(db) -> None:
    """Lines a 股份经济合作社 wrote on the farmers' chart before it had its own are moved over in one entry;
    the prior loss is then read from 收益分配—未分配收益 and nothing is left on the old accounts."""
    async with db.session() as s:
        coop, people = await make_cooperative(s, members=2, kind=CoopKind.SHAREHOLDING)
        await record_charter(s, coop.id, date(2020, 1, 1), terms(CoopKind.SHAREHOLDING))
        for m in people:  # the share register (the old lines below stand for the books of the same shares)
            await contribute(s, coop.id, ContributionIn(m.id, "cash", date(2024, 3, 1), amount_fen=1_000_00))
        old = [  # as the books were written before: farmers'-chart codes
            [
                debit(c.BANK, 3_000_00),
                credit(c.SHARE_CAPITAL, 1_000_00, member_id=people[0].id),
                credit(c.SHARE_CAPITAL, 2_000_00, member_id=people[1].id),
            ],
            [debit(c.UNDISTRIBUTED, LOSS), credit(c.BANK, LOSS)],
            [debit(c.BANK, 700_00), credit(c.MACHINERY_MEMBER, 700_00, member_id=people[0].id, fund="development")],
        ]
        for n, lines in enumerate(old):
            await write_entry(s, coop.id, lines, kind="manual", entry_date=date(2024, 6, n + 1), localize=False)
        with pytest.raises(BadInput):  # not before the last old entry
            await adopt_own_chart(s, coop.id, date(2024, 6, 2))
        entry = await adopt_own_chart(s, coop.id, date(2024, 12, 31))
        again = await adopt_own_chart(s, coop.id, date(2024, 12, 31))
        owed = await balances(s, coop.id)
        shares = await s.execute(
            select(JournalLine.member_id, func.sum(JournalLine.credit_fen - JournalLine.debit_fen))
            .where(JournalLine.cooperative_id == coop.id, JournalLine.account_code == "301")
            .group_by(JournalLine.member_id)
        )
        await write_entry(
            s,
            coop.id,
            [debit(c.BANK, OTHER), credit(c.OTHER_INCOME, OTHER)],
            kind="manual",
            entry_date=date(2025, 6, 1),
        )
        draft = await compute_draft(s, coop.id, 2025)
    assert entry is not None and again is None
    assert {k: v for k, v in owed.items() if v and k not in c.COLLECTIVE.accounts} == {}
    assert owed["102"] == 3_000_00 - LOSS + 700_00 and owed["32201"] == -LOSS and owed["50102"] == 700_00
    assert dict(shares.all()) == {people[0].id: 2_000_00, people[1].id: 3_000_00}  # member by member
    assert draft.loss_cover_fen == LOSS


def test_the_cli_switches_a_cooperative_over_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.cli import caoyuan

    db = tmp_path / "switch.db"
    assert caoyuan("demo", "--no-serve", "--database", str(db), db=db).returncode == 0
    done = caoyuan("coop", "adopt-chart", "--on", "2025-12-31", "--cooperative", "1", db=db)
    assert done.returncode == 0, done.stderr
    assert "无需衔接" in done.stdout  # the demo collective was written on its own chart from the start
    bad = caoyuan("coop", "adopt-chart", "--on", "2025-12-31", "--cooperative", "99", db=db)
    assert bad.returncode != 0 and "没有编号为 99 的合作社" in bad.stderr


async def test_the_api_gives_a_collectives_report_and_refuses_a_farmers(client, db, make_user, login_api) -> None:
    operator = await make_user("operator")
    await make_user("admin", phone="13700000031")
    await make_user("member", phone="13700000032")
    async with db.session() as s:
        collective, draft = await a_year(s, CoopKind.SHAREHOLDING, operator.id)
        farmers, _ = await make_cooperative(s, members=1, kind=CoopKind.FARMER, name="另一个合作社")
    admin, member = await login_api(client, "13700000031"), await login_api(client, "13700000032")
    url = "/api/coop/{}/reports/income-and-distribution?start=2025-01-01&end=2025-12-31"
    got = await client.get(url.format(collective.id), headers=admin)
    assert got.status_code == 200 and got.json()["title"] == "收益及收益分配表"
    lines = {ln["label"]: ln["amount_fen"] for ln in got.json()["lines"]}
    assert lines["四、净收益"] == draft.surplus_fen and lines["六、年末未分配收益"] == 0
    refused = await client.get(url.format(farmers.id), headers=admin)
    assert refused.status_code == 422 and "收支明细表" in refused.json()["message"]
    assert (await client.get(url.format(collective.id), headers=member)).status_code == 403
