"""The catalog and its stock counters in the database."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from adapters.persistence import mappers
from adapters.persistence import models as m
from adapters.persistence.repositories import sql
from adapters.persistence.write_batch import WriteBatch
from shop_app.ports.paging import Page, PageRequest
from shop_app.ports.repositories import ProductFilter
from shop_domain.ids import ProductId
from shop_domain.product import Product

_PRODUCT_ORDERING = {"name": "name", "-name": "-name", "price": "price", "-price": "-price"}


class DjangoProductRepository:
    def __init__(self, currency: str, batch: WriteBatch):
        self._currency, self._batch = currency, batch

    def _entity(self, row: m.Product) -> Product:
        return mappers.product_from_row(row, self._currency)

    def add(self, product: Product) -> None:
        self._batch.before_write()
        m.Product.objects.create(id=product.id, **mappers.product_fields(product))

    def get(self, product_id: ProductId) -> Product | None:
        self._batch.read()
        row = m.Product.objects.filter(pk=product_id).first()
        return self._entity(row) if row else None

    def lock(self, product_ids: Iterable[ProductId]) -> dict[ProductId, Product]:
        self._batch.read(lock=True)
        ids = sorted(set(product_ids))
        if not ids:
            return {}
        marks = ", ".join(["%s"] * len(ids))
        rows = sql.raw(
            m.Product, f"id IN ({marks})", [sql.db(i) for i in ids], tail="ORDER BY id", lock=True
        )
        return {ProductId(r.id): self._entity(r) for r in rows}

    def save(self, products: Iterable[Product]) -> None:
        self._batch.before_write()
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
            self._batch.write(
                sql.update_sql(m.Product, pid, stock=stock, reserved=reserved),
                rows=sql.rows_of(m.Product, [pid]),
            )
        elif rows and connection.vendor == "postgresql":
            values = ", ".join(["(%s::uuid, %s, %s)"] * len(rows))
            self._batch.write(
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
                rows=sql.rows_of(m.Product, [pid for pid, _, _ in rows]),
            )
        elif rows:
            self._batch.before_write()
            m.Product.objects.bulk_update(
                [
                    m.Product(id=pid, stock=stock, reserved=reserved)
                    for pid, stock, reserved in rows
                ],
                ["stock", "reserved"],
            )

    def names(self, product_ids: Iterable[ProductId]) -> dict[ProductId, str]:
        self._batch.read()
        rows = m.Product.objects.filter(pk__in=list(product_ids)).values_list("id", "name")
        return {ProductId(pid): name for pid, name in rows}

    def list(self, filter: ProductFilter, page: PageRequest) -> Page[Product]:
        # The catalog page is the busiest read: hand-written SQL, rows straight to
        # entities (the ORM's query compiler and model instances cost more than the query).
        self._batch.read()
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
        table = m.Product._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {sql.columns(m.Product)}, COUNT(*) OVER () FROM {table} "
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
                cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {' AND '.join(where)}", params)
                count = cursor.fetchone()[0]
        return Page([self._entity(r) for r in sql.read_all(m.Product, rows)], count)
