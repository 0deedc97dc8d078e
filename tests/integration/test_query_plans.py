"""PostgreSQL: the lists' query plans at 20,000 rows (issue 17, docs/performance.md "As
the data grows"). Each route's own statements, as the shop sends them, are explained:
the intended index is used, and no sequential scan of the big table reads it through
(a scan under a LIMIT that nothing between consumes whole stops after a few rows)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection

from tests.integration.conftest import Api

pytestmark = pytest.mark.django_db

ROWS = 20_000
# Nodes that read all their input before giving a row: a LIMIT above them bounds nothing.
CONSUMING = {"Sort", "Aggregate", "Hash", "Materialize", "WindowAgg", "SetOp", "Gather Merge"}


@pytest.fixture(autouse=True)
def _postgres_only(db: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's query plans")


@contextmanager
def statements() -> Iterator[list[tuple[str, Any]]]:
    """The statements the shop sends meanwhile, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, ctx: Any) -> Any:
        seen.append((sql, params))
        return execute(sql, params, many, ctx)

    with connection.execute_wrapper(record):
        yield seen


def plan_of(sql: str, params: Any) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        found = cursor.fetchone()[0]
    return (json.loads(found) if isinstance(found, str) else found)[0]["Plan"]


def nodes(plan: dict[str, Any], bounded: bool = False) -> Iterator[tuple[dict[str, Any], bool]]:
    """Every node of the plan, with whether a LIMIT above it stops it early."""
    kind = plan["Node Type"]
    if plan.get("Parent Relationship") in ("InitPlan", "SubPlan"):
        bounded = False  # a subquery runs on its own: the outer LIMIT does not stop it
    if kind == "Limit":
        bounded = True
    elif kind in CONSUMING:
        bounded = False
    yield plan, bounded
    for child in plan.get("Plans", []):
        yield from nodes(child, bounded)


def explain_route(call: Callable[[], Any], table: str) -> list[dict[str, Any]]:
    """The plans of the route's statements that read ``table`` (EXPLAINs excluded)."""
    with statements() as seen:
        response = call()
    assert response.status_code == 200, response.content
    plans = [
        plan_of(sql, params)
        for sql, params in seen
        if f"{table}" in sql and sql.lstrip().upper().startswith(("SELECT", "WITH"))
    ]
    assert plans, f"no statement read {table}"
    return plans


def assert_plans(plans: list[dict[str, Any]], table: str, index: str | None) -> None:
    every = [(n, b) for p in plans for n, b in nodes(p)]
    unbounded = [
        n
        for n, b in every
        if n["Node Type"] == "Seq Scan" and n["Relation Name"] == table and not b
    ]
    assert not unbounded, f"a sequential scan reads all of {table}: {json.dumps(plans)[:3000]}"
    if index is not None:
        used = {n.get("Index Name") for n, _ in every}
        assert index in used, f"{index} not used (used: {used}): {json.dumps(plans)[:3000]}"


