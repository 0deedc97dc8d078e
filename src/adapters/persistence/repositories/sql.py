"""SQL helpers the Django repositories share: hand-written reads and writes of whole
rows, converted as Django converts them, without model instances (their init and
signals cost more than the query on the hot paths)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models.expressions import RawSQL

from adapters.persistence import models as m
from adapters.persistence.repositories import counting
from adapters.persistence.write_batch import Row, Statement
from shop_app.ports.paging import PageRequest


def no_key() -> bool:
    return bool(connection.features.has_select_for_no_key_update)


def lock_clause() -> str:
    """We lock rows to change their counters and statuses, never their keys: NO KEY
    UPDATE lets other transactions insert rows that refer to them (a bucket line's
    foreign-key check takes KEY SHARE) instead of queueing behind every stock change."""
    return "FOR NO KEY UPDATE" if no_key() else "FOR UPDATE"


def _readers(model: type[Any]) -> tuple[tuple[str, ...], list[tuple[int, list[Any], Any]]]:
    """``model``'s attribute names in column order, and for the columns that have any,
    their position and Django's converters from the database's value (decimals, UUIDs
    and datetimes on SQLite, JSON everywhere)."""
    wrapper = connections[DEFAULT_DB_ALIAS]  # this thread's own, not the shared proxy
    cache = wrapper.__dict__.setdefault("_shop_readers", {})
    readers = cache.get(model)
    if readers is None:
        names, converting = [], []
        for i, field in enumerate(_read(model)):
            column = field.get_col(model._meta.db_table)
            found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
            names.append(field.attname)
            if found:
                converting.append((i, found, column))
        readers = cache[model] = (tuple(names), converting)
    return readers


@functools.cache  # a model's columns do not change while the process runs
def columns(model: type[Any], alias: str = "") -> str:
    """The column list hand-written reads fetch, ``alias.``-prefixed when given."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + field.column for field in _read(model))


def _read(model: type[Any]) -> list[Any]:
    """The columns hand-written reads fetch: all but generated ones (search helpers)."""
    return [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]


def read_all(model: type[Any], rows: Iterable[Iterable[Any]]) -> list[SimpleNamespace]:
    """Rows as objects with the model's attribute names, converted as Django would."""
    (names, converting), out = _readers(model), []
    wrapper = connections[DEFAULT_DB_ALIAS]  # not the proxy: one lookup, not one per value
    for values in rows:
        if converting:  # most columns have no converter (on PostgreSQL, only JSON has)
            values = list(values)
            for i, converters, column in converting:
                value = values[i]
                for convert in converters:
                    value = convert(value, column, wrapper)
                values[i] = value
        out.append(SimpleNamespace(**dict(zip(names, values, strict=False))))
    return out


def read(model: type[Any], values: Iterable[Any]) -> SimpleNamespace:
    return read_all(model, [values])[0]


def raw(
    model: type[Any], where: str, params: list[Any], *, tail: str = "", lock: bool = False
) -> list[Any]:
    """Rows of ``model`` by a hand-written WHERE clause (the hot, locked reads skip the
    ORM's query compiler). ``params`` are already in database form (see ``db``)."""
    sql = f"SELECT {columns(model)} FROM {model._meta.db_table} WHERE {where} {tail}"
    if lock and connection.features.has_select_for_update:
        sql += f" {lock_clause()}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return read_all(model, cursor.fetchall())


def prep(model: type[Any], values: dict[str, Any]) -> tuple[list[str], list[Any]]:
    """The columns of these attribute values and the values in database form, as
    Django's save would send them."""
    wrapper = connections[DEFAULT_DB_ALIAS]  # this thread's own, not the shared proxy
    writers = wrapper.__dict__.setdefault("_shop_writers", {}).setdefault(model, {})
    names, params = [], []
    for name, value in values.items():
        found = writers.get(name)
        if found is None:
            field = model._meta.get_field(name)
            found = writers[name] = (field.column, field.get_db_prep_save)
        column, to_db = found
        names.append(column)
        # Given the connection itself: the field's code asks it a few things per value,
        # each a thread-local lookup through the proxy.
        params.append(to_db(value, wrapper))
    return names, params


def insert_sql(model: type[Any], rows: list[dict[str, Any]]) -> Statement:
    """INSERT these rows in one statement (every row has the same keys)."""
    prepared = [prep(model, row) for row in rows]
    names = prepared[0][0]
    one = "(" + ", ".join(["%s"] * len(names)) + ")"
    return (
        f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) "
        f"VALUES {', '.join([one] * len(rows))}",
        [param for _, params in prepared for param in params],
    )


def update_sql(model: type[Any], pk: Any, **values: Any) -> Statement:
    """UPDATE one row by primary key."""
    names, params = prep(model, values)
    return (
        f"UPDATE {model._meta.db_table} SET {', '.join(c + ' = %s' for c in names)} WHERE id = %s",
        [*params, db(pk)],
    )


def rows_of(model: type[Any], ids: Iterable[Any]) -> set[Row]:
    return {(model._meta.db_table, str(i)) for i in ids}


def page_with_count(q: Any, page: PageRequest, counted: Any = None) -> tuple[list[Any], int]:
    """One page and the total in one statement: the page, one row past it (to know
    whether more follow) and the capped count (repositories/counting.py) as a scalar
    subquery; the planner's estimate, in one more statement, only when more than the cap
    match, and while it is kept no capped count; a second query when the page is past
    the end. ``counted``: the same matches as ``q`` in a queryset cheaper to count."""
    counted = q if counted is None else counted
    inner, params = counted.order_by().values("pk").query.sql_with_params()
    skip = connection.vendor == "postgresql" and counting.kept(inner, list(params))
    window = q if skip else q.annotate(
        _capped=RawSQL(counting.capped_count_sql(f"FROM ({inner}) matching"), params)
    )  # fmt: skip
    rows = list(window[page.offset : page.offset + page.size + 1])
    more = len(rows) > page.size
    rows = rows[: page.size]
    capped: int | None
    if rows:
        capped = None if skip else rows[0]._capped
    elif page.offset == 0:
        return rows, 0
    else:
        capped = counted.order_by()[: counting.EXACT_COUNT_UP_TO + 1].count()

    def estimated() -> int:
        if connection.vendor != "postgresql":
            return int(counted.count())
        return counting.estimate(inner, list(params))

    return rows, counting.total(
        capped, offset=page.offset, shown=len(rows), more=more, estimated=estimated
    )


def db(value: Any) -> Any:
    """A UUID as the database takes it (a uuid on PostgreSQL, hex text on SQLite)."""
    return m.Product._meta.pk.get_db_prep_value(value, connection)
