"""Holding stock for a new bucket line, atomic by itself (the StockHolds port)."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, connection, transaction

from adapters.persistence import mappers
from adapters.persistence import models as m
from adapters.persistence.repositories import sql
from adapters.persistence.repositories.buckets import DjangoBucketRepository
from adapters.persistence.repositories.products import DjangoProductRepository
from adapters.persistence.write_batch import WriteBatch
from shop_domain.bucket import BucketLine
from shop_domain.errors import ProductAlreadyInBucket
from shop_domain.ids import BucketLineId, CustomerId, ProductId
from shop_domain.money import Money
from shop_domain.product import Product


class DjangoStockHolds:
    """On PostgreSQL one statement, its own transaction: a conditional UPDATE of the
    product's reservation and the INSERT of the line in one WITH. Elsewhere (SQLite has
    no writing WITH clauses) a short transaction that locks the product."""

    def __init__(self, currency: str):
        self._currency = currency

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
            return self._locked(line, within)
        names, params = sql.prep(m.BucketLine, mappers.line_fields(line))
        fixed = [p for c, p in zip(names, params, strict=True) if c != "unit_price"]
        products, lines = m.Product._meta.db_table, m.BucketLine._meta.db_table
        query = (
            # The product row is locked by the UPDATE only while the statement runs. The
            # reservation is made only where Product.can_hold would allow it (active, that
            # many available), only for a product the customer has no line for yet, and
            # only while the bucket's total stays within ``within`` (ensure_line_fits);
            # the line goes in only if the reservation was made. A test holds this SQL to
            # the domain's answers (tests/integration/test_stock_holds.py).
            f"WITH p AS (UPDATE {products} SET reserved = reserved + %s "
            "WHERE id = %s AND active AND stock - reserved >= %s "
            f"AND NOT EXISTS (SELECT 1 FROM {lines} d WHERE d.customer_id = %s "
            "AND d.product_id = %s) "
            "AND price * %s + (SELECT COALESCE(SUM(b.unit_price * b.quantity), 0) "
            f"FROM {lines} b WHERE b.customer_id = %s) <= %s "
            f"RETURNING {sql.columns(m.Product)}), "
            f"line AS (INSERT INTO {lines} ({', '.join(names)}) "
            f"SELECT {', '.join('p.price' if c == 'unit_price' else '%s' for c in names)} "
            "FROM p RETURNING 1) "
            f"SELECT {sql.columns(m.Product, 'p')} FROM p, line"
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    query,
                    [
                        quantity, sql.db(product_id), quantity,
                        sql.db(customer_id), sql.db(product_id),
                        quantity, sql.db(customer_id), within.amount,
                        *fixed,
                    ],
                )  # fmt: skip
                row = cursor.fetchone()
        except IntegrityError:  # a line for the product added concurrently
            raise ProductAlreadyInBucket() from None
        if row is None:
            return None
        product = mappers.product_from_row(sql.read(m.Product, row), self._currency)
        line.unit_price = product.price
        return line, product

    def _locked(self, line: BucketLine, within: Money) -> tuple[BucketLine, Product] | None:
        batch = WriteBatch()  # closed: every write goes at once, inside this transaction
        products = DjangoProductRepository(self._currency, batch)
        buckets = DjangoBucketRepository(self._currency, batch)
        with transaction.atomic():
            product = products.lock([line.product_id]).get(line.product_id)
            if product is None or not product.can_hold(line.quantity):
                return None
            others = buckets.list_for(line.customer_id)
            if any(other.product_id == line.product_id for other in others):
                return None
            value = product.price * line.quantity
            if within < value + Money.total([o.value for o in others], within.currency):
                return None
            product.reserve(line.quantity)
            line.unit_price = product.price
            buckets.add(line)
            products.save_stock([product])
        return line, product
