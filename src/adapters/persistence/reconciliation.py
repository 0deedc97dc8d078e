"""StalePayments over Django (in memory: in_memory_reconciliation.py)."""

from __future__ import annotations

from datetime import datetime

from adapters.persistence.models import Payment
from shop_domain.ids import PaymentId
from shop_domain.payment import PaymentStatus

OPEN = (PaymentStatus.PENDING.value, PaymentStatus.REQUIRES_ACTION.value)


class DjangoStalePayments:
    def open_between(self, since: datetime, until: datetime, limit: int) -> list[PaymentId]:
        rows = (
            Payment.objects.filter(status__in=OPEN, created_at__gte=since, created_at__lte=until)
            .order_by("created_at")
            .values_list("id", flat=True)[:limit]
        )
        return [PaymentId(pk) for pk in rows]
