"""The in-project Alipay sandbox: the same wire protocol as openapi.alipay.com, with generated keys.

Mounted by the kernel at ``/sandbox/alipay`` only when ``CAOYUAN_PAYMENTS=sandbox``:

* ``gateway.do`` — alipay.trade.precreate / wap.pay / query / refund / close, signature-checked with the
  app's public key, answers signed with the sandbox's "Alipay" key;
* ``pay/{token}`` — the cashier a QR code or WAP link opens (确认付款 / 取消); paying sends the signed
  async notify to ``notify_url`` (retried with backoff until it reads ``success``).

Tests replace the notify sender: ``sandbox_runtime(app).send = my_receiver`` (``async (url, form) -> str``).
"""

from __future__ import annotations

from typing import Any

from caoyuan.payments.settings import SANDBOX_PATH


def sandbox_routes() -> list[Any]:
    """The route handlers the kernel app mounts (a Router at /sandbox/alipay)."""
    from litestar import Router

    from caoyuan.payments.sandbox.gateway import SandboxGateway
    from caoyuan.payments.sandbox.pages import SandboxCashier

    return [Router(path=SANDBOX_PATH, route_handlers=[SandboxGateway, SandboxCashier], include_in_schema=False)]


def sandbox_runtime(app: Any):  # type: ignore[no-untyped-def]
    from caoyuan.payments.sandbox.delivery import sandbox_runtime as runtime

    return runtime(app)


__all__ = ["sandbox_routes", "sandbox_runtime"]
