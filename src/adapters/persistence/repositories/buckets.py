"""Bucket lines in the database. The product rows they hold stock on are the product
repository's (and the stock holds') to write."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, connection

from adapters.persistence import mappers
from adapters.persistence import models as m
from adapters.persistence.repositories import sql
from adapters.persistence.repositories.products import DjangoProductRepository
from adapters.persistence.write_batch import WriteBatch
from shop_domain.bucket import BucketLine, BucketOwner
from shop_domain.errors import ProductAlreadyInBucket
from shop_domain.ids import BucketLineId, CustomerId, GuestBucketId, ProductId
from shop_domain.product import Product


def _owner(owner: BucketOwner | CustomerId) -> tuple[str, object]:
    """The column and the value that scope a bucket to its owner."""
    found = BucketOwner.of(owner)
    if found.guest_id is not None:
        return "guest_bucket_id", sql.db(found.guest_id)
    return "customer_id", sql.db(found.customer_id)


class DjangoBucketRepository:
    def __init__(self, currency: str, batch: WriteBatch):
        self._currency, self._batch = currency, batch

    def _entity(self, row: m.BucketLine) -> BucketLine:
        return mappers.line_from_row(row, self._currency)

    def add(self, line: BucketLine) -> None:
        # Sent at once: the unique (customer, product) key's verdict is the use case's
        # answer. No savepoint: a duplicate aborts the whole unit of work, which is what
        # the use case wants (nothing it did before may stay).
        try:
            self._batch.write(
                sql.insert_sql(m.BucketLine, [mappers.line_fields(line)]),
                rows=sql.rows_of(m.BucketLine, [line.id]),
                now=True,
            )
        except IntegrityError:
            raise ProductAlreadyInBucket() from None

    def get(
        self, line_id: BucketLineId, owner: BucketOwner | CustomerId, *, for_update: bool = False
    ) -> BucketLine | None:
        self._batch.read(lock=for_update)
        column, value = _owner(owner)
        q = m.BucketLine.objects.filter(pk=line_id, **{column: value})
        if for_update:
            q = q.select_for_update(no_key=sql.no_key())
        row = q.first()
        return self._entity(row) if row else None

    def find(self, owner: BucketOwner | CustomerId, product_id: ProductId) -> BucketLine | None:
        self._batch.read()
        column, value = _owner(owner)
        row = m.BucketLine.objects.filter(product_id=product_id, **{column: value}).first()
        return self._entity(row) if row else None

    def list_for(
        self, owner: BucketOwner | CustomerId, *, for_update: bool = False
    ) -> list[BucketLine]:
        self._batch.read(lock=for_update)
        column, value = _owner(owner)
        rows = sql.raw(
            m.BucketLine, f"{column} = %s", [value],
            tail="ORDER BY created_at, id", lock=for_update,
        )  # fmt: skip
        return [self._entity(r) for r in rows]

    def lock_with_products(
        self, owner: BucketOwner | CustomerId
    ) -> tuple[list[BucketLine], dict[ProductId, Product]]:
        products = DjangoProductRepository(self._currency, self._batch)
        if connection.vendor != "postgresql":  # SQLite (one writer at a time): two reads
            lines = self.list_for(owner, for_update=True)
            return lines, products.lock({line.product_id for line in lines})
        self._batch.read(lock=True)
        # One statement, the locks in the order of the two reads it replaces: every line
        # (the products' IN needs all of them first), then the products, sorted by id
        # before they are locked (the lock sits above the sort).
        line_table, product_table = m.BucketLine._meta.db_table, m.Product._meta.db_table
        column, value = _owner(owner)
        lock = sql.lock_clause()
        query = (
            f"WITH l AS MATERIALIZED (SELECT {sql.columns(m.BucketLine)} FROM {line_table} "
            f"WHERE {column} = %s ORDER BY created_at, id {lock}), "
            f"p AS MATERIALIZED (SELECT {sql.columns(m.Product)} FROM {product_table} "
            f"WHERE id IN (SELECT product_id FROM l) ORDER BY id {lock}) "
            f"SELECT {sql.columns(m.BucketLine, 'l')}, {sql.columns(m.Product, 'p')} "
            "FROM l JOIN p ON p.id = l.product_id ORDER BY l.created_at, l.id"
        )
        with connection.cursor() as cursor:
            cursor.execute(query, [value])
            rows = cursor.fetchall()
        split = len(m.BucketLine._meta.concrete_fields)
        lines = [self._entity(r) for r in sql.read_all(m.BucketLine, (r[:split] for r in rows))]
        found = [products._entity(r) for r in sql.read_all(m.Product, (r[split:] for r in rows))]
        return lines, {p.id: p for p in found}

    def save(self, lines: Iterable[BucketLine]) -> None:
        self._batch.before_write()
        rows = [mappers.line_row(line) for line in lines]
        # The owner too: a guest's line is handed over to the customer at login.
        fields = [
            "quantity",
            "unit_price",
            "reserved",
            "reserved_until",
            "customer",
            "guest_bucket",
        ]
        if len(rows) == 1:
            row = rows[0]
            # By attname: reading ``row.customer`` would fetch the customer.
            meta = m.BucketLine._meta
            values = {f: getattr(row, meta.get_field(f).attname) for f in fields}
            m.BucketLine.objects.filter(pk=row.pk).update(**values)
        elif rows and connection.vendor == "postgresql":
            # One UPDATE ... FROM (VALUES ...): the expiry job's batches of hundreds of
            # lines (bulk_update's CASE per column costs more to build than to run).
            self._many(rows, fields)
        elif rows:
            m.BucketLine.objects.bulk_update(rows, fields)

    def _many(self, rows: list[m.BucketLine], fields: list[str]) -> None:
        # Columns as arrays (unnest): a handful of parameters, however many rows.
        meta = m.BucketLine._meta
        model_fields = [meta.pk, *(meta.get_field(f) for f in fields)]
        names = [f.column for f in model_fields]
        arrays = [
            [f.get_db_prep_save(getattr(row, f.attname), connection) for row in rows]
            for f in model_fields
        ]
        casts = ", ".join(f"%s::{f.db_type(connection)}[]" for f in model_fields)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {meta.db_table} AS b "
                f"SET {', '.join(f'{c} = v.{c}' for c in names[1:])} "
                f"FROM unnest({casts}) AS v({', '.join(names)}) WHERE b.id = v.id",
                arrays,
            )

    def remove(self, line_ids: Iterable[BucketLineId]) -> None:
        ids = [sql.db(i) for i in line_ids]
        if ids:
            marks = ", ".join(["%s"] * len(ids))
            self._batch.write(
                (f"DELETE FROM {m.BucketLine._meta.db_table} WHERE id IN ({marks})", ids),
                rows=sql.rows_of(m.BucketLine, ids),
            )

    def lapsed(
        self, now: datetime, limit: int, product_ids: Iterable[ProductId] | None = None
    ) -> list[BucketLine]:
        self._batch.read(lock=True)
        q = m.BucketLine.objects.filter(reserved__gt=0, reserved_until__lte=now)
        if product_ids is not None:
            q = q.filter(product_id__in=list(product_ids))
        q = q.select_for_update(skip_locked=True, no_key=sql.no_key()).order_by("reserved_until")[
            :limit
        ]
        return [self._entity(r) for r in q]

    def list_for_guests(self, guest_ids: Iterable[GuestBucketId]) -> list[BucketLine]:
        ids = [sql.db(g) for g in guest_ids]
        if not ids:
            return []
        self._batch.read(lock=True)
        marks = ", ".join(["%s"] * len(ids))
        rows = sql.raw(
            m.BucketLine, f"guest_bucket_id IN ({marks})", ids,
            tail="ORDER BY guest_bucket_id, created_at, id", lock=True,
        )  # fmt: skip
        return [self._entity(r) for r in rows]
