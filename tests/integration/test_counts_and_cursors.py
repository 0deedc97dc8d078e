"""`count` as docs/contract-notes.md documents it (exact up to a cap, then an estimate
that never contradicts the page), and the catalog's keyset `cursor` with its links.
The cap is lowered to 5 here so a handful of rows cross it."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection

from adapters.django_web.paging import cursor_token
from adapters.persistence.repositories import counting
from tests.integration.conftest import Api, error_of

pytestmark = pytest.mark.django_db
CAP = 5


@pytest.fixture
def low_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(counting, "EXACT_COUNT_UP_TO", CAP)


@pytest.fixture
def twelve(make_product: Any) -> list[str]:
    return [make_product(name=f"lamp {i:02d}", price=f"{10 + i % 3}.00") for i in range(12)]


def query_of(link: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(link).query).items()}


def test_count_is_exact_up_to_the_cap(low_cap: None, customer: Api, twelve: list[str]) -> None:
    body = customer.get("/api/products", name="lamp 0").json()  # lamp 00..09: above the cap
    assert body["count"] > CAP
    body = customer.get("/api/products", name="lamp 1").json()  # lamp 10, lamp 11
    assert body["count"] == 2 and body["next"] is None


def test_above_the_cap_count_never_contradicts_the_page(
    low_cap: None, customer: Api, twelve: list[str]
) -> None:
    first = customer.get("/api/products", page_size=5).json()
    # An estimate (exact on SQLite), but more than the cap, and more than this page shows.
    assert first["count"] >= 6 and first["next"] is not None and first["previous"] is None
    if connection.vendor == "sqlite":
        assert first["count"] == 12
    second = customer.get("/api/products", page_size=5, page=2).json()
    assert second["count"] >= 11 and second["next"] is not None
    # The last page knows the exact total: the items up to its end are all there are.
    last = customer.get("/api/products", page_size=5, page=3).json()
    assert last["count"] == 12 and last["next"] is None and len(last["results"]) == 2
    assert query_of(last["previous"])["page"] == "2"


def test_staff_and_order_lists_count_the_same_way(
    low_cap: None, customer: Api, staff: Api, make_product: Any
) -> None:
    product = make_product(stock=100)
    for _ in range(7):
        customer.post("/api/bucket", {"product": product, "quantity": 1})
        assert customer.post("/api/orders", {"payment": "card"}).status_code == 201
    first = customer.get("/api/orders", page_size=3).json()
    assert first["count"] >= 4 and first["next"] is not None
    last = customer.get("/api/orders", page_size=3, page=3).json()
    assert last["count"] == 7 and last["next"] is None and len(last["results"]) == 1
    assert staff.get("/api/admin/orders", status="paid").json()["count"] == 0
    assert staff.get("/api/admin/orders", page_size=5, page=2).json()["count"] == 7


@pytest.mark.parametrize("ordering", ["name", "-name", "price", "-price"])
def test_a_cursor_walks_the_catalog_and_back(
    customer: Api, twelve: list[str], ordering: str
) -> None:
    whole = customer.get("/api/products", ordering=ordering).json()["results"]
    page = customer.get("/api/products", ordering=ordering, cursor="", page_size=5).json()
    assert page["previous"] is None and page["count"] == 12
    seen, pages = [], [page]
    while True:
        seen += page["results"]
        if page["next"] is None:
            break
        asked = query_of(page["next"])
        assert asked["ordering"] == ordering and "page" not in asked
        page = customer.get("/api/products", **asked).json()
        pages.append(page)
        assert page["previous"] is not None
    assert [p["uuid"] for p in seen] == [p["uuid"] for p in whole]
    assert [len(p["results"]) for p in pages] == [5, 5, 2]
    back = customer.get("/api/products", **query_of(pages[-1]["previous"])).json()
    assert back["results"] == pages[1]["results"]
    start = customer.get("/api/products", **query_of(back["previous"])).json()
    assert start["results"] == pages[0]["results"] and start["previous"] is None


def test_bad_cursors_are_refused(customer: Api, twelve: list[str]) -> None:
    token = query_of(customer.get("/api/products", cursor="", page_size=5).json()["next"])
    token_id = twelve[0]
    for params in (
        {"cursor": "not-a-cursor"},
        {"cursor": "W10"},  # base64 of [] : not ours
        {"cursor": token["cursor"], "ordering": "price"},  # made for another ordering
        {"cursor": token["cursor"], "page": "2"},
        {"cursor": cursor_token("price", "1e999999", token_id), "ordering": "price"},
        {"cursor": cursor_token("price", "NaN", token_id), "ordering": "price"},
        {"cursor": cursor_token("name", "a\x00b", token_id)},
        {"cursor": cursor_token("name", "x", "not-a-uuid")},
    ):
        response = customer.get("/api/products", **params)
        assert error_of(response) == (400, 1000), params


def test_the_reported_total_follows_the_documented_rules() -> None:
    def never() -> int:
        raise AssertionError("no estimate at or below the cap")

    cap = counting.EXACT_COUNT_UP_TO
    assert counting.total(cap, offset=0, shown=20, more=True, estimated=never) == cap
    # Above the cap: the estimate, but not below the cap + 1 nor below what the page saw.
    assert counting.total(cap + 1, offset=0, shown=20, more=True, estimated=lambda: 5000) == 5000
    assert counting.total(cap + 1, offset=0, shown=20, more=True, estimated=lambda: 3) == cap + 1
    deep = counting.total(cap + 1, offset=4000, shown=20, more=True, estimated=lambda: 10)
    assert deep == 4021
    # The last page: the items up to its end are all there are.
    assert counting.total(cap + 1, offset=4000, shown=7, more=False, estimated=never) == 4007


def test_an_estimate_is_kept_a_few_seconds_per_filter(
    low_cap: None, customer: Api, twelve: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the planner's estimate is PostgreSQL's (SQLite counts exactly)")
    from django.test.utils import CaptureQueriesContext

    def estimates_planned(**query: Any) -> int:
        with CaptureQueriesContext(connection) as seen:
            assert customer.get("/api/products", page_size=5, **query).status_code == 200
        return sum(q["sql"].startswith("EXPLAIN") for q in seen.captured_queries)

    assert estimates_planned() == 1
    assert estimates_planned() == 0  # the same list and filter: the kept estimate
    assert estimates_planned(page=2) == 0  # another page of it too
    assert estimates_planned(name="lamp 0") == 1  # another filter is estimated afresh
    later = counting._clock() + counting.ESTIMATE_KEPT_SECONDS + 1
    monkeypatch.setattr(counting, "_clock", lambda: later)
    assert estimates_planned() == 1  # and after a few seconds, planned again


def test_while_an_estimate_is_kept_the_capped_count_is_not_read(
    low_cap: None, customer: Api, twelve: list[str], make_product: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the planner's estimate is PostgreSQL's (SQLite counts exactly)")
    from django.test.utils import CaptureQueriesContext

    def counted(path: str, **query: Any) -> tuple[int, int]:
        """The count reported, and how many statements read a count meanwhile."""
        with CaptureQueriesContext(connection) as seen:
            response = customer.get(path, page_size=3, **query)
        assert response.status_code == 200, response.content
        return response.json()["count"], sum("COUNT(" in q["sql"] for q in seen.captured_queries)

    first, reads = counted("/api/products")
    assert first > CAP and reads == 1  # above the cap: counted up to it, then estimated
    assert counted("/api/products") == (first, 0)  # the kept estimate, no capped count
    # Page 2 of 3 items, more after it: never below the 7 items the page saw.
    assert counted("/api/products", page=2) == (max(first, 7), 0)
    # At most the cap: exact, and read again on every page (nothing kept).
    assert counted("/api/products", name="lamp 1") == (2, 1)
    assert counted("/api/products", name="lamp 1") == (2, 1)
    # The ORM-built lists the same way: a customer's orders above the cap.
    product = make_product(stock=100)
    for _ in range(7):
        customer.post("/api/bucket", {"product": product, "quantity": 1})
        assert customer.post("/api/orders", {"payment": "card"}).status_code == 201
    orders, reads = counted("/api/orders")
    assert orders > CAP and reads == 1
    assert counted("/api/orders") == (orders, 0)


@pytest.mark.parametrize("name", ["lamp 1", "LAMP", "amp 0"])
@pytest.mark.parametrize("ordering", ["name", "-price"])
def test_a_name_search_pages_the_same_below_and_above_the_cap(
    low_cap: None, customer: Api, twelve: list[str], name: str, ordering: str
) -> None:
    # "lamp 1" has 2 matches (at most the cap: the page is sorted from its matches), the
    # others 12 and 10 (above it: the ordering's index is walked); pages and cursors
    # give the whole list, in order, either way.
    everything = customer.get("/api/products", ordering=ordering, page_size=100).json()
    expected = [p["uuid"] for p in everything["results"] if name.lower() in p["name"].lower()]
    pages = [expected[i : i + 3] for i in range(0, len(expected), 3)]
    for number, items in enumerate(pages, start=1):
        body = customer.get("/api/products", name=name, ordering=ordering, page_size=3, page=number)
        assert [p["uuid"] for p in body.json()["results"]] == items
        assert body.json()["count"] == len(expected) or len(expected) > CAP
    asked: dict[str, str] = {"name": name, "ordering": ordering, "cursor": "", "page_size": "3"}
    walked = []
    while True:
        body = customer.get("/api/products", **asked).json()
        walked.append([p["uuid"] for p in body["results"]])
        if body["next"] is None:
            break
        asked = query_of(body["next"])
    assert walked == pages
    if len(pages) > 1:
        back = customer.get("/api/products", **query_of(body["previous"])).json()
        assert [p["uuid"] for p in back["results"]] == pages[-2]
