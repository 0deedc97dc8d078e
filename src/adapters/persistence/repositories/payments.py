"""Payment attempts and their history in the database."""

from __future__ import annotations

import time

from adapters.persistence import mappers
from adapters.persistence import models as m
from adapters.persistence.repositories import sql
from adapters.persistence.write_batch import Statement, WriteBatch
from shop_domain.ids import OrderId, PaymentId
from shop_domain.payment import Payment


class DjangoPaymentRepository:
    def __init__(self, batch: WriteBatch):
        self._batch = batch

    def add(self, payment: Payment) -> None:
        row = sql.insert_sql(
            m.Payment,
            [
                {
                    "id": payment.id,
                    "order": payment.order_id,
                    "customer": payment.customer_id,
                    "method": payment.method.value,
                    "provider": payment.provider,
                    "amount": payment.amount.amount,
                    "currency": payment.amount.currency,
                    "status": payment.status.value,
                    "external_ref": payment.external_ref,
                    "next_action": payment.next_action,
                    "created_at": payment.created_at,
                    "seq": time.time_ns(),
                }
            ],
        )
        self._batch.write(row, *self._history(payment), rows=sql.rows_of(m.Payment, [payment.id]))

    def _history(self, payment: Payment) -> list[Statement]:
        """The INSERT of the history entries not written yet (they count as written)."""
        if not payment.history:
            return []
        events = sql.insert_sql(m.PaymentEvent, mappers.event_fields(payment, payment.history))
        payment.history.clear()  # the next save appends only what is new
        return [events]

    def get(self, payment_id: PaymentId, *, for_update: bool = False) -> Payment | None:
        self._batch.read(lock=for_update)
        rows = sql.raw(m.Payment, "id = %s", [sql.db(payment_id)], lock=for_update)
        return mappers.payment_from_row(rows[0]) if rows else None

    def latest_for(self, order_id: OrderId, *, for_update: bool = False) -> Payment | None:
        self._batch.read(lock=for_update)
        rows = sql.raw(
            m.Payment, "order_id = %s", [sql.db(order_id)], tail="ORDER BY seq DESC LIMIT 1",
            lock=for_update,
        )  # fmt: skip
        return mappers.payment_from_row(rows[0]) if rows else None

    def find_by_external_ref(
        self, provider: str, external_ref: str, *, for_update: bool = False
    ) -> Payment | None:
        if not external_ref:
            return None
        self._batch.read(lock=for_update)
        rows = sql.raw(
            m.Payment, "provider = %s AND external_ref = %s", [provider, external_ref],
            tail="ORDER BY seq DESC LIMIT 1", lock=for_update,
        )  # fmt: skip
        return mappers.payment_from_row(rows[0]) if rows else None

    def save(self, payment: Payment) -> None:
        row = sql.update_sql(
            m.Payment,
            payment.id,
            status=payment.status.value,
            external_ref=payment.external_ref,
            next_action=payment.next_action,
        )
        self._batch.write(row, *self._history(payment), rows=sql.rows_of(m.Payment, [payment.id]))
