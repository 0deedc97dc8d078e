"""Garbage in, a contract answer out: for every route and method, malformed bodies and
query strings never produce a 500, and every 4xx carries {"code","message","details"}."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.conftest import Api, error_of
from tests.integration.test_http_conventions import CONTRACT_ROUTES

# The fields each route reads, so that each can get every wrong type in turn.
FIELDS: dict[tuple[str, str], list[str]] = {
    ("POST", "/api/register"): ["username", "password", "email", "first_name"],
    ("POST", "/api/login"): ["username", "password"],
    ("PUT", "/api/profile/{id}"): ["username", "email", "first_name", "last_name", "phone", "city"],
    ("PUT", "/api/profile/{id}/setpassword"): ["username", "old_password", "password"],
    ("POST", "/api/bucket"): ["product", "quantity"],
    ("PUT", "/api/bucket/{id}"): ["quantity"],
    ("POST", "/api/bucket/{id}"): ["quantity"],
    ("POST", "/api/orders"): ["payment"],
    ("POST", "/api/orders/{id}/payment"): ["method"],
    ("POST", "/api/orders/{id}/payment/confirm"): ["card_token"],
    ("POST", "/api/admin/products"): [
        "name",
        "price",
        "description",
        "product_type",
        "status",
        "stock",
        "active",
    ],
    ("PUT", "/api/admin/products/{id}"): ["name", "price", "stock", "status", "active"],
    ("PATCH", "/api/admin/products/{id}"): ["name", "price", "stock", "status", "active"],
}

DEEP: Any = "bottom"
for _ in range(60):
    DEEP = {"nested": [DEEP]}

WRONG_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    -(10**30),
    10**30,
    1.5,
    1e308,
    "",
    " ",
    "x" * 100_000,
    "\x00",
    "a\x00b",
    "zażółć 😀 \u202e\u200b",
    "😀" * 500,
    "'; DROP TABLE shop_customer; --",
    "../../etc/passwd",
    str(uuid.uuid4()),
    "-1",
    "1e400",
    "NaN",
    [],
    [1, "two"],
    {},
    {"nested": {"deep": [1, {"x": None}]}},
    DEEP,
]

RAW_BODIES: list[bytes] = [
    b"",
    b"not json",
    b'{"quantity": ',
    b'{"a": 1}}',
    b"\x00\x01\x02",
    b"\xff\xfe\xfd",
    b'{"quantity": NaN}',
    b'{"quantity": Infinity}',
    b'{"username": "\\ud800", "password": "\\udfff", "quantity": 1}',
    b'{"a": 1, "a": 2}',
    b"[" * 5_000 + b"]" * 5_000,
    b'{"x":' * 5_000 + b"1" + b"}" * 5_000,
    b"[" * 100_000,
    b"1" * 5_000,
]

WHOLE_BODIES: list[Any] = [[], ["x"], "x", None, 0, 10**30, -1, True, {}, {"": ""}, DEEP]

# Raw query strings, percent-encoded as a client would send them.
QUERIES: list[str] = [
    f"page={10**30}",
    "page=-1",
    "page=%00",
    "page_size=1e3",
    "page=1&page=2",
    "name=%00",
    "name=" + "x" * 5_000,
    "name=%ED%A0%80",
    "name=%FF%FE",
    "type=%25",
    "name=_",
    "ordering=price%3B%20DROP",
    "ordering[]=name",
    "status=%00",
    "unknown=1",
    "%zz=%zz",
    "&&&==",
]


# The contract's error table: each code and its one HTTP status.
CONTRACT_STATUS = {
    1000: 400,
    1001: 404,
    1003: 409,
    1004: 404,
    1005: 422,
    1006: 405,
    1007: 413,
    1008: 409,
    1041: 409,
    1042: 409,
    1043: 409,
    1044: 404,
    1045: 404,
    1083: 409,
    2001: 409,
    3001: 404,
    3002: 403,
    3003: 403,
    3004: 429,
    3005: 403,
    5001: 409,
    5002: 402,
    5003: 400,
    5004: 403,
    5005: 502,
    5006: 409,
    5007: 409,
    5011: 409,
}


def routes() -> list[tuple[str, str]]:
    return [(m, r) for r, methods in CONTRACT_ROUTES.items() for m in sorted(methods)]


@pytest.fixture
def world(customer: Api, staff: Api, make_product: Any) -> dict[str, Any]:
    """A customer with a bucket line and an order, and staff, so ids are real ones."""
    product = make_product(stock=1000)
    ordered = make_product(stock=1000)
    assert customer.post("/api/bucket", {"product": ordered, "quantity": 1}).status_code == 201
    order = customer.post("/api/orders", {"payment": "card"}).json()["order_uuid"]
    line = customer.post("/api/bucket", {"product": product, "quantity": 1}).json()["bucket_uuid"]
    return {"customer": customer, "staff": staff, "product": product, "order": order, "line": line}


def target(world: dict[str, Any], route: str) -> tuple[Api, str]:
    api: Api = world["staff"] if route.startswith("/api/admin/") else world["customer"]
    ids = {
        "/api/profile/": api.user_id,
        "/api/bucket/": world["line"],
        "/api/orders/": world["order"],
        "/api/admin/orders/": world["order"],
        "/api/admin/products/": world["product"],
        "/api/products/": world["product"],
    }
    for prefix, value in ids.items():
        if route.startswith(prefix):
            return api, route.replace("{id}", str(value))
    return api, route


def bodies_for(method: str, route: str) -> Iterator[tuple[str, bytes]]:
    """(label, raw JSON body) pairs: broken JSON, wrong whole bodies, wrong field types."""
    for raw in RAW_BODIES:
        yield f"raw {raw[:30]!r}", raw
    for whole in WHOLE_BODIES:
        yield f"body {str(whole)[:30]}", json.dumps(whole).encode()
    fields = FIELDS.get((method, route), ["username", "quantity", "payment"])
    for field in fields:
        for value in WRONG_VALUES:
            yield f"{field}={str(value)[:30]!r}", json.dumps({field: value}).encode()
    for value in WRONG_VALUES:
        yield f"all={str(value)[:30]!r}", json.dumps(dict.fromkeys(fields, value)).encode()


def check(response: Any, label: str) -> str | None:
    """A problem with the answer, or None when it is within the contract."""
    if response.status_code >= 500:
        return f"{label}: {response.status_code} {response.content[:200]!r}"
    if response.status_code >= 400:
        try:
            status, code = error_of(response)
        except Exception as problem:  # report every bad answer, not only the first
            return f"{label}: {response.status_code} not the error shape ({problem})"
        if CONTRACT_STATUS.get(code) != status:
            return f"{label}: code {code!r} answered with HTTP {status}"
    return None


@pytest.mark.parametrize(("method", "route"), routes())
def test_garbage_never_breaks_a_route(world: dict[str, Any], method: str, route: str) -> None:
    api, path = target(world, route)
    problems: list[str] = []
    if method == "GET":
        for query in QUERIES:
            problems.append(check(api.get(f"{path}?{query}"), f"?{query[:40]}"))
    else:
        for label, raw in bodies_for(method, route):
            response = api.send(method, path, raw=raw)
            problems.append(check(response, label))
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "*/*"):
            response = api.send(method, path, raw=b"a=1&b=\x00", content_type=content_type)
            problems.append(check(response, f"content type {content_type!r}"))

    found = [p for p in problems if p]
    assert not found, "\n".join(found[:20])


# --- property-based: arbitrary JSON, bounded -----------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)


def shaped_bodies(fields: list[str]) -> st.SearchStrategy[Any]:
    return json_values | st.fixed_dictionaries({}, optional=dict.fromkeys(fields, json_values))


@pytest.mark.parametrize(
    ("method", "route"),
    [key for key in FIELDS if key[1] not in ("/api/orders/{id}/payment",)],
)
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_arbitrary_json_never_breaks_a_route(
    world: dict[str, Any], method: str, route: str, data: st.DataObject
) -> None:
    body = data.draw(shaped_bodies(FIELDS[(method, route)]))
    api, path = target(world, route)

    response = api.send(method, path, raw=json.dumps(body).encode())

    problem = check(response, f"{body!r}"[:300])
    assert problem is None, problem
