"""Each domain registers its routes from the start; a member reads only their own record."""

from datetime import date

from caoyuan.identity import id_check_char
from coop.models import Cooperative, CoopKind, Member


def _id(seq: int) -> str:
    first17 = f"15042619800101{seq:03d}"
    return first17 + id_check_char(first17)


async def _two_members(db, owner_id: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    async with db.session() as s:
        coop = Cooperative(name="测试合作社", kind=CoopKind.FARMER, banner="翁牛特旗", village="白音套海嘎查")
        s.add(coop)
        await s.flush()
        mine = Member(
            cooperative_id=coop.id,
            member_no=1,
            name="包金山",
            id_number=_id(1),
            phone="13500000001",
            village="白音套海嘎查",
            status_since=date(2020, 1, 1),
            user_id=owner_id,
        )
        other = Member(
            cooperative_id=coop.id,
            member_no=2,
            name="李桂兰",
            id_number=_id(2),
            village="白音套海嘎查",
            status_since=date(2020, 1, 1),
        )
        s.add_all([mine, other])
        await s.flush()
        return mine.id, other.id


async def test_member_reads_only_own_record(client, make_user, login_api, db) -> None:
    owner = await make_user("member", phone="13600000001")
    mine, other = await _two_members(db, owner.id)
    headers = await login_api(client, "13600000001")
    own = await client.get(f"/api/coop/members/{mine}", headers=headers)
    assert own.status_code == 200
    body = own.json()
    assert body["name"] == "包金山"
    assert body["id_number_masked"] == _id(1)[:6] + "********" + _id(1)[-4:]
    assert _id(1) not in own.text
    refused = await client.get(f"/api/coop/members/{other}", headers=headers)
    assert refused.status_code == 403 and refused.json()["message"] == "只能查看本人的记录"


async def test_admin_reads_any_member(client, make_user, login_api, db) -> None:
    owner = await make_user("member", phone="13600000002")
    await make_user("admin", phone="13600000003")
    _, other = await _two_members(db, owner.id)
    headers = await login_api(client, "13600000003")
    assert (await client.get(f"/api/coop/members/{other}", headers=headers)).json()["name"] == "李桂兰"
    assert (await client.get("/api/coop/members/999", headers=headers)).status_code == 404


async def test_member_page_masks_the_id_number(client, make_user, login_page, db) -> None:
    owner = await make_user("member", phone="13600000004")
    await _two_members(db, owner.id)
    await login_page(client, "13600000004")
    page = await client.get("/coop/me")
    assert page.status_code == 200 and "包金山" in page.text
    assert _id(1) not in page.text and "********" in page.text


async def test_public_pages_answer(client) -> None:
    for path in ("/", "/live/", "/shop/", "/login"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert 'lang="zh-CN"' in response.text
    assert (await client.get("/api/shop/products/")).json() == []
