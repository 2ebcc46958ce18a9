"""Rules that used to slip: one member rule for the page, the API and the import; no member business before
the member joined; no journal entry outside the books' years."""

from datetime import UTC, date, datetime

import pytest

from caoyuan.errors import BadInput
from caoyuan.identity import example_id_number
from coop.posting import LiveSalePaid, post
from coop.rules.journal import credit, debit
from coop.rules.members import RowError, column_map, parse_row
from coop.services.ledger import write_entry
from tests.factories.coop import make_cooperative

ADMIN = "13700000081"


def _csrf(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}


@pytest.mark.parametrize("size", ["0", "-5", "31"])
async def test_household_size_is_one_rule_for_page_api_and_import(
    client, db, make_user, login_page, login_api, size
) -> None:
    await make_user("admin", phone=ADMIN)
    async with db.session() as s:
        coop, _ = await make_cooperative(s, members=1)
        cid = coop.id
    await login_page(client, ADMIN)
    person = {"name": "其木格", "id_number": example_id_number(41), "village": "白音套海嘎查"}
    page = await client.post(f"/coop/{cid}/members", data={**person, "household_size": size}, headers=_csrf(client))
    assert page.status_code == 422 and "家庭人口应为 1 到 30" in page.text
    api = await client.post(
        f"/api/coop/{cid}/members", json={**person, "household_size": int(size)}, headers=await login_api(client, ADMIN)
    )
    assert api.status_code in (400, 422) and api.json()["fields"][0]["field"] == "household_size"
    with pytest.raises(RowError, match="家庭人口"):
        parse_row(
            ["其木格", example_id_number(41), "白音套海嘎查", size],
            column_map(["姓名", "身份证号", "嘎查村", "家庭人口"]),
        )


async def test_no_member_business_before_joining_and_no_entry_in_year_one(db, backend) -> None:
    async with db.session() as s:
        coop, (m1,) = await make_cooperative(s, members=1, joined=date(2024, 3, 1))
        with pytest.raises(BadInput, match="早于这位社员的入社日期"):
            await post(s, LiveSalePaid(coop.id, "early:1", datetime(2024, 2, 1, tzinfo=UTC), m1.id, 100_00, 0))
        kept = await post(s, LiveSalePaid(coop.id, "ok:1", datetime(2024, 3, 2, tzinfo=UTC), m1.id, 100_00, 0))
        assert kept.entry_id
        for day in (date(1, 1, 1), date(9999, 12, 31)):
            with pytest.raises(BadInput) as refused:
                await write_entry(
                    s, coop.id, [debit("1001", 1_00), credit("4401", 1_00)], kind="manual", entry_date=day
                )
            assert refused.value.field == "entry_date"


async def test_reports_and_entries_refuse_year_one_through_the_api(client, db, make_user, login_api) -> None:
    await make_user("admin", phone=ADMIN)
    async with db.session() as s:
        coop, _ = await make_cooperative(s, members=1)
        cid = coop.id
    h = await login_api(client, ADMIN)
    trial = await client.get(f"/api/coop/{cid}/reports/trial-balance?start=0001-01-01&end=2025-12-31", headers=h)
    assert trial.status_code == 422 and trial.json()["fields"][0]["field"] == "start"
    entry = await client.post(
        f"/api/coop/{cid}/entries",
        headers=h,
        json={
            "entry_date": "0001-01-01",
            "description": "错日期",
            "lines": [{"account_code": "1001", "debit_fen": 100}, {"account_code": "4401", "credit_fen": 100}],
        },
    )
    assert entry.status_code == 400 and "凭证日期须在 2000-01-01" in entry.text
