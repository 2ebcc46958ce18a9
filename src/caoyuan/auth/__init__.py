"""Users, roles, passwords, sessions and API tokens."""

from caoyuan.auth.roles import Role

__all__ = ["Role"]
