"""Refunds in the database: their rows, and the returned units of the lines they give
back (``shop_order_line.returned``, checked against the units bought by a constraint).
The order's refund counters go with the order's own update (orders.save)."""

from __future__ import annotations

from datetime import datetime

from adapters.persistence import mappers
from adapters.persistence import models as m
from adapters.persistence.repositories import sql
from adapters.persistence.write_batch import Statement, WriteBatch
from shop_domain.ids import OrderId, RefundId
from shop_domain.order import Order
from shop_domain.refund import Refund


class DjangoRefundRepository:
    def __init__(self, batch: WriteBatch):
        self._batch = batch

    def add(self, refund: Refund, order: Order) -> None:
        row = {
            "id": refund.id,
            "order": refund.order_id,
            "payment": refund.payment_id,
            "provider": refund.provider,
            "amount": refund.amount.amount,
            "currency": refund.amount.currency,
            "status": refund.status.value,
            "reason": refund.reason,
            "lines": mappers.refund_lines_json(refund),
            "delivery": refund.delivery,
            "external_ref": refund.external_ref,
            "created_at": refund.created_at,
            "completed_at": refund.completed_at,
        }
        lines = self._returned(refund, order)
        self._batch.write(
            sql.insert_sql(m.Refund, [row]),
            *([lines] if lines else []),
            rows=sql.rows_of(m.Refund, [refund.id])
            | sql.rows_of(m.OrderLine, [ln.line_id for ln in refund.lines]),
        )

    def _returned(self, refund: Refund, order: Order) -> Statement | None:
        """One UPDATE setting the returned units of the refund's lines, as the locked
        order counts them (the constraint refuses more than were bought)."""
        if not refund.lines:
            return None
        cases, params, ids = [], [], []
        for ln in refund.lines:
            cases.append("WHEN %s THEN %s")
            params += [sql.db(ln.line_id), order.returned(ln.line_id)]
            ids.append(sql.db(ln.line_id))
        table = m.OrderLine._meta.db_table
        marks = ", ".join(["%s"] * len(ids))
        return (
            f"UPDATE {table} SET returned = CASE id {' '.join(cases)} END WHERE id IN ({marks})",
            [*params, *ids],
        )

    def save(self, refund: Refund, order: Order) -> None:
        self._batch.write(
            sql.update_sql(
                m.Refund,
                refund.id,
                status=refund.status.value,
                external_ref=refund.external_ref,
                completed_at=refund.completed_at,
            ),
            rows=sql.rows_of(m.Refund, [refund.id]),
        )

    def order_of(self, refund_id: RefundId) -> OrderId | None:
        self._batch.read()
        found = m.Refund.objects.filter(pk=refund_id).values_list("order_id", flat=True).first()
        return OrderId(found) if found else None

    def find_by_external_ref(self, provider: str, external_ref: str) -> RefundId | None:
        if not external_ref:
            return None
        self._batch.read()
        found = (
            m.Refund.objects.filter(provider=provider, external_ref=external_ref)
            .values_list("id", flat=True)
            .first()
        )
        return RefundId(found) if found else None

    def pending_between(self, start: datetime, end: datetime, limit: int) -> list[RefundId]:
        self._batch.read()
        found = (
            m.Refund.objects.filter(status="pending", created_at__gte=start, created_at__lt=end)
            .order_by("created_at")
            .values_list("id", flat=True)[:limit]
        )
        return [RefundId(i) for i in found]


def refunds_of(order_ids: list[OrderId]) -> dict[OrderId, list[object]]:
    """The refund rows of these orders, oldest first, in one query."""
    out: dict[OrderId, list[object]] = {i: [] for i in order_ids}
    if not order_ids:
        return out
    marks = ", ".join(["%s"] * len(order_ids))
    rows = sql.raw(
        m.Refund, f"order_id IN ({marks})", [sql.db(i) for i in order_ids],
        tail="ORDER BY created_at, id",
    )  # fmt: skip
    for row in rows:
        out[OrderId(row.order_id)].append(row)
    return out