def index_on(table: str, columns: str) -> str:
    """The name of the B-tree index of ``table`` whose key starts with ``columns``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s "
            "ORDER BY length(indexdef) LIMIT 1",
            [table, f"%btree ({columns}%"],
        )
        return str(cursor.fetchone()[0])


def run(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def insert_catalog(rows: int = ROWS) -> None:
    """``rows`` products: 10 % of names with "steel", one in 4000 "zircon", 20 types."""
    run(
        f"""
        INSERT INTO shop_product
            (id, name, description, price, product_type, status, active, stock, reserved)
        SELECT md5('p' || i)::uuid,
               (ARRAY['Acme', 'Borealis', 'Cobalt', 'Dunmore'])[1 + i % 4] || ' chair '
                 || CASE WHEN i % 10 = 3 THEN 'steel' ELSE 'oak' END || ' ' || i
                 || CASE WHEN i % 4000 = 7 THEN ' zircon' ELSE '' END,
               '', 1 + (abs(hashint4(i)) % 10000) / 100.0, 'type-' || (i % 20), 'new',
               i % 100 <> 99, 100, 0
        FROM generate_series(1, {rows}) AS i
        """
    )


@pytest.fixture
def big_catalog(db: Any) -> None:
    # Rows inserted in a test's transaction would wait in the trigram index's pending
    # list (merged by VACUUM, which a transaction cannot run), which the planner prices
    # as a slow index; written straight into the index they cost what they do in a shop.
    run("ALTER INDEX product_name_folded_trgm SET (fastupdate = off)")
    insert_catalog()
    run("ANALYZE shop_product")


@pytest.fixture
def many_orders(db: Any, customer: Api, other: Api) -> None:
    mine = f"'{customer.user_id}'::uuid"
    theirs = f"'{other.user_id}'::uuid"
    run(
        f"""
        INSERT INTO shop_order (id, customer_id, status, payment_method, total, currency,
                                created_at)
        SELECT md5('o' || i)::uuid, CASE WHEN i % 50 = 0 THEN {mine} ELSE {theirs} END,
               CASE WHEN i % 1000 = 500 THEN 'error' ELSE 'paid' END, 'card', 10, 'PLN',
               now() - interval '1 second' * i
        FROM generate_series(1, {ROWS}) AS i
        """
    )
    run(
        f"""
        INSERT INTO shop_event (id, type, order_id, sequence, created_at, data)
        SELECT md5('e' || i)::uuid, CASE WHEN i % 2 = 0 THEN 'order.created' ELSE 'order.paid'
               END, md5('o' || i)::uuid, 1, now() - interval '1 second' * i, '{{}}'
        FROM generate_series(1, {ROWS}) AS i
        """
    )
    run("ANALYZE shop_order")
    run("ANALYZE shop_order_rare_status")
    run("ANALYZE shop_event")


@pytest.mark.parametrize("ordering", ["name", "-name", "price", "-price"])
def test_a_catalog_page_walks_the_index_of_its_ordering(
    big_catalog: None, customer: Api, ordering: str
) -> None:
    plans = explain_route(lambda: customer.get("/api/products", ordering=ordering), "shop_product")
    column = ordering.lstrip("-")
    assert_plans(plans, "shop_product", index_on("shop_product", column))


def test_a_rare_name_is_found_by_the_trigram_index(big_catalog: None, customer: Api) -> None:
    plans = explain_route(lambda: customer.get("/api/products", name="ZIRCON"), "shop_product")
    assert_plans(plans, "shop_product", "product_name_folded_trgm")


def test_a_common_name_reads_no_more_than_its_page_needs(big_catalog: None, customer: Api) -> None:
    # 10 % match: the page walks the name index (or the count stops at its cap).
    plans = explain_route(lambda: customer.get("/api/products", name="steel"), "shop_product")
    assert_plans(plans, "shop_product", None)


def test_a_common_name_is_tested_in_the_name_index_alone(big_catalog: None, customer: Api) -> None:
    # The names the page passes over are read from the covering index, not the table.
    plans = explain_route(lambda: customer.get("/api/products", name="steel"), "shop_product")
    scans = {
        n["Node Type"]
        for p in plans
        for n, _ in nodes(p)
        if n.get("Index Name") == "product_name_id"
    }
    assert scans == {"Index Only Scan"}, json.dumps(plans)[:3000]


def test_the_type_filter_uses_the_type_index(big_catalog: None, customer: Api) -> None:
    plans = explain_route(lambda: customer.get("/api/products", type="type-7"), "shop_product")
    assert_plans(plans, "shop_product", "product_type_name")


def test_a_deep_cursor_page_starts_in_the_index(big_catalog: None, customer: Api) -> None:
    from adapters.django_web.paging import cursor_after

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, id FROM shop_product WHERE active ORDER BY name, id OFFSET 15000 LIMIT 1"
        )
        name, pk = cursor.fetchone()
    token = cursor_after("name", name, pk)
    plans = explain_route(lambda: customer.get("/api/products", cursor=token), "shop_product")
    assert_plans(plans, "shop_product", index_on("shop_product", "name"))
    # The page's own statement reads from the cursor on: an index condition on name.
    conds = [n.get("Index Cond", "") for p in plans for n, _ in nodes(p)]
    # ... and so does the look at the other side of the cursor (is there a previous page?).
    assert any("name)::text >=" in c for c in conds), json.dumps(plans)[:4000]


def test_the_staff_list_by_a_rare_status_uses_its_index(many_orders: None, staff: Api) -> None:
    plans = explain_route(lambda: staff.get("/api/admin/orders", status="error"), "shop_order")
    assert_plans(plans, "shop_order", None)
    # The few orders come from shop_order_rare_status; shop_order is read by key only.
    every = [n for p in plans for n, _ in nodes(p)]
    assert any(n.get("Relation Name") == "shop_order_rare_status" for n in every)
    on_orders = {n.get("Index Name") for n in every if n.get("Relation Name") == "shop_order"}
    assert on_orders == {"shop_order_pkey"}, on_orders


def test_the_staff_list_by_a_rare_status_is_counted_from_its_own_table(
    many_orders: None, staff: Api
) -> None:
    plans = explain_route(lambda: staff.get("/api/admin/orders", status="error"), "shop_order")

    def counted(plan: dict[str, Any], inside: bool = False) -> Iterator[str]:
        inside = inside or plan.get("Parent Relationship") == "InitPlan"
        if inside and "Relation Name" in plan:
            yield plan["Relation Name"]
        for child in plan.get("Plans", []):
            yield from counted(child, inside)

    # The count's subquery reads the rare-status index alone: no lookup per order.
    assert {name for p in plans for name in counted(p)} == {"shop_order_rare_status"}
    assert staff.get("/api/admin/orders", status="error").json()["count"] == ROWS // 1000


def test_the_staff_list_walks_the_newest_orders(many_orders: None, staff: Api) -> None:
    plans = explain_route(lambda: staff.get("/api/admin/orders"), "shop_order")
    assert_plans(plans, "shop_order", "order_newest_idx")


def test_a_customers_orders_come_from_the_customer_index(many_orders: None, customer: Api) -> None:
    plans = explain_route(lambda: customer.get("/api/orders"), "shop_order")
    assert_plans(plans, "shop_order", index_on("shop_order", "customer_id, created_at DESC"))


def test_the_event_log_walks_its_time_index(many_orders: None, staff: Api) -> None:
    plans = explain_route(lambda: staff.get("/api/admin/events"), "shop_event")
    assert_plans(plans, "shop_event", index_on("shop_event", "created_at, id"))
