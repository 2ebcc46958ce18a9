"""公示: the posted distribution is shown to all members (table for the village board)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.db import utcnow
from caoyuan.errors import Conflict
from coop.models import Distribution, DistributionState
from coop.services.distribution.common import load


async def publish(db: AsyncSession, distribution_id: int) -> Distribution:
    dist = await load(db, distribution_id, lock=True)
    if dist.state not in (DistributionState.POSTED, DistributionState.PAID):
        raise Conflict("方案入账后才能公示", field="state")
    if dist.published_at is None:
        dist.published_at = utcnow()
        await db.flush()
    return dist
