"""What the pretend Alipay remembers: trades (created when the buyer opens the pay page) and refunds."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from caoyuan.db import UTCDateTime, utcnow


class SandboxTrade(SQLModel, table=True):
    __tablename__ = "pay_sandbox_trade"
    __table_args__ = (
        sa.UniqueConstraint("app_id", "out_trade_no"),
        # The database refuses a refund beyond what was paid, whatever the code above it does.
        sa.CheckConstraint("refunded_fen >= 0 AND refunded_fen <= total_fen", name="refund_within_total"),
    )

    id: int | None = Field(default=None, primary_key=True)
    trade_no: str = Field(max_length=64, unique=True)  # Alipay's number for the trade
    app_id: str = Field(max_length=32)
    out_trade_no: str = Field(max_length=64)  # the merchant's number
    product: str = Field(max_length=8, default="")  # QR (precreate) or WAP
    subject: str = Field(max_length=256, default="")
    total_fen: int = Field(default=0)
    status: str = Field(max_length=16)  # WAIT_BUYER_PAY, TRADE_SUCCESS, TRADE_CLOSED
    refunded_fen: int = Field(default=0)
    notify_url: str = Field(max_length=512, default="")
    return_url: str = Field(max_length=512, default="")
    buyer_id: str = Field(max_length=32, default="")
    notify_id: str = Field(max_length=64, default="")
    notify_status: str = Field(max_length=16, default="none")  # none, pending, delivered, failed
    notify_attempts: int = Field(default=0)
    notify_error: str = Field(max_length=300, default="")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SandboxRefund(SQLModel, table=True):
    __tablename__ = "pay_sandbox_refund"
    __table_args__ = (sa.UniqueConstraint("trade_id", "out_request_no"),)  # one refund per request number

    id: int | None = Field(default=None, primary_key=True)
    trade_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("pay_sandbox_trade.id", ondelete="CASCADE"), nullable=False)
    )
    out_request_no: str = Field(max_length=64)
    refund_fen: int
    reason: str = Field(max_length=256, default="")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
