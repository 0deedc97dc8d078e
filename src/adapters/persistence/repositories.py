"""Django ORM repositories. Reads that precede a change lock their rows
(``select_for_update``); every write is one statement, however many rows."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import Count, Q, Window

from adapters.persistence import mappers, write_behind
from adapters.persistence import models as m
from adapters.persistence.auth_backend import forget_user
from adapters.persistence.write_behind import Row, Statement
from shop_app.ports.paging import Page, PageRequest
from shop_app.ports.repositories import ProductFilter
from shop_domain.bucket import BucketLine
from shop_domain.customer import Customer, fold_username
from shop_domain.errors import ProductAlreadyInBucket, UsernameOrEmailTaken
from shop_domain.ids import BucketLineId, CustomerId, OrderId, PaymentId, ProductId
from shop_domain.money import Money
from shop_domain.order import Order, OrderStatus
from shop_domain.payment import OPEN as OPEN_STATUSES
from shop_domain.payment import Payment
from shop_domain.product import Product

_PRODUCT_ORDERING = {"name": "name", "-name": "-name", "price": "price", "-price": "-price"}


def _no_key() -> bool:
    return bool(connection.features.has_select_for_no_key_update)


def _lock_clause() -> str:
    """We lock rows to change their counters and statuses, never their keys: NO KEY
    UPDATE lets other transactions insert rows that refer to them (a bucket line's
    foreign-key check takes KEY SHARE) instead of queueing behind every stock change."""
    return "FOR NO KEY UPDATE" if _no_key() else "FOR UPDATE"


def _readers(model: type[Any]) -> list[tuple[str, list[Any], Any]]:
    """Per column of ``model``: its attribute name and Django's converters from the
    database's value (decimals, UUIDs and datetimes on SQLite, JSON everywhere)."""
    wrapper = connections[DEFAULT_DB_ALIAS]  # this thread's own, not the shared proxy
    cache = wrapper.__dict__.setdefault("_shop_readers", {})
    readers = cache.get(model)
    if readers is None:
        readers = cache[model] = []
        for field in model._meta.concrete_fields:
            column = field.get_col(model._meta.db_table)
            found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
            readers.append((field.attname, found, column))
    return readers


def _columns(model: type[Any], alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + field.column for field in model._meta.concrete_fields)


def _read_all(model: type[Any], rows: Iterable[Iterable[Any]]) -> list[SimpleNamespace]:
    """Rows as objects with the model's attribute names, converted as Django would,
    without model instances (their init and signals cost more than the query here)."""
    readers, out = _readers(model), []
    for values in rows:
        row = {}
        for (name, converters, column), value in zip(readers, values, strict=False):
            for convert in converters:
                value = convert(value, column, connection)
            row[name] = value
        out.append(SimpleNamespace(**row))
    return out


def _read(model: type[Any], values: Iterable[Any]) -> SimpleNamespace:
    return _read_all(model, [values])[0]


def _raw(
    model: type[Any], where: str, params: list[Any], *, tail: str = "", lock: bool = False
) -> list[Any]:
    """Rows of ``model`` by a hand-written WHERE clause (the hot, locked reads skip the
    ORM's query compiler). ``params`` are already in database form (see ``_db``)."""
    sql = f"SELECT {_columns(model)} FROM {model._meta.db_table} WHERE {where} {tail}"
    if lock and connection.features.has_select_for_update:
        sql += f" {_lock_clause()}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _read_all(model, cursor.fetchall())


def _prep(model: type[Any], values: dict[str, Any]) -> tuple[list[str], list[Any]]:
    columns, params = [], []
    for name, value in values.items():
        field = model._meta.get_field(name)
        columns.append(field.column)
        params.append(field.get_db_prep_save(value, connection))
    return columns, params


def _insert_sql(model: type[Any], rows: list[dict[str, Any]]) -> Statement:
    """INSERT these rows in one statement (every row has the same keys)."""
    prepared = [_prep(model, row) for row in rows]
    columns = prepared[0][0]
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    return (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"VALUES {', '.join([one] * len(rows))}",
        [param for _, params in prepared for param in params],
    )


