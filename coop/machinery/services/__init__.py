"""Machinery business actions, one module each. Callers own the transaction (no commit here)."""
