"""refunds retried until Alipay confirms

Revision ID: 94c5e0fce67a
Revises: 528a79d8653b
Create Date: 2026-11-29 22:18:23.687054
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (autogenerate renders AutoString)
from alembic import op

import caoyuan.db.types  # noqa: F401


revision: str = '94c5e0fce67a'
down_revision: str | None = '528a79d8653b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows get defaults while the columns are added; the defaults are then dropped (the models
    # set them in Python, and autogenerate must find no drift).
    with op.batch_alter_table('shop_refund', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default='after_sale'))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('next_attempt_at', caoyuan.db.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_shop_refund_status'), ['status'], unique=False)
    with op.batch_alter_table('shop_refund', schema=None) as batch_op:
        batch_op.alter_column('kind', server_default=None)
        batch_op.alter_column('attempts', server_default=None)
        batch_op.alter_column('last_error', server_default=None)
    # "approved" meant "decided, not yet paid back": that is now "refunding", which the reconciler retries.
    op.execute("UPDATE shop_refund SET status = 'refunding' WHERE status = 'approved'")
    # Late payments whose automatic refund failed before this revision: the buyer's money is still with us.
    # Give each one a refund to drive (its out_request_no is the one the old code used, so a refund that did
    # reach Alipay is confirmed, not paid twice).
    op.execute("""
        INSERT INTO shop_refund (order_id, kind, out_request_no, amount_fen, reason, status, order_status_before,
                                 requested_at, failure, attempts, last_error)
        SELECT o.id, 'late_payment', o.public_no || '-LATE', o.total_fen, '订单已过期且库存不足，自动退款',
               'refunding', o.status, COALESCE(o.closed_at, o.created_at), '', 0, ''
        FROM shop_order o
        WHERE o.status IN ('expired', 'cancelled') AND o.trade_no <> ''
          AND NOT EXISTS (SELECT 1 FROM shop_refund r WHERE r.order_id = o.id)
    """)


def downgrade() -> None:
    op.execute("DELETE FROM shop_refund WHERE kind = 'late_payment' AND status <> 'refunded'")
    op.execute("UPDATE shop_refund SET status = 'approved' WHERE status = 'refunding'")
    with op.batch_alter_table('shop_refund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shop_refund_status'))
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('last_error')
        batch_op.drop_column('attempts')
        batch_op.drop_column('kind')