def _update_sql(model: type[Any], pk: Any, **values: Any) -> Statement:
    """UPDATE one row by primary key."""
    columns, params = _prep(model, values)
    return (
        f"UPDATE {model._meta.db_table} SET {', '.join(c + ' = %s' for c in columns)} "
        "WHERE id = %s",
        [*params, _db(pk)],
    )


def _execute(*statements: Statement, rows: Iterable[Row] = (), now: bool = False) -> None:
    """Run these writes, which change ``rows``: held back by an open unit of work (see
    write_behind) unless ``now`` (when the caller needs the database's verdict at once),
    and on PostgreSQL sent as one statement, however many."""
    writes = None if now else write_behind.current()
    if writes is not None:
        writes.hold(statements, set(rows))
        return
    if connection.vendor == "postgresql":
        statements = (write_behind.combined(list(statements)),)
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)


def _rows(model: type[Any], ids: Iterable[Any]) -> set[Row]:
    return {(model._meta.db_table, str(i)) for i in ids}


def _insert(model: type[Any], rows: list[dict[str, Any]], *, now: bool = False) -> None:
    if rows:
        ids = [row["id"] for row in rows if "id" in row]
        _execute(_insert_sql(model, rows), rows=_rows(model, ids), now=now)


def _update(model: type[Any], pk: Any, **values: Any) -> None:
    _execute(_update_sql(model, pk, **values), rows=_rows(model, [pk]))


def _page_with_count(q: Any, page: PageRequest) -> tuple[list[Any], int]:
    """One page and the total in one statement (a window count on every row); a second
    query only when the page is past the end."""
    rows = list(q.annotate(_total=Window(Count("pk")))[page.offset : page.offset + page.size])
    if rows:
        return rows, rows[0]._total
    return rows, (0 if page.offset == 0 else q.count())


def _db(value: Any) -> Any:
    """A UUID as the database takes it (a uuid on PostgreSQL, hex text on SQLite)."""
    return m.Product._meta.pk.get_db_prep_value(value, connection)


class DjangoCustomerRepository:
    def add(self, customer: Customer) -> None:
        try:
            with transaction.atomic():
                m.Customer.objects.create(id=customer.id, **mappers.customer_fields(customer))
        except IntegrityError:
            raise UsernameOrEmailTaken() from None

    def get(self, customer_id: CustomerId) -> Customer | None:
        row = m.Customer.objects.filter(pk=customer_id).first()
        return mappers.customer_from_row(row) if row else None

    def get_by_username(self, username: str) -> Customer | None:
        # One folding (the domain's) for look-up and uniqueness, on every database: a
        # spelling reaches the account whose folded name it shares, and no other.
        key = fold_username(username)
        row = m.Customer.objects.filter(username_key=key, is_active=True).first()
        return mappers.customer_from_row(row) if row else None

    def taken(self, *, username: str, email: str, exclude: CustomerId | None = None) -> bool:
        """A friendly early answer only: the unique index on ``username_key`` decides,
        and ``add``/``save`` turn its refusal of a concurrent duplicate into 2001."""
        key = fold_username(username)
        q = m.Customer.objects.filter(Q(username_key=key) | Q(email__iexact=email))
        if exclude is not None:
            q = q.exclude(pk=exclude)
        return q.exists()

    def save(self, customer: Customer) -> None:
        try:
            with transaction.atomic():
                m.Customer.objects.filter(pk=customer.id).update(
                    **mappers.customer_fields(customer)
                )
        except IntegrityError:
            raise UsernameOrEmailTaken() from None
        # A changed password must end other sessions at once: drop the cached login now,
        # and again after commit in case a concurrent request cached the old row.
        forget_user(customer.id)
        transaction.on_commit(lambda: forget_user(customer.id))


