"""Irreversible steps ask first: 入账, 公示 and 发放 need a ticked "我已核对" that the server checks, the
refusal says what would happen (how many households, how much), 发放 chooses no one by default, and an empty
login field never unlinks a household's account."""

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from caoyuan.money import format_fen
from coop.models import Allocation, Distribution, Member
from coop.posting import LiveSalePaid, post
from coop.rules.charter import Terms
from coop.services.charter import record_charter
from coop.services.contributions import ContributionIn, contribute
from tests.factories.coop import make_cooperative

ADMIN, MEMBER = "13700000091", "13700000092"


def _csrf(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}


async def _approved(client, db, make_user, login_page):  # type: ignore[no-untyped-def]
    await make_user("admin", phone=ADMIN)
    member_user = await make_user("member", phone=MEMBER)
    async with db.session() as s:
        coop, (m1, m2, m3) = await make_cooperative(s, members=3, user_ids={1: member_user.id})
        await record_charter(s, coop.id, date(2020, 1, 1), Terms())
        for m, fen in ((m1, 1_000_00), (m2, 2_000_00), (m3, 3_000_00)):
            await contribute(s, coop.id, ContributionIn(m.id, "cash", date(2024, 4, 1), amount_fen=fen))
        await post(s, LiveSalePaid(coop.id, "c:1", datetime(2025, 9, 1, tzinfo=UTC), m1.id, 9_000_00, 0))
        cid, ids = coop.id, (m1.id, m2.id, m3.id)
    await login_page(client, ADMIN)
    made = await client.post(
        f"/coop/{cid}/distributions", data={"year": "2025"}, headers=_csrf(client), follow_redirects=False
    )
    did = int(made.headers["location"].split("?")[0].rsplit("/", 1)[1])
    vote = {"assembly_on": "2026-01-10", "votes_for": "1, 2 3"}
    approved = await client.post(
        f"/coop/distributions/{did}/approve", data=vote, headers=_csrf(client), follow_redirects=False
    )
    assert approved.status_code == 303
    return cid, did, ids


async def _state(db, did: int) -> tuple[str, bool, int]:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        d = await s.get(Distribution, did)
        paid = await s.scalar(
            select(func.count())
            .select_from(Allocation)
            .where(Allocation.distribution_id == did, Allocation.paid_on.is_not(None))
        )
        return d.state, d.published_at is not None, paid


async def test_post_publish_and_pay_ask_first_and_say_what_happens(client, db, make_user, login_page) -> None:
    cid, did, (m1, _, _) = await _approved(client, db, make_user, login_page)
    wizard = await client.get(f"/coop/distributions/{did}")
    assert 'name="confirm"' in wizard.text and "不能修改，只能整体冲销" in wizard.text

    unconfirmed = await client.post(f"/coop/distributions/{did}/post", data={}, headers=_csrf(client))
    assert unconfirmed.status_code == 422 and "入账会向 3 户成员账户记入共" in unconfirmed.text
    assert 'id="confirm-error"' in unconfirmed.text
    assert await _state(db, did) == ("approved", False, 0)
    posted = await client.post(
        f"/coop/distributions/{did}/post", data={"confirm": "on"}, headers=_csrf(client), follow_redirects=False
    )
    assert posted.status_code == 303

    unconfirmed = await client.post(f"/coop/distributions/{did}/publish", data={}, headers=_csrf(client))
    assert unconfirmed.status_code == 422 and "公示不能撤回" in unconfirmed.text
    assert await _state(db, did) == ("posted", False, 0)
    published = await client.post(
        f"/coop/distributions/{did}/publish", data={"confirm": "on"}, headers=_csrf(client), follow_redirects=False
    )
    assert published.status_code == 303

    wizard = await client.get(f"/coop/distributions/{did}")
    assert '<option value="">请选择发放给谁</option>' in wizard.text  # nobody chosen by default
    assert '<option value="all" selected' not in wizard.text
    nobody = await client.post(f"/coop/distributions/{did}/pay", data={"channel": "cash"}, headers=_csrf(client))
    assert nobody.status_code == 422 and "请选择发放给哪一户" in nobody.text
    async with db.session() as s:
        count, total = (
            await s.execute(
                select(func.count(), func.sum(Allocation.total_fen)).where(
                    Allocation.distribution_id == did, Allocation.total_fen > 0
                )
            )
        ).one()
    everyone = {"member_id": "all", "channel": "bank", "paid_on": "2026-01-20"}
    asked = await client.post(f"/coop/distributions/{did}/pay", data=everyone, headers=_csrf(client))
    assert asked.status_code == 422
    assert f"将以银行转账向 {count} 户发放共 {format_fen(int(total))}" in asked.text
    assert '<option value="all" selected' in asked.text and 'value="2026-01-20"' in asked.text  # input kept
    assert await _state(db, did) == ("posted", True, 0)
    paid = await client.post(
        f"/coop/distributions/{did}/pay",
        data={**everyone, "confirm": "on"},
        headers=_csrf(client),
        follow_redirects=False,
    )
    assert paid.status_code == 303
    assert await _state(db, did) == ("paid", True, count)


async def test_an_empty_login_field_does_not_unlink(client, db, make_user, login_page) -> None:
    cid, _, (m1, _, _) = await _approved(client, db, make_user, login_page)
    empty = await client.post(f"/coop/{cid}/members/{m1}/login", data={"phone": ""}, headers=_csrf(client))
    assert empty.status_code == 422 and "请填写社员登录账户的手机号" in empty.text
    assert 'id="phone-error"' in empty.text
    async with db.session() as s:
        assert (await s.get(Member, m1)).user_id is not None
    unlinked = await client.post(
        f"/coop/{cid}/members/{m1}/login/unlink", headers=_csrf(client), follow_redirects=False
    )
    assert unlinked.status_code == 303
    async with db.session() as s:
        assert (await s.get(Member, m1)).user_id is None


async def test_refused_page_forms_keep_the_input_and_say_why_at_the_field(client, db, make_user, login_page) -> None:
    cid, _, (m1, m2, _) = await _approved(client, db, make_user, login_page)
    entry = await client.post(
        f"/coop/{cid}/ledger",
        headers=_csrf(client),
        data={
            "entry_date": "0001-01-01",
            "description": "收割机保险费",
            "debit_code": "5102",
            "credit_code": "1001",
            "amount": "100",
        },
    )
    assert entry.status_code == 422 and 'id="entry_date-error"' in entry.text
    assert 'value="收割机保险费"' in entry.text and "凭证日期须在 2000-01-01" in entry.text
    transfer = await client.post(
        f"/coop/{cid}/register/transfer",
        headers=_csrf(client),
        data={"from_member_id": str(m1), "to_member_id": str(m2), "shares": "100000", "effective_on": "2025-06-01"},
    )
    assert transfer.status_code == 422 and 'id="shares-error"' in transfer.text and 'value="100000"' in transfer.text
    admit = await client.post(
        f"/coop/{cid}/members",
        headers=_csrf(client),
        data={"name": "其木格", "id_number": "123", "village": "白音套海嘎查", "household_size": "4"},
    )
    assert admit.status_code == 422 and 'id="id_number-error"' in admit.text and 'value="其木格"' in admit.text
