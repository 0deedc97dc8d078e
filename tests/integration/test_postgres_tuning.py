"""PostgreSQL: the settings and schema choices that keep the database's share of a
checkout small (docs/performance.md): statements prepared once per connection, and an
order paid without touching its indexes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from tests.integration.conftest import Api

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgres_only(db: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's prepared statements and in-place updates")


def prepared_statements_like(fragment: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{fragment}%"],
        )
        return int(cursor.fetchone()[0])


def test_a_statement_run_again_on_a_connection_is_prepared(
    transactional_db: Any, customer: Api, make_product: Any
) -> None:
    product = make_product(stock=50)
    marker = "FROM shop_product WHERE TRUE"  # the catalog page's own SQL
    connection.close()  # a new connection: nothing prepared by earlier tests

    customer.get("/api/products")
    assert prepared_statements_like(marker) == 0, "a statement run once is not prepared"
    customer.get("/api/products")
    customer.get("/api/products")

    assert prepared_statements_like(marker) == 1
    assert customer.post("/api/bucket", {"product": product, "quantity": 1}).status_code == 201


def update_counts(table: str) -> tuple[int, int]:
    """Updates of the table in this transaction: all of them, and those made in place."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = %s",
            [table],
        )
        row = cursor.fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def test_paying_an_order_updates_it_in_place(customer: Api, make_product: Any) -> None:
    # No index holds the order's status, so its changes need no new index entries (HOT).
    product = make_product(stock=5, price="19.99")
    customer.post("/api/bucket", {"product": product, "quantity": 1})
    order = customer.post("/api/orders", {"payment": "card"}).json()["order_uuid"]
    before = update_counts("shop_order")

    assert customer.post(f"/api/orders/{order}/payment", {}).status_code == 201
    confirmed = customer.post(
        f"/api/orders/{order}/payment/confirm", {"card_token": "pm_card_visa"}
    )
    assert confirmed.json()["status"] == "succeeded"

    updates, in_place = (a - b for a, b in zip(update_counts("shop_order"), before, strict=True))
    assert updates == 2, "the order goes to_pay, then paid"
    assert in_place == updates


def test_placing_a_three_line_order_sends_no_statement_over_50_parameters(
    customer: Api, make_product: Any
) -> None:
    # psycopg parses a statement's placeholders in Python and caches that parse only for
    # statements of at most 50 parameters: one over it is parsed again on every order.
    for _ in range(3):
        assert (
            customer.post("/api/bucket", {"product": make_product(), "quantity": 1}).status_code
            == 201
        )
    counts: list[int] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        counts.append(len(params or ()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        assert customer.post("/api/orders", {"payment": "card"}).status_code == 201
    assert counts and max(counts) <= 50, counts
