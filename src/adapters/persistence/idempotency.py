"""Idempotency records in the database (the ``IdempotencyStore`` port): the first
request with a key claims it (a unique row), later ones with the same key replay its
stored response."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from adapters.persistence.models import IdempotencyRecord
from shop_app.ports.idempotency import KEEP_FOR, Claim


class DjangoIdempotencyStore:
    """The claim is a unique row: the database decides which concurrent claim wins."""

    def claim(self, customer_id: Any, key: str, fingerprint: str, now: datetime) -> Claim:
        IdempotencyRecord.objects.filter(
            customer_id=customer_id, key=key, created_at__lt=now - KEEP_FOR
        ).delete()
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    customer_id=customer_id, key=key, fingerprint=fingerprint, created_at=now
                )
            return Claim(mine=True)
        except IntegrityError:
            row = IdempotencyRecord.objects.filter(customer_id=customer_id, key=key).first()
            if row is None:  # its owner gave it up in between: try once more
                return self.claim(customer_id, key, fingerprint, now)
            return Claim(
                mine=False,
                fingerprint=row.fingerprint,
                status_code=row.status_code,
                response=row.response,
            )

    def complete(self, customer_id: Any, key: str, status_code: int, response: Any) -> None:
        IdempotencyRecord.objects.filter(customer_id=customer_id, key=key).update(
            status_code=status_code, response=response
        )

    def release(self, customer_id: Any, key: str) -> None:
        """Forget a claim whose request failed in a way worth retrying."""
        IdempotencyRecord.objects.filter(
            customer_id=customer_id, key=key, status_code__isnull=True
        ).delete()

    def purge(self, now: datetime) -> int:
        deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=now - KEEP_FOR).delete()
        return deleted
