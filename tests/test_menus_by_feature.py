"""Menus show only what the member's cooperative runs (issue 10): a member of a village without machinery is
not offered 农机预约 / 我的预约; a member of a village that runs it is; staff always see 农机设置."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from caoyuan.domains import NavLink
from caoyuan.identity import id_check_char
from caoyuan.web.nav import featured_roles, nav_links
from coop.machinery.models import ServiceType
from coop.models import Cooperative, Member
from tests.factories.coop import CODE, FORM, OTHER


class _User:
    def __init__(self, role: str) -> None:
        self.role = role


def test_a_featured_link_needs_its_feature() -> None:
    member = _User("member")
    offered = {link.label for link in nav_links(member, frozenset())}
    assert "农机预约" not in offered and "我的股份与分红" in offered
    assert "农机预约" in {link.label for link in nav_links(member, frozenset({"machinery"}))}
    assert "农机预约" in {link.label for link in nav_links(member, None)}  # not looked up: shown
    assert "member" in featured_roles() and "admin" not in featured_roles()
    assert NavLink("x", "/x", frozenset({"member"})).feature == ""


def _id_number(n: int) -> str:
    first17 = f"15042619800101{n:03d}"
    return first17 + id_check_char(first17)


async def test_members_see_machinery_only_where_it_runs(client, db, make_user, login_page) -> None:  # type: ignore[no-untyped-def]
    admin = await make_user("admin")
    with_fleet = await make_user("member", name="包金山")
    without = await make_user("member", name="巴特尔")
    await login_page(client, admin.phone)
    headers = {"x-csrftoken": client.cookies.get("caoyuan_csrf") or ""}
    for name, code in (("八道岭村股份经济合作社", CODE), ("白音套海嘎查股份经济合作社", OTHER)):
        made = await client.post("/coop/setup/", data={**FORM, "name": name, "credit_code": code}, headers=headers)
        assert made.status_code in (200, 303), made.text
    async with db.session() as s:
        a, b = (await s.scalars(select(Cooperative.id).order_by(Cooperative.id))).all()
        for n, (coop_id, user) in enumerate(((a, with_fleet), (b, without)), start=1):
            s.add(
                Member(
                    cooperative_id=coop_id,
                    member_no=1,
                    name=user.display_name,
                    id_number=_id_number(n),
                    village="嘎查",
                    status_since=date(2021, 1, 1),
                    user_id=user.id,
                )
            )
        s.add(ServiceType(cooperative_id=a, name="玉米收割", machine_kind="玉米收割机"))
        await s.commit()

    admin_page = await client.get("/coop/")
    assert "农机设置" in admin_page.text
    client.cookies.clear()
    await login_page(client, with_fleet.phone)
    page = await client.get("/coop/me")
    assert page.status_code == 200 and 'href="/machinery/book"' in page.text
    client.cookies.clear()
    await login_page(client, without.phone)
    page = await client.get("/coop/me")
    assert page.status_code == 200 and "我的股份与分红" in page.text
    assert 'href="/machinery/book"' not in page.text and 'href="/machinery/my"' not in page.text
