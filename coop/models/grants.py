"""Which cooperatives an admin login works in (coop.access)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from caoyuan.db import UTCDateTime, utcnow


class CoopGrant(SQLModel, table=True):
    """A login's role in one cooperative. An admin with no rows here is the install's admin (every
    cooperative); an admin with rows works only in those cooperatives."""

    __tablename__ = "coop_grant"

    user_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    )
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", primary_key=True, index=True)
    role: str = Field(max_length=16)  # caoyuan.auth.Role
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
