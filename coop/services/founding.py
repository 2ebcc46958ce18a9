"""Found a cooperative: its registration facts and its first charter, in one transaction.

The page (/coop/setup) and the API (POST /api/coop) both call ``found``; a refusal names its field in
Chinese and, because the caller's transaction rolls back, nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from caoyuan import audit, clock
from caoyuan.bounds import check_day
from caoyuan.errors import BadInput, Conflict
from coop.access import require_install_admin
from coop.errors import CoopCode
from coop.models import KIND_LABELS, Charter, Cooperative
from coop.rules.charter import Terms
from coop.rules.credit_code import CreditCodeError, normalize
from coop.services.charter import record_charter, scope_of

# the columns' lengths (coop.models.members.Cooperative)
LIMITS = {"name": 100, "banner": 50, "town": 50, "village": 50, "legal_representative": 50}
LABELS = {
    "name": "合作社名称",
    "banner": "旗（县）",
    "town": "苏木（镇）",
    "village": "嘎查（村）",
    "legal_representative": "法定代表人",
}


@dataclass(frozen=True, slots=True)
class Founding:
    """What the business licence says, as typed."""

    name: str
    kind: str  # coop.models.CoopKind
    banner: str
    village: str
    credit_code: str
    registered_on: date
    legal_representative: str
    town: str = ""


async def cooperatives_exist(db: AsyncSession) -> bool:
    """False on a fresh install: the first admin is sent to the set-up page."""
    return bool(await db.scalar(select(func.count()).select_from(Cooperative)))


def _text(founding: Founding, name: str, required: bool = True) -> str:
    value = " ".join(str(getattr(founding, name)).split())
    if required and not value:
        raise BadInput(f"请填写{LABELS[name]}", field=name)
    if len(value) > LIMITS[name]:
        raise BadInput(f"{LABELS[name]}最多 {LIMITS[name]} 个字", field=name)
    return value


def checked(founding: Founding) -> Founding:
    """The founding with its text tidied, or a BadInput at the first wrong field."""
    if founding.kind not in KIND_LABELS:
        raise BadInput("类型只能是农民专业合作社或股份经济合作社", field="kind")
    try:
        code = normalize(founding.credit_code)
    except CreditCodeError as exc:
        raise BadInput(str(exc), field="credit_code") from None
    check_day(founding.registered_on, "registered_on", "登记日期")
    if founding.registered_on > clock.today():
        raise BadInput("登记日期不能晚于今天", field="registered_on")
    return Founding(
        name=_text(founding, "name"),
        kind=founding.kind,
        banner=_text(founding, "banner"),
        village=_text(founding, "village"),
        credit_code=code,
        registered_on=founding.registered_on,
        legal_representative=_text(founding, "legal_representative"),
        town=_text(founding, "town", required=False),
    )


async def found(
    db: AsyncSession,
    founding: Founding,
    terms: Terms,
    charter_from: date | None = None,
    note: str = "",
    *,
    by_user_id: int | None = None,
) -> tuple[Cooperative, Charter]:
    """Create the cooperative and record its first charter (in force from ``charter_from``, by default the
    registration date). A second cooperative with the same name or credit code is refused."""
    if by_user_id is not None:
        await require_install_admin(db, by_user_id)
    founding = checked(founding)
    if await db.scalar(select(col(Cooperative.id)).where(col(Cooperative.name) == founding.name)):
        raise Conflict(f"已有名为「{founding.name}」的合作社", field="name", code=CoopCode.NAME_TAKEN)
    if await db.scalar(select(col(Cooperative.id)).where(col(Cooperative.credit_code) == founding.credit_code)):
        raise Conflict("这个统一社会信用代码已登记过一个合作社", field="credit_code", code=CoopCode.CREDIT_CODE_TAKEN)
    coop = Cooperative(
        name=founding.name,
        kind=founding.kind,
        banner=founding.banner,
        town=founding.town,
        village=founding.village,
        founded_on=founding.registered_on,
        credit_code=founding.credit_code,
        legal_representative=founding.legal_representative,
    )
    db.add(coop)
    await db.flush()
    await audit.record(
        db,
        actor_user_id=by_user_id,
        scope=scope_of(coop.id),  # type: ignore[arg-type]
        action="cooperative.founded",
        subject=coop.name,
        detail={
            "kind": coop.kind,
            "credit_code": coop.credit_code,
            "registered_on": founding.registered_on.isoformat(),
            "legal_representative": coop.legal_representative,
        },
    )
    charter = await record_charter(
        db,
        coop.id,  # type: ignore[arg-type]
        charter_from or founding.registered_on,
        terms,
        note,
        by_user_id=by_user_id,
    )
    return coop, charter
