"""A provider's pending reply noted on its payment, atomic by itself (the
PaymentReplies port): one UPDATE, its own transaction."""

from __future__ import annotations

from typing import Any

from django.db import connection

from adapters.persistence import mappers
from adapters.persistence import models as m
from adapters.persistence.repositories import sql
from shop_domain.ids import PaymentId
from shop_domain.payment import OPEN as OPEN_STATUSES
from shop_domain.payment import Payment


class DjangoPaymentReplies:
    def note_reply(
        self, payment_id: PaymentId, *, external_ref: str, next_action: dict[str, Any] | None
    ) -> Payment | None:
        action = m.Payment._meta.get_field("next_action").get_db_prep_save(next_action, connection)
        # Payment.is_open, in SQL: a notification may have settled the payment meanwhile.
        open_now = sorted(status.value for status in OPEN_STATUSES)
        marks = ", ".join(["%s"] * len(open_now))
        sets = [f"next_action = CASE WHEN status IN ({marks}) THEN %s ELSE next_action END"]
        params = [*open_now, action]
        if external_ref:
            sets, params = [*sets, "external_ref = %s"], [*params, external_ref]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {m.Payment._meta.db_table} SET {', '.join(sets)} WHERE id = %s "
                f"RETURNING {sql.columns(m.Payment)}",
                [*params, sql.db(payment_id)],
            )
            row = cursor.fetchone()
        return mappers.payment_from_row(sql.read(m.Payment, row)) if row else None
