"""alipay sandbox trades (now empty: moved to the sandbox's own branch)

Revision ID: a25d0c94d880
Revises: d0e54a7dea40
Create Date: 2026-11-21 19:44:54.838859
"""

from collections.abc import Sequence


revision: str = 'a25d0c94d880'
down_revision: str | None = 'd0e54a7dea40'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The sandbox's tables now belong to its own optional branch (caoyuan/payments/sandbox/migrations),
    # installed only where CAOYUAN_PAYMENTS=sandbox; this revision stays, empty, so that databases
    # migrated through it keep a known history.
    pass


def downgrade() -> None:
    pass
