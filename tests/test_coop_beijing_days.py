"""Between 00:00 and 08:00 Beijing the UTC date is still yesterday: the cooperative's pages, defaults and
payouts follow Beijing's calendar day all the same."""

from datetime import UTC, date, datetime

from sqlalchemy import select

from caoyuan import clock
from coop.models import Allocation, JournalEntry
from coop.posting import LiveSalePaid, post
from coop.rules.charter import Terms
from coop.services.charter import record_charter
from coop.services.contributions import ContributionIn, contribute
from tests.factories.coop import make_cooperative

# 2026-01-01 18:00 UTC is 2026-01-02 02:00 in Beijing: a new year there, the old one in UTC
EARLY_MORNING = datetime(2026, 1, 1, 18, 0, tzinfo=UTC)


def _csrf(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}


async def test_pages_and_payouts_follow_the_beijing_day(client, db, make_user, login_page) -> None:
    await make_user("admin", phone="13700000051")
    async with db.session() as s:
        coop, (m1, m2) = await make_cooperative(s, members=2)
        await record_charter(s, coop.id, date(2020, 1, 1), Terms())
        await contribute(s, coop.id, ContributionIn(m1.id, "cash", date(2024, 4, 1), amount_fen=1_000_00))
        await contribute(s, coop.id, ContributionIn(m2.id, "cash", date(2024, 4, 1), amount_fen=1_000_00))
        await post(s, LiveSalePaid(coop.id, "bj:1", datetime(2025, 9, 1, tzinfo=UTC), m1.id, 5_000_00, 0))
        # paid at 01:00 Beijing on 2 January 2026 (17:00 UTC on 1 January): booked on 2026-01-02
        await post(s, LiveSalePaid(coop.id, "bj:2", datetime(2026, 1, 1, 17, 0, tzinfo=UTC), m2.id, 800_00, 0))
        cid, m1_id = coop.id, m1.id
    await login_page(client, "13700000051")
    with clock.frozen_at(EARLY_MORNING):
        dashboard = await client.get(f"/coop/{cid}/")
        assert dashboard.status_code == 200
        assert "2026 年收入" in dashboard.text and "2025 年收入" not in dashboard.text
        report = await client.get(f"/coop/{cid}/reports")
        assert 'name="start" value="2026-01-01"' in report.text and 'name="end" value="2026-01-02"' in report.text
        ledger = await client.get(f"/coop/{cid}/ledger")
        assert 'value="2026-01-02"' in ledger.text
        made = await client.post(
            f"/coop/{cid}/distributions", data={"year": "2025"}, headers=_csrf(client), follow_redirects=False
        )
        did = int(made.headers["location"].split("?")[0].rsplit("/", 1)[1])
        wizard = await client.get(f"/coop/distributions/{did}")
        assert 'name="assembly_on" value="2026-01-02"' in wizard.text
        for step, data in (
            ("approve", {"assembly_on": "2026-01-02", "votes_for": "1-2"}),
            ("post", {"confirm": "on"}),
            ("publish", {"confirm": "on"}),
        ):
            done = await client.post(
                f"/coop/distributions/{did}/{step}", data=data, headers=_csrf(client), follow_redirects=False
            )
            assert done.status_code == 303, (step, done.text)
        paid = await client.post(
            f"/coop/distributions/{did}/pay",
            headers=_csrf(client),
            follow_redirects=False,
            data={"member_id": str(m1_id), "channel": "cash", "confirm": "on"},
        )
        assert paid.status_code == 303, paid.text
    async with db.session() as s:
        alloc = await s.scalar(
            select(Allocation).where(Allocation.distribution_id == did, Allocation.member_id == m1_id)
        )
        assert alloc is not None and alloc.paid_on == date(2026, 1, 2)
        entry = await s.get(JournalEntry, alloc.payment_entry_id)
        assert entry is not None and entry.entry_date == date(2026, 1, 2)
        late_sale = await s.scalar(
            select(JournalEntry.entry_date).where(JournalEntry.occurred_at == datetime(2026, 1, 1, 17, 0, tzinfo=UTC))
        )
        assert late_sale == date(2026, 1, 2)
