"""StalePayments in memory. Imports no Django."""

from __future__ import annotations

from datetime import datetime

from adapters.persistence.in_memory import InMemoryStore
from shop_domain.ids import PaymentId
from shop_domain.payment import PaymentStatus

OPEN = (PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION)


class InMemoryStalePayments:
    def __init__(self, store: InMemoryStore):
        self._store = store

    def open_between(self, since: datetime, until: datetime, limit: int) -> list[PaymentId]:
        found = sorted(
            (p for p in self._store.tables.payments.values()
             if p.status in OPEN and since <= p.created_at <= until),
            key=lambda p: p.created_at,
        )  # fmt: skip
        return [p.id for p in found[:limit]]
