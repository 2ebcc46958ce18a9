"""Thin HTTP for the cooperative: parse, call a service, shape the answer."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.params import FromPath

from caoyuan.auth import Role
from caoyuan.auth.current import CurrentUser, ensure_self_or_admin, requires
from caoyuan.deps import Db
from caoyuan.errors import NotFound
from caoyuan.identity import mask_id_number, mask_phone
from coop.models import Member
from coop.schemas import MemberPublic


def member_public(m: Member) -> MemberPublic:
    return MemberPublic(m.id, m.member_no, m.name, mask_id_number(m.id_number),  # type: ignore[arg-type]
                        mask_phone(m.phone) if m.phone else "", m.village, m.group_name,
                        m.household_size, m.hardship, m.status)


class MemberApi(Controller):
    path = "/api/coop/members"
    tags = ["coop"]

    @get("/{member_id:int}", guards=[requires(Role.ADMIN, Role.MEMBER)], summary="一户社员（社员只能看本户）")
    async def get_member(self, member_id: FromPath[int], request: Request, db: Db) -> MemberPublic:
        user: CurrentUser = request.user
        member = await db.get(Member, member_id)
        if member is None:
            raise NotFound("没有这位社员")
        ensure_self_or_admin(user, member.user_id)
        return member_public(member)
