"""The pages as people use them: the accountant runs the year's distribution through forms; a member
reads their dividend and why on a phone page, and never another member's."""

from datetime import UTC, date, datetime

from caoyuan.identity import example_id_number
from coop.posting import LiveSalePaid, MachineryServicePaid, post
from coop.rules.charter import Terms
from coop.services.charter import record_charter
from coop.services.contributions import ContributionIn, contribute
from tests.factories.coop import make_cooperative


async def _setup(db, make_user):  # type: ignore[no-untyped-def]
    await make_user("admin", phone="13700000011")
    bao = await make_user("member", phone="13700000012")
    li = await make_user("member", phone="13700000013")
    async with db.session() as s:
        coop, (m1, m2) = await make_cooperative(s, members=2, user_ids={1: bao.id, 2: li.id})
        m1.name = "包金山"
        await record_charter(s, coop.id, date(2020, 1, 1), Terms())
        await contribute(
            s, coop.id, ContributionIn(m1.id, "land", date(2024, 4, 1), area_hundredths=11_00, plot="东梁")
        )
        await contribute(s, coop.id, ContributionIn(m2.id, "labour", date(2024, 4, 1), labour_days=60))
        await post(s, LiveSalePaid(coop.id, "p:1", datetime(2025, 9, 1, tzinfo=UTC), m1.id, 12_400_00, 0))
        await post(s, MachineryServicePaid(coop.id, "p:2", datetime(2025, 9, 1, tzinfo=UTC), m2.id, 3_000_00))
    return coop.id, m1.id, m2.id


def _csrf(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}


