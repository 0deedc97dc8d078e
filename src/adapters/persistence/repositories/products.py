"""The catalog and its stock counters in the database."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection

from adapters.persistence import mappers
from adapters.persistence import models as m
from adapters.persistence.repositories import counting, sql
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
        # One statement: the page, one row past it, and the capped count (counting.py).
        self._batch.read()
        postgres = connection.vendor == "postgresql"
        where, params = ["TRUE" if postgres else "1"], []
        if filter.active_only:
            where.append("active = %s")
            params.append(True)
        if filter.name:
            # PostgreSQL: LIKE on the folded name, which the trigram index serves (0012).
            name = "name_folded" if postgres else connection.ops.lookup_cast("icontains") % "name"
            op = "LIKE lower(%s)" if postgres else connection.operators["icontains"] % "%s"
            where.append(f"{name} {op}")
            params.append(f"%{connection.ops.prep_for_like_query(filter.name)}%")
        if filter.product_type:
            where.append("product_type = %s")
            params.append(filter.product_type)
        field = _PRODUCT_ORDERING.get(filter.ordering, "name")
        column, desc = field.lstrip("-"), field.startswith("-")
        table = m.Product._meta.db_table
        from_where = f"FROM {table} WHERE {' AND '.join(where)}"
        key = page.keyset
        backward = key is not None and key.backward and key.id is not None
        # A backward page reads the order reversed, then turns its rows round.
        turn = desc != backward
        order = f"{column} {'DESC' if turn else 'ASC'}, id {'DESC' if backward else 'ASC'}"
        page_where, page_params = list(where), list(params)
        tail, tail_params = "LIMIT %s OFFSET %s", [page.size + 1, page.offset]
        other_side, params_other = ("FALSE" if postgres else "0"), []
        if key is not None:
            tail, tail_params = "LIMIT %s", [page.size + 1]
            if key.id is not None:
                cond, cond_params = _beyond(column, desc, backward, key.value, key.id)
                page_where.append(cond)
                page_params += cond_params
                # Whether anything lies on the key's other side (its own item included).
                other, other_params = _beyond(
                    column, desc, not backward, key.value, key.id, inclusive=True
                )
                # Walked from the key outwards (its own index, one row), as a page is.
                back = f"{column} {'ASC' if turn else 'DESC'}, id {'ASC' if backward else 'DESC'}"
                other_side = (
                    f"(SELECT 1 {from_where} AND {other} ORDER BY {back} LIMIT 1) IS NOT NULL"
                )
                params_other = [*params, *other_params]
        # Above the cap a few seconds ago: the kept estimate serves, no capped count.
        if postgres and counting.kept(f"SELECT 1 {from_where}", params):
            count_sql, count_params = "NULL", []
        else:
            count_sql, count_params = counting.capped_count_sql(from_where), params
        prefix, prefix_params = "", []
        rows_sql = f"WHERE {' AND '.join(page_where)} ORDER BY {order} {tail}"
        rows_params = [*page_params, *tail_params]
        if filter.name or page.offset:
            # The page's ids first, walking the covering name index (an index-only scan
            # tests each name, or skips an offset's rows, without reading them), then
            # those rows alone.
            rows_sql = f"WHERE id IN (SELECT id FROM {table} {rows_sql}) ORDER BY {order}"
        walk_sql, walk_params = rows_sql, rows_params
        first_few = postgres and bool(filter.name) and count_sql != "NULL"
        cap = counting.EXACT_COUNT_UP_TO
        if first_few:
            # Not known to be common: its matches first, at most the cap + 1 (a rare term's
            # by the trigram index). Up to the cap they are all there are, and the page is
            # sorted from them; only above it does a second statement walk the ordering's
            # index. The planner cannot choose between the two well: it guesses a term's
            # matches from a sample, and a rare term guessed at 0.2 % would walk the whole
            # index. (As two statements, each plans its LIKE once: planning is most of a
            # rare term's cost.)
            prefix = f"WITH few AS MATERIALIZED (SELECT id, {column} {from_where} LIMIT {cap + 1}) "
            prefix_params = list(params)
            count_sql, count_params = "(SELECT COUNT(*) FROM few)", []
            beyond = key is not None and key.id is not None
            rows_sql = (
                f"WHERE id IN (SELECT id FROM few {f'WHERE {cond}' if beyond else ''} "
                f"ORDER BY {order} {tail}) ORDER BY {order}"
            )
            rows_params = [*(cond_params if beyond else []), *tail_params]
        with connection.cursor() as cursor:
            cursor.execute(
                f"{prefix}SELECT {sql.columns(m.Product)}, {count_sql}, {other_side} "
                f"FROM {table} {rows_sql}",
                [*prefix_params, *count_params, *params_other, *rows_params],
            )
            rows = cursor.fetchall()
            if not rows:  # the counts still come from a statement
                cursor.execute(
                    f"{prefix}SELECT {count_sql}, {other_side}",
                    [*prefix_params, *count_params, *params_other],
                )
                capped, other_found = cursor.fetchone()
                rows_found: list[Any] = []
            else:
                capped, other_found = rows[0][-2], rows[0][-1]
                rows_found = [r[:-2] for r in rows]
            if first_few and capped > cap:  # common after all: the page walks the index
                cursor.execute(
                    f"SELECT {sql.columns(m.Product)} FROM {table} {walk_sql}", walk_params
                )
                rows_found = list(cursor.fetchall())
        more = len(rows_found) > page.size
        rows_found = rows_found[: page.size]
        if backward:
            rows_found.reverse()

        def estimated() -> int:
            if not postgres:
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT COUNT(*) {from_where}", params)
                    return int(cursor.fetchone()[0])
            return counting.estimate(f"SELECT 1 {from_where}", params)

        if key is None:
            count = counting.total(
                capped, offset=page.offset, shown=len(rows_found), more=more, estimated=estimated
            )
        elif capped is None or capped > counting.EXACT_COUNT_UP_TO:
            count = max(estimated(), counting.EXACT_COUNT_UP_TO + 1)
        else:
            count = capped
        items = [self._entity(r) for r in sql.read_all(m.Product, rows_found)]
        if key is None:
            return Page(items, count)
        before, after = (more, bool(other_found)) if backward else (bool(other_found), more)
        return Page(items, count, before=before, after=after)


def _beyond(
    column: str, desc: bool, backward: bool, value: Any, pk: str, *, inclusive: bool = False
) -> tuple[str, list[Any]]:
    """The rows past (value, pk) in the list's order (before it when ``backward``; the
    row at (value, pk) too when ``inclusive``): ``column`` one way (``desc``), then the id
    ascending. The bound on ``column`` alone lets an index on it start there."""
    down = desc != backward
    cmp, bound = ("<", "<=") if down else (">", ">=")
    idc = ("<" if backward else ">") + ("=" if inclusive else "")
    return (
        f"({column} {bound} %s AND ({column} {cmp} %s OR id {idc} %s))",
        [value, value, sql.db(pk)],
    )
