"""The one guarded state change: ``UPDATE … SET state = :to WHERE id = :id AND state IN (:froms)``.

Never read-then-write: the statement itself checks the state, so of two concurrent requests only one
changes the row (on PostgreSQL the other waits for its commit, then finds the state moved on; on SQLite
the write lock is taken first). The row count says whether this call made the change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from caoyuan.states import Transitions


async def transition(
    db: AsyncSession,
    model: Any,
    id: int,
    action: str,
    table: Transitions,
    *,
    where: Iterable[Any] = (),
    synchronize_session: str | bool = "auto",
    **values: Any,
) -> bool:
    """Move row ``id`` of ``model`` by ``action`` if it is in one of the action's from-states (and every
    extra ``where`` holds), setting ``values`` too; True when this call changed the row."""
    move = table.moves[action]
    column = getattr(model, table.column)
    # A guard-only action (to is None) with nothing to set still writes the row, so it is locked and counted.
    values = {table.column: move.to if move.to is not None else column, **values}
    statement = (
        sa.update(model)
        .where(model.id == id, column.in_(sorted(move.froms)), *where)
        .values(**values)
        .execution_options(synchronize_session=synchronize_session)
    )
    result = cast("CursorResult[Any]", await db.execute(statement))
    return result.rowcount == 1