async def test_accountant_runs_the_distribution_and_the_member_reads_it(client, db, make_user, login_page) -> None:
    cid, m1, m2 = await _setup(db, make_user)
    await login_page(client, "13700000011")
    home = await client.get("/coop/")
    assert home.status_code == 200 and "合作社" in home.text
    for path in (
        "/",
        "/members",
        "/contributions",
        "/register",
        "/ledger",
        "/reports",
        "/assets",
        "/charter",
        "/distributions",
        f"/members/{m1}",
        f"/certificates/{m1}",
    ):
        page = await client.get(f"/coop/{cid}{path}")
        assert page.status_code == 200, path
        assert example_id_number(1) not in page.text  # ID numbers only ever masked
    made = await client.post(
        f"/coop/{cid}/distributions", data={"year": "2025"}, headers=_csrf(client), follow_redirects=False
    )
    assert made.status_code == 303
    wizard_url = made.headers["location"].split("?")[0]
    did = int(wizard_url.rsplit("/", 1)[1])
    wizard = await client.get(wizard_url)
    assert "按交易量返还" in wizard.text and "成员大会审议" in wizard.text
    refused = await client.post(
        f"/coop/distributions/{did}/approve",
        headers=_csrf(client),
        data={"assembly_on": "2026-01-10", "votes_for": "1"},
    )
    assert refused.status_code == 422 and "三分之二" in refused.text
    # the message sits on the form, in Chinese, with what was typed kept; no English field name
    assert 'id="votes_for-error"' in refused.text and ">1</textarea>" in refused.text
    assert "`votes_for`" not in refused.text
    for step, data in (
        ("approve", {"assembly_on": "2026-01-10", "votes_for": "1-2"}),
        ("post", {"confirm": "on"}),
        ("publish", {"confirm": "on"}),
    ):
        response = await client.post(
            f"/coop/distributions/{did}/{step}", data=data, headers=_csrf(client), follow_redirects=False
        )
        assert response.status_code == 303, (step, response.text)
    again = await client.post(f"/coop/distributions/{did}/post", data={"confirm": "on"}, headers=_csrf(client))
    assert again.status_code == 409
    publicity = await client.get(f"/coop/distributions/{did}/publicity")
    assert "盈余分配公示表" in publicity.text and "包金山" in publicity.text and "@media print" in publicity.text
    xlsx = await client.get(f"/coop/distributions/{did}/publicity.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    await client.post("/logout", headers=_csrf(client))

    await login_page(client, "13700000012")
    me = await client.get("/coop/me")
    assert me.status_code == 200 and "包金山" in me.text
    assert "全年与合作社交易额 ¥12,400.00" in me.text and "<svg" in me.text
    statement = await client.get(f"/coop/me/dividends/{did}")
    assert statement.status_code == 200 and "怎么算的" in statement.text
    mine = await client.get(f"/coop/distributions/{did}/statements/{m1}")
    assert mine.status_code == 200
    others = await client.get(f"/coop/distributions/{did}/statements/{m2}")
    assert others.status_code == 403
    assert (await client.get(f"/coop/{cid}/members")).status_code == 403
    assert (await client.get("/coop/me/certificate")).status_code == 200


async def test_forms_import_members_and_refuse_bad_contributions(client, db, make_user, login_page) -> None:
    cid, m1, _ = await _setup(db, make_user)
    await login_page(client, "13700000011")
    csv = f"姓名,身份证号,嘎查村\n其木格,{example_id_number(31)},白音套海嘎查\n坏行,123,白音套海嘎查\n".encode()
    report = await client.post(
        f"/coop/{cid}/members/import", files={"file": ("m.csv", csv, "text/csv")}, headers=_csrf(client)
    )
    assert report.status_code == 200, report.text
    assert "已导入 <b>1</b> 户" in report.text and "身份证号应为 18 位" in report.text
    export = await client.get(f"/coop/{cid}/members/export.xlsx")
    assert export.status_code == 200 and export.content[:2] == b"PK"
    zero = await client.post(
        f"/coop/{cid}/contributions",
        headers=_csrf(client),
        data={"member_id": str(m1), "kind": "cash", "contributed_on": "2025-01-01", "amount": "0"},
    )
    assert zero.status_code == 422 and "大于零" in zero.text
    ok = await client.post(
        f"/coop/{cid}/contributions",
        headers=_csrf(client),
        follow_redirects=False,
        data={
            "member_id": str(m1),
            "kind": "cash",
            "contributed_on": "2025-01-01",
            "amount": "2,050.00",
            "channel": "bank",
        },
    )
    assert ok.status_code == 303 and "20" in ok.headers["location"]
    unbalanced = await client.post(
        f"/coop/{cid}/ledger",
        headers=_csrf(client),
        data={
            "entry_date": "2025-05-01",
            "description": "保险费",
            "debit_code": "5102",
            "credit_code": "9999",
            "amount": "100",
        },
    )
    assert unbalanced.status_code == 422


async def test_linking_a_login_lets_the_household_see_its_page(client, db, make_user, login_page) -> None:
    cid, m1, _ = await _setup(db, make_user)
    await make_user("member", phone="13700000019")
    async with db.session() as s:
        other, (newcomer,) = await make_cooperative(s, members=1, name="另一社")
    await login_page(client, "13700000011")
    wrong_coop = await client.post(
        f"/coop/{cid}/members/{newcomer.id}/login", data={"phone": "13700000019"}, headers=_csrf(client)
    )
    assert wrong_coop.status_code == 404
    not_a_member = await client.post(
        f"/coop/{other.id}/members/{newcomer.id}/login", data={"phone": "13700000011"}, headers=_csrf(client)
    )
    assert not_a_member.status_code == 422  # the accountant's own account is not a 社员 login
    linked = await client.post(
        f"/coop/{other.id}/members/{newcomer.id}/login",
        data={"phone": "13700000019"},
        headers=_csrf(client),
        follow_redirects=False,
    )
    assert linked.status_code == 303
    taken = await client.post(f"/coop/{cid}/members/{m1}/login", data={"phone": "13700000019"}, headers=_csrf(client))
    assert taken.status_code == 409  # one login, one household
    await client.post("/logout", headers=_csrf(client))
    await login_page(client, "13700000019")
    assert "另一社" in (await client.get("/coop/me")).text
