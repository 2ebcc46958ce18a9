"""a live room's content lines (set from the set-up page)

Revision ID: 5b7e21d0c4a9
Revises: c9a320f195d0
Create Date: 2026-11-30 02:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (autogenerate renders AutoString)
from alembic import op

revision: str = '5b7e21d0c4a9'
down_revision: str | None = 'c9a320f195d0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('live_room', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('content_lines', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False, server_default='')
        )


def downgrade() -> None:
    with op.batch_alter_table('live_room', schema=None) as batch_op:
        batch_op.drop_column('content_lines')
