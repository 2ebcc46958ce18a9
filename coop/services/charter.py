"""Charter versions: record a new one, find the one in force on a day."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan import audit
from caoyuan.errors import BadInput, Conflict
from coop.models import Charter
from coop.rules.charter import DEFAULT_TERMS, TERM_FIELDS, CharterError, Terms, validate
from coop.services.ledger import require_cooperative


def scope_of(cooperative_id: int) -> str:
    """A cooperative's audit-log scope (caoyuan.audit)."""
    return f"coop:{cooperative_id}"


def terms_of(charter: Charter) -> Terms:
    return Terms(**{name: getattr(charter, name) for name in TERM_FIELDS})


async def charter_in_force(db: AsyncSession, cooperative_id: int, on: date) -> Charter | None:
    return await db.scalar(
        select(Charter)
        .where(Charter.cooperative_id == cooperative_id, Charter.effective_on <= on)
        .order_by(Charter.effective_on.desc())
        .limit(1)
    )


async def terms_in_force(db: AsyncSession, cooperative_id: int, on: date) -> tuple[int | None, Terms]:
    """(charter id, terms); a cooperative without a charter yet runs on the documented defaults."""
    charter = await charter_in_force(db, cooperative_id, on)
    return (charter.id, terms_of(charter)) if charter else (None, DEFAULT_TERMS)


async def record_charter(
    db: AsyncSession,
    cooperative_id: int,
    effective_on: date,
    terms: Terms,
    note: str = "",
    *,
    by_user_id: int | None = None,
) -> Charter:
    """A new version from ``effective_on``; earlier versions stay as they were (history is kept)."""
    coop = await require_cooperative(db, cooperative_id)
    try:
        validate(terms, coop.kind)
    except CharterError as exc:
        raise BadInput(str(exc), field=exc.field) from None
    clash = await db.scalar(
        select(Charter.id).where(Charter.cooperative_id == cooperative_id, Charter.effective_on == effective_on)
    )
    if clash:
        raise Conflict(f"{effective_on} 已有一版章程；请用新的生效日期", field="effective_on")
    charter = Charter(cooperative_id=cooperative_id, effective_on=effective_on, note=note, **asdict(terms))
    db.add(charter)
    await db.flush()
    await audit.record(
        db,
        actor_user_id=by_user_id,
        scope=scope_of(cooperative_id),
        action="charter.recorded",
        subject=f"{effective_on.isoformat()} 起生效的章程",
        detail={"effective_on": effective_on.isoformat(), **asdict(terms)},
    )
    return charter
