"""Cooperative services: one module per business action. They never commit; the caller owns the transaction."""