class DjangoProductRepository:
    def __init__(self, currency: str):
        self._currency = currency

    def _entity(self, row: m.Product) -> Product:
        return mappers.product_from_row(row, self._currency)

    def add(self, product: Product) -> None:
        m.Product.objects.create(id=product.id, **mappers.product_fields(product))

    def get(self, product_id: ProductId) -> Product | None:
        row = m.Product.objects.filter(pk=product_id).first()
        return self._entity(row) if row else None

    def lock(self, product_ids: Iterable[ProductId]) -> dict[ProductId, Product]:
        ids = sorted(set(product_ids))
        if not ids:
            return {}
        marks = ", ".join(["%s"] * len(ids))
        rows = _raw(
            m.Product, f"id IN ({marks})", [_db(i) for i in ids], tail="ORDER BY id", lock=True
        )
        return {ProductId(r.id): self._entity(r) for r in rows}

    def save(self, products: Iterable[Product]) -> None:
        products = list(products)
        if len(products) == 1:
            p = products[0]
            m.Product.objects.filter(pk=p.id).update(**mappers.product_fields(p))
        elif products:
            rows = [m.Product(id=p.id, **mappers.product_fields(p)) for p in products]
            m.Product.objects.bulk_update(rows, list(mappers.product_fields(products[0])))

    def save_stock(self, products: Iterable[Product]) -> None:
        rows = [(p.id, p.stock, p.reserved) for p in products]
        if len(rows) == 1:
            pid, stock, reserved = rows[0]
            _update(m.Product, pid, stock=stock, reserved=reserved)
        elif rows and connection.vendor == "postgresql":
            values = ", ".join(["(%s::uuid, %s, %s)"] * len(rows))
            _execute(
                (
                    f"UPDATE {m.Product._meta.db_table} AS p "
                    "SET stock = v.stock, reserved = v.reserved "
                    f"FROM (VALUES {values}) AS v(id, stock, reserved) WHERE p.id = v.id",
                    [
                        value
                        for pid, stock, reserved in rows
                        for value in (str(pid), stock, reserved)
                    ],
                ),
                rows=_rows(m.Product, [pid for pid, _, _ in rows]),
            )
        elif rows:
            m.Product.objects.bulk_update(
                [
                    m.Product(id=pid, stock=stock, reserved=reserved)
                    for pid, stock, reserved in rows
                ],
                ["stock", "reserved"],
            )

    def names(self, product_ids: Iterable[ProductId]) -> dict[ProductId, str]:
        rows = m.Product.objects.filter(pk__in=list(product_ids)).values_list("id", "name")
        return {ProductId(pid): name for pid, name in rows}

    def list(self, filter: ProductFilter, page: PageRequest) -> Page[Product]:
        # The catalog page is the busiest read: hand-written SQL, rows straight to
        # entities (the ORM's query compiler and model instances cost more than the query).
        where, params = ["TRUE" if connection.vendor == "postgresql" else "1"], []
        if filter.active_only:
            where.append("active = %s")
            params.append(True)
        if filter.name:
            name = connection.ops.lookup_cast("icontains") % "name"
            where.append(f"{name} {connection.operators['icontains'] % '%s'}")
            params.append(f"%{connection.ops.prep_for_like_query(filter.name)}%")
        if filter.product_type:
            where.append("product_type = %s")
            params.append(filter.product_type)
        field = _PRODUCT_ORDERING.get(filter.ordering, "name")
        order = f"{field.lstrip('-')} {'DESC' if field.startswith('-') else 'ASC'}, id ASC"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {_columns(m.Product)}, COUNT(*) OVER () FROM {m.Product._meta.db_table} "
                f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT %s OFFSET %s",
                [*params, page.size, page.offset],
            )
            rows = cursor.fetchall()
        if rows:
            count = rows[0][-1]
        elif page.offset == 0:
            count = 0
        else:  # past the last page: the total still comes from a count
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT COUNT(*) FROM {m.Product._meta.db_table} WHERE {' AND '.join(where)}",
                    params,
                )
                count = cursor.fetchone()[0]
        return Page([self._entity(r) for r in _read_all(m.Product, rows)], count)


