"""Orders and their lines in the database."""

from __future__ import annotations

from typing import Any

from django.db import connection

from adapters.persistence import mappers
from adapters.persistence import models as m
from adapters.persistence.repositories import sql
from adapters.persistence.repositories.payments import DjangoPaymentRepository
from adapters.persistence.repositories.refunds import refunds_of
from adapters.persistence.write_batch import WriteBatch
from shop_app.ports.paging import Page, PageRequest
from shop_domain.ids import CustomerId, OrderId
from shop_domain.order import Order, OrderStatus
from shop_domain.payment import Payment


class DjangoOrderRepository:
    def __init__(self, batch: WriteBatch):
        self._batch = batch

    def add(self, order: Order) -> None:
        row = {
            "id": order.id,
            "customer": order.customer_id,
            "status": order.status.value,
            "payment_method": order.payment_method.value,
            "total": order.total.amount,
            "currency": order.total.currency,
            "created_at": order.created_at,
            "paid_at": order.paid_at,
            "paid_by": order.paid_by,
        }
        # Columns at their database defaults are left out: the Part 1 order's statement
        # keeps its few parameters (psycopg caches the parse of statements of at most 50;
        # the order and its lines share one statement with the bucket's changes).
        if order.delivery is not None:
            row |= mappers.delivery_fields(order.delivery)
        if order.fulfilment is not None:
            row |= mappers.fulfilment_fields(order.fulfilment)
        if order.refund_account:
            row["refund_account"] = order.refund_account
        lines = [
            {
                "id": ln.id,
                "order": order.id,
                "product": ln.product_id,
                "product_name": ln.product_name,
                "quantity": ln.quantity,
                "unit_price": ln.unit_price.amount,
                "position": i,
            }
            for i, ln in enumerate(order.lines)
        ]
        self._batch.write(
            sql.insert_sql(m.Order, [row]),
            *([sql.insert_sql(m.OrderLine, lines)] if lines else []),
            rows=sql.rows_of(m.Order, [order.id])
            | sql.rows_of(m.OrderLine, [ln["id"] for ln in lines]),
        )

    def get(
        self,
        order_id: OrderId,
        *,
        customer_id: CustomerId | None = None,
        for_update: bool = False,
    ) -> Order | None:
        self._batch.read(lock=for_update)
        # The lines with their order's columns joined (an order always has lines); only
        # the order row is locked, lines never change.
        where, params = "l.order_id = %s", [sql.db(order_id)]
        if customer_id is not None:
            where, params = where + " AND o.customer_id = %s", [*params, sql.db(customer_id)]
        query = (
            f"SELECT {sql.columns(m.OrderLine, 'l')}, {sql.columns(m.Order, 'o')} "
            f"FROM {m.OrderLine._meta.db_table} l "
            f"JOIN {m.Order._meta.db_table} o ON o.id = l.order_id WHERE {where} ORDER BY l.position"
        )
        if for_update and connection.features.has_select_for_update:
            query += f" {sql.lock_clause()} OF o"
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            rows = cursor.fetchall()
        return _order_of(order_id, rows) if rows else None

    def lock_with_latest_payment(
        self, order_id: OrderId, *, customer_id: CustomerId | None = None
    ) -> tuple[Order, Payment | None] | None:
        if connection.vendor != "postgresql":
            order = self.get(order_id, customer_id=customer_id, for_update=True)
            if order is None:
                return None
            return order, DjangoPaymentRepository(self._batch).latest_for(order_id, for_update=True)
        self._batch.read(lock=True)
        # One statement: the order locked first (the payment's subquery reads its id from
        # the locked row), then its latest payment, then the lines with both joined.
        where, params = "id = %s", [sql.db(order_id)]
        if customer_id is not None:
            where, params = where + " AND customer_id = %s", [*params, sql.db(customer_id)]
        lock = sql.lock_clause()
        query = (
            f"WITH o AS MATERIALIZED (SELECT {sql.columns(m.Order)} "
            f"FROM {m.Order._meta.db_table} WHERE {where} {lock}), "
            f"p AS MATERIALIZED (SELECT {sql.columns(m.Payment)} FROM {m.Payment._meta.db_table} "
            f"WHERE order_id = (SELECT id FROM o) ORDER BY seq DESC LIMIT 1 {lock}) "
            f"SELECT {sql.columns(m.OrderLine, 'l')}, {sql.columns(m.Order, 'o')}, "
            f"{sql.columns(m.Payment, 'p')} FROM {m.OrderLine._meta.db_table} l "
            "JOIN o ON o.id = l.order_id LEFT JOIN p ON TRUE ORDER BY l.position"
        )
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            rows = cursor.fetchall()
        if not rows:
            return None
        split = len(m.OrderLine._meta.concrete_fields) + len(m.Order._meta.concrete_fields)
        payment_row = rows[0][split:]
        payment = None
        if payment_row[0] is not None:  # its id: NULL when the order has no payment yet
            payment = mappers.payment_from_row(sql.read(m.Payment, payment_row))
        return _order_of(order_id, [r[:split] for r in rows]), payment

    def save(self, order: Order) -> None:
        self._batch.write(
            sql.update_sql(
                m.Order,
                order.id,
                status=order.status.value,
                payment_method=order.payment_method.value,
                paid_at=order.paid_at,
                paid_by=order.paid_by,
                **mappers.fulfilment_fields(order.fulfilment),
                **self._refund_counters(order),
            ),
            rows=sql.rows_of(m.Order, [order.id]),
        )

    @staticmethod
    def _refund_counters(order: Order) -> dict[str, object]:
        """The refund counters of an order that has refunds (the constraints check them)."""
        if not order.refunds:
            return {}
        return {
            "refund_held": order.refund_held.amount,
            "refunded": order.refunded.amount,
            "refund_count": len(order.refunds),
        }

    def list(
        self,
        page: PageRequest,
        *,
        customer_id: CustomerId | None = None,
        status: OrderStatus | None = None,
        shipped: bool | None = None,
    ) -> Page[Order]:
        self._batch.read()
        q = m.Order.objects.all()
        if customer_id is not None:
            q = q.filter(customer_id=customer_id)
        order = ("-created_at", "-id")
        counted = None
        if status is not None:
            q = q.filter(status=status.value)
            if status.value in m.RARE_ORDER_STATUSES and connection.vendor == "postgresql":
                # A rare status: its orders by the index of shop_order_rare_status
                # (kept by triggers), not by walking every order for the few.
                q = q.filter(rare_status__status=status.value)
                order = ("-rare_status__created_at", "-rare_status__order")
                if customer_id is None and shipped is None:
                    # Counted from that table alone (an index-only scan): the triggers
                    # keep it exactly the orders in the status.
                    counted = m.OrderRareStatus.objects.filter(status=status.value)
        if shipped is not None:
            q = q.filter(shipped_at__isnull=not shipped)
        q = q.order_by(*order).prefetch_related("lines")
        rows, count = sql.page_with_count(q, page, counted)
        # One query for the refunds of the whole page, and none when it has none.
        refunds = refunds_of([OrderId(r.id) for r in rows if r.refund_count])
        return Page(
            [
                mappers.order_from_row(r, list(r.lines.all()), refunds.get(OrderId(r.id), []))
                for r in rows
            ],
            count,
        )


def _order_of(order_id: OrderId, rows: list[Any]) -> Order:
    """The order from its lines' rows, each with the order's columns after the line's."""
    split = len(m.OrderLine._meta.concrete_fields)
    lines = sql.read_all(m.OrderLine, (row[:split] for row in rows))
    order = sql.read(m.Order, rows[0][split:])
    # Refunds cost a query only for an order that has any (its counter says so).
    refunds = refunds_of([order_id])[order_id] if order.refund_count else []
    return mappers.order_from_row(order, lines, refunds)
