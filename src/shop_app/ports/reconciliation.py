"""Which payments to ask their provider about (reconciliation)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from shop_domain.ids import PaymentId


class StalePayments(Protocol):
    """Payments still open (pending or awaiting the customer's action) that started
    between ``since`` and ``until``, oldest first, at most ``limit``. A hint only: the
    use case locks and re-reads each one."""

    def open_between(self, since: datetime, until: datetime, limit: int) -> list[PaymentId]: ...
