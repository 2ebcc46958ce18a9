"""Widen machinery_booking.cancelled_by: "collective" (10 characters) did not fit VARCHAR(8) on PostgreSQL.

Revision ID: 57af78c3a7e8
Revises: 8156ac6ca0ff
Create Date: 2026-11-29 22:01:43.715348
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (autogenerate renders AutoString)
from alembic import op

import caoyuan.db.types  # noqa: F401

revision: str = "57af78c3a7e8"
down_revision: str | None = "8156ac6ca0ff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch mode: SQLite cannot ALTER a column's type in place (it copies the table); PostgreSQL alters it.
    with op.batch_alter_table("machinery_booking", schema=None) as batch_op:
        batch_op.alter_column(
            "cancelled_by",
            existing_type=sa.VARCHAR(length=8),
            type_=sqlmodel.sql.sqltypes.AutoString(length=16),
            existing_nullable=False,
        )


def downgrade() -> None:
    # "collective" does not fit the old width: shorten what was written before narrowing the column.
    op.execute("UPDATE machinery_booking SET cancelled_by = 'coop' WHERE cancelled_by = 'collective'")
    with op.batch_alter_table("machinery_booking", schema=None) as batch_op:
        batch_op.alter_column(
            "cancelled_by",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=16),
            type_=sa.VARCHAR(length=8),
            existing_nullable=False,
        )
