"""sandbox trades and refunds, as the sandbox's own optional branch

The kernel's revision a25d0c94d880 created these tables in every database until the sandbox became an
optional part; it is now empty. A database migrated before then already has them: they are kept as
they are (this revision then only records the branch).

Revision ID: 5b7c2e1f9a30
Revises:
Create Date: 2026-11-30 04:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (autogenerate renders AutoString)
from alembic import op

import caoyuan.db.types  # noqa: F401


revision: str = '5b7c2e1f9a30'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ('sandbox',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table('pay_sandbox_trade'):
        return  # made by the kernel's a25d0c94d880 before the sandbox had a branch of its own
    op.create_table('pay_sandbox_trade',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_no', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('app_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('out_trade_no', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('product', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
    sa.Column('total_fen', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('refunded_fen', sa.Integer(), nullable=False),
    sa.Column('notify_url', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
    sa.Column('return_url', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
    sa.Column('buyer_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('notify_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('notify_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('notify_attempts', sa.Integer(), nullable=False),
    sa.Column('notify_error', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('created_at', caoyuan.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', caoyuan.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paid_at', caoyuan.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', caoyuan.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('refunded_fen >= 0 AND refunded_fen <= total_fen', name=op.f('ck_pay_sandbox_trade_refund_within_total')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pay_sandbox_trade')),
    sa.UniqueConstraint('app_id', 'out_trade_no', name=op.f('uq_pay_sandbox_trade_app_id_out_trade_no')),
    sa.UniqueConstraint('trade_no', name=op.f('uq_pay_sandbox_trade_trade_no'))
    )
    op.create_table('pay_sandbox_refund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('out_request_no', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('refund_fen', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
    sa.Column('created_at', caoyuan.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['trade_id'], ['pay_sandbox_trade.id'], name=op.f('fk_pay_sandbox_refund_trade_id_pay_sandbox_trade'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pay_sandbox_refund')),
    sa.UniqueConstraint('trade_id', 'out_request_no', name=op.f('uq_pay_sandbox_refund_trade_id_out_request_no'))
    )


def downgrade() -> None:
    op.drop_table('pay_sandbox_refund')
    op.drop_table('pay_sandbox_trade')
