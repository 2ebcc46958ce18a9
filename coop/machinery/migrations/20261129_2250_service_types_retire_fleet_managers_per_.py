"""Service types can be retired (kept for the bookings that name them); fleet managers per cooperative.

Revision ID: f9178781805b
Revises: 57af78c3a7e8
Create Date: 2026-11-29 22:50:52.886765
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (autogenerate renders AutoString)
from alembic import op

import caoyuan.db.types  # noqa: F401


revision: str = "f9178781805b"
down_revision: str | None = "57af78c3a7e8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "machinery_manager",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["coop_cooperative.id"],
            name=op.f("fk_machinery_manager_cooperative_id_coop_cooperative"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_machinery_manager_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_machinery_manager")),
        sa.UniqueConstraint("user_id", name=op.f("uq_machinery_manager_user_id")),
    )
    with op.batch_alter_table("machinery_manager", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_machinery_manager_cooperative_id"), ["cooperative_id"], unique=False)

    with op.batch_alter_table("machinery_service_type", schema=None) as batch_op:
        # existing services stay offered
        batch_op.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("machinery_service_type", schema=None) as batch_op:
        batch_op.drop_column("active")

    with op.batch_alter_table("machinery_manager", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_machinery_manager_cooperative_id"))

    op.drop_table("machinery_manager")