class DjangoBucketRepository:
    def __init__(self, currency: str):
        self._currency = currency

    def _entity(self, row: m.BucketLine) -> BucketLine:
        return mappers.line_from_row(row, self._currency)

    def add(self, line: BucketLine) -> None:
        # No savepoint: a duplicate aborts the whole unit of work, which is what the
        # use case wants (nothing it did before may stay), and saves two statements.
        try:
            _insert(m.BucketLine, [mappers.line_fields(line)], now=True)
        except IntegrityError:
            raise ProductAlreadyInBucket() from None

    def hold_new_line(
        self,
        *,
        line_id: BucketLineId,
        customer_id: CustomerId,
        product_id: ProductId,
        quantity: int,
        until: datetime,
        within: Money,
    ) -> tuple[BucketLine, Product] | None:
        line = BucketLine.holding(
            id=line_id,
            customer_id=customer_id,
            product_id=product_id,
            quantity=quantity,
            unit_price=Money(0, self._currency),  # the product's price, set below
            until=until,
        )
        if connection.vendor != "postgresql":
            return self._hold_new_line_locked(line, within)
        columns, params = _prep(m.BucketLine, mappers.line_fields(line))
        fixed = [p for c, p in zip(columns, params, strict=True) if c != "unit_price"]
        sql = (
            # One statement, atomic by itself: the product row is locked by the UPDATE
            # only while the statement runs; no line unless the units were reserved (the
            # condition is Product.can_hold's), and only while the bucket's total stays
            # within the money the shop can hold (bucket.ensure_line_fits's condition).
            f"WITH p AS (UPDATE {m.Product._meta.db_table} SET reserved = reserved + %s "
            "WHERE id = %s AND active AND stock - reserved >= %s "
            "AND price * %s + (SELECT COALESCE(SUM(b.unit_price * b.quantity), 0) "
            f"FROM {m.BucketLine._meta.db_table} b WHERE b.customer_id = %s) <= %s "
            f"RETURNING {_columns(m.Product)}), "
            f"line AS (INSERT INTO {m.BucketLine._meta.db_table} ({', '.join(columns)}) "
            f"SELECT {', '.join('p.price' if c == 'unit_price' else '%s' for c in columns)} "
            "FROM p RETURNING 1) "
            f"SELECT {_columns(m.Product, 'p')} FROM p, line"
        )
        # Inside a caller's transaction (tests run in one), a savepoint keeps a duplicate
        # from aborting it; on its own the statement needs none.
        guard = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
        try:
            with guard, connection.cursor() as cursor:
                cursor.execute(
                    sql,
                    [
                        quantity, _db(product_id), quantity,
                        quantity, _db(customer_id), within.amount,
                        *fixed,
                    ],
                )  # fmt: skip
                row = cursor.fetchone()
        except IntegrityError:
            raise ProductAlreadyInBucket() from None
        if row is None:
            return None
        product = mappers.product_from_row(_read(m.Product, row), self._currency)
        line.unit_price = product.price
        return line, product

    def _hold_new_line_locked(
        self, line: BucketLine, within: Money
    ) -> tuple[BucketLine, Product] | None:
        """The same in a short transaction of its own (SQLite has no writing CTEs)."""
        products = DjangoProductRepository(self._currency)
        with transaction.atomic():
            product = products.lock([line.product_id]).get(line.product_id)
            if product is None or not product.can_hold(line.quantity):
                return None
            others = [ln.value for ln in self.list_for(line.customer_id)]
            if within < product.price * line.quantity + Money.total(others, within.currency):
                return None
            product.reserve(line.quantity)
            line.unit_price = product.price
            self.add(line)
            products.save_stock([product])
        return line, product

    def get(
        self, line_id: BucketLineId, customer_id: CustomerId, *, for_update: bool = False
    ) -> BucketLine | None:
        q = m.BucketLine.objects.filter(pk=line_id, customer_id=customer_id)
        if for_update:
            q = q.select_for_update(no_key=_no_key())
        row = q.first()
        return self._entity(row) if row else None

    def find(self, customer_id: CustomerId, product_id: ProductId) -> BucketLine | None:
        row = m.BucketLine.objects.filter(customer_id=customer_id, product_id=product_id).first()
        return self._entity(row) if row else None

    def list_for(self, customer_id: CustomerId, *, for_update: bool = False) -> list[BucketLine]:
        rows = _raw(
            m.BucketLine, "customer_id = %s", [_db(customer_id)], tail="ORDER BY created_at, id",
            lock=for_update,
        )  # fmt: skip
        return [self._entity(r) for r in rows]

    def lock_with_products(
        self, customer_id: CustomerId
    ) -> tuple[list[BucketLine], dict[ProductId, Product]]:
        products = DjangoProductRepository(self._currency)
        if connection.vendor != "postgresql":  # SQLite (one writer at a time): two reads
            lines = self.list_for(customer_id, for_update=True)
            return lines, products.lock({line.product_id for line in lines})
        # One statement, the locks in the order of the two reads it replaces: every line
        # (the products' IN needs all of them first), then the products, sorted by id
        # before they are locked (the lock sits above the sort).
        line_table, product_table = m.BucketLine._meta.db_table, m.Product._meta.db_table
        lock = _lock_clause()
        sql = (
            f"WITH l AS MATERIALIZED (SELECT {_columns(m.BucketLine)} FROM {line_table} "
            f"WHERE customer_id = %s ORDER BY created_at, id {lock}), "
            f"p AS MATERIALIZED (SELECT {_columns(m.Product)} FROM {product_table} "
            f"WHERE id IN (SELECT product_id FROM l) ORDER BY id {lock}) "
            f"SELECT {_columns(m.BucketLine, 'l')}, {_columns(m.Product, 'p')} "
            "FROM l JOIN p ON p.id = l.product_id ORDER BY l.created_at, l.id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [_db(customer_id)])
            rows = cursor.fetchall()
        split = len(m.BucketLine._meta.concrete_fields)
        lines = [self._entity(r) for r in _read_all(m.BucketLine, (row[:split] for row in rows))]
        found = [products._entity(r) for r in _read_all(m.Product, (row[split:] for row in rows))]
        return lines, {p.id: p for p in found}

    def save(self, lines: Iterable[BucketLine]) -> None:
        rows = [mappers.line_row(line) for line in lines]
        fields = ["quantity", "unit_price", "reserved", "reserved_until"]
        if len(rows) == 1:
            row = rows[0]
            m.BucketLine.objects.filter(pk=row.pk).update(**{f: getattr(row, f) for f in fields})
        elif rows:
            m.BucketLine.objects.bulk_update(rows, fields)

    def remove(self, line_ids: Iterable[BucketLineId]) -> None:
        ids = [_db(i) for i in line_ids]
        if ids:
            marks = ", ".join(["%s"] * len(ids))
            _execute(
                (f"DELETE FROM {m.BucketLine._meta.db_table} WHERE id IN ({marks})", ids),
                rows=_rows(m.BucketLine, ids),
            )

    def lapsed(
        self, now: datetime, limit: int, product_ids: Iterable[ProductId] | None = None
    ) -> list[BucketLine]:
        q = m.BucketLine.objects.filter(reserved__gt=0, reserved_until__lte=now)
        if product_ids is not None:
            q = q.filter(product_id__in=list(product_ids))
        q = q.select_for_update(skip_locked=True, no_key=_no_key()).order_by("reserved_until")[
            :limit
        ]
        return [self._entity(r) for r in q]


class DjangoOrderRepository:
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
        _execute(
            _insert_sql(m.Order, [row]),
            *([_insert_sql(m.OrderLine, lines)] if lines else []),
            rows=_rows(m.Order, [order.id]) | _rows(m.OrderLine, [ln["id"] for ln in lines]),
        )

    def get(
        self,
        order_id: OrderId,
        *,
        customer_id: CustomerId | None = None,
        for_update: bool = False,
    ) -> Order | None:
        # One round trip: the lines with their order's columns joined (an order always
        # has lines); only the order row is locked, lines never change.
        where, params = "l.order_id = %s", [_db(order_id)]
        if customer_id is not None:
            where, params = where + " AND o.customer_id = %s", [*params, _db(customer_id)]
        sql = (
            f"SELECT {_columns(m.OrderLine, 'l')}, {_columns(m.Order, 'o')} "
            f"FROM {m.OrderLine._meta.db_table} l "
            f"JOIN {m.Order._meta.db_table} o ON o.id = l.order_id WHERE {where} ORDER BY l.position"
        )
        if for_update and connection.features.has_select_for_update:
            sql += f" {_lock_clause()} OF o"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows:
            return None
        split = len(m.OrderLine._meta.concrete_fields)
        lines = _read_all(m.OrderLine, (row[:split] for row in rows))
        order = _read(m.Order, rows[0][split:])
        return mappers.order_from_row(order, lines)

    def save(self, order: Order) -> None:
        _update(
            m.Order,
            order.id,
            status=order.status.value,
            payment_method=order.payment_method.value,
            paid_at=order.paid_at,
            paid_by=order.paid_by,
        )

    def list(
        self,
        page: PageRequest,
        *,
        customer_id: CustomerId | None = None,
        status: OrderStatus | None = None,
    ) -> Page[Order]:
        q = m.Order.objects.all()
        if customer_id is not None:
            q = q.filter(customer_id=customer_id)
        if status is not None:
            q = q.filter(status=status.value)
        q = q.order_by("-created_at", "-id").prefetch_related("lines")
        rows, count = _page_with_count(q, page)
        return Page([mappers.order_from_row(r, list(r.lines.all())) for r in rows], count)


class DjangoPaymentRepository:
    def add(self, payment: Payment) -> None:
        row = _insert_sql(
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
        _execute(row, *self._history(payment), rows=_rows(m.Payment, [payment.id]))

    def _history(self, payment: Payment) -> list[Statement]:
        """The INSERT of the history entries not written yet (they count as written)."""
        if not payment.history:
            return []
        events = _insert_sql(m.PaymentEvent, mappers.event_fields(payment, payment.history))
        payment.history.clear()  # the next save appends only what is new
        return [events]

    def get(self, payment_id: PaymentId, *, for_update: bool = False) -> Payment | None:
        rows = _raw(m.Payment, "id = %s", [_db(payment_id)], lock=for_update)
        return mappers.payment_from_row(rows[0]) if rows else None

    def latest_for(self, order_id: OrderId, *, for_update: bool = False) -> Payment | None:
        rows = _raw(
            m.Payment, "order_id = %s", [_db(order_id)], tail="ORDER BY seq DESC LIMIT 1",
            lock=for_update,
        )  # fmt: skip
        return mappers.payment_from_row(rows[0]) if rows else None

    def find_by_external_ref(
        self, provider: str, external_ref: str, *, for_update: bool = False
    ) -> Payment | None:
        if not external_ref:
            return None
        rows = _raw(
            m.Payment, "provider = %s AND external_ref = %s", [provider, external_ref],
            tail="ORDER BY seq DESC LIMIT 1", lock=for_update,
        )  # fmt: skip
        return mappers.payment_from_row(rows[0]) if rows else None

    def save(self, payment: Payment) -> None:
        row = _update_sql(
            m.Payment,
            payment.id,
            status=payment.status.value,
            external_ref=payment.external_ref,
            next_action=payment.next_action,
        )
        _execute(row, *self._history(payment), rows=_rows(m.Payment, [payment.id]))

    def note_reply(
        self, payment_id: PaymentId, *, external_ref: str, next_action: dict[str, Any] | None
    ) -> Payment | None:
        action = m.Payment._meta.get_field("next_action").get_db_prep_save(next_action, connection)
        open_now = sorted(status.value for status in OPEN_STATUSES)
        marks = ", ".join(["%s"] * len(open_now))
        sets = [f"next_action = CASE WHEN status IN ({marks}) THEN %s ELSE next_action END"]
        params = [*open_now, action]
        if external_ref:
            sets, params = [*sets, "external_ref = %s"], [*params, external_ref]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {m.Payment._meta.db_table} SET {', '.join(sets)} WHERE id = %s "
                f"RETURNING {_columns(m.Payment)}",
                [*params, _db(payment_id)],
            )
            row = cursor.fetchone()
        return mappers.payment_from_row(_read(m.Payment, row)) if row else None
