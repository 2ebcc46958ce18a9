"""orders checked by one composite key

Revision ID: ee2ed7dcaef0
Revises: 94c5e0fce67a
Create Date: 2026-11-30 18:31:07.107988
"""

from collections.abc import Sequence

import sqlmodel.sql.sqltypes  # noqa: F401  (autogenerate renders AutoString)
from alembic import op

import caoyuan.db.types  # noqa: F401

revision: str = 'ee2ed7dcaef0'
down_revision: str | None = '94c5e0fce67a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Five row-by-row checks on every order become one (storefront/models.py, Order): the pool exists and the
    # order's SKU is the pool's. The unique key it refers to comes first. Every order the intake wrote took
    # its SKU from its pool, so existing rows already satisfy the new key.
    with op.batch_alter_table('shop_stock_pool', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_shop_stock_pool_id_sku_id'), ['id', 'sku_id'])

    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_shop_order_cooperative_id_coop_cooperative'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_shop_order_supplier_member_id_coop_member'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_shop_order_pool_id_shop_stock_pool'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_shop_order_sku_id_shop_sku'), type_='foreignkey')
        batch_op.create_foreign_key(
            batch_op.f('fk_shop_order_pool_id_shop_stock_pool'), 'shop_stock_pool', ['pool_id', 'sku_id'], ['id', 'sku_id']
        )


def downgrade() -> None:
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_shop_order_pool_id_shop_stock_pool'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_shop_order_sku_id_shop_sku'), 'shop_sku', ['sku_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_shop_order_pool_id_shop_stock_pool'), 'shop_stock_pool', ['pool_id'], ['id'])
        batch_op.create_foreign_key(
            batch_op.f('fk_shop_order_supplier_member_id_coop_member'), 'coop_member', ['supplier_member_id'], ['id']
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_shop_order_cooperative_id_coop_cooperative'), 'coop_cooperative', ['cooperative_id'], ['id']
        )

    with op.batch_alter_table('shop_stock_pool', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_shop_stock_pool_id_sku_id'), type_='unique')
