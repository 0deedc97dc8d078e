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
    5008: 409,
    5009: 409,
    5010: 404,
    5011: 409,
    6001: 404,
    6002: 400,
    # Part 2, addresses and delivery (1013: this shop's extension).
    1010: 404,
    1011: 400,
    1012: 409,
    1013: 404,
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
    home = {"name": "J", "street": "Prosta 1", "postal_code": "00-950", "city": "Warszawa"}
    address = customer.post("/api/addresses", home).json()["uuid"]
    method = {"code": "courier", "name": "Courier", "kind": "courier", "price": "9.99"}
    assert staff.post("/api/admin/delivery-methods", method).status_code == 201
    return {"customer": customer, "staff": staff, "product": product, "order": order,
            "line": line, "address": address}  # fmt: skip


def target(world: dict[str, Any], route: str) -> tuple[Api, str]:
    api: Api = world["staff"] if route.startswith("/api/admin/") else world["customer"]
    ids = {
        "/api/profile/": api.user_id,
        "/api/bucket/": world["line"],
        "/api/orders/": world["order"],
        "/api/admin/orders/": world["order"],
        "/api/admin/products/": world["product"],
        "/api/products/": world["product"],
        "/api/addresses/": world["address"],
        "/api/admin/delivery-methods/": "courier",
        # Unknown ids answer 404/6001 to the methods the routes have; the others, 405.
        "/api/admin/webhooks/": "00000000-0000-4000-8000-000000000000",
        "/api/admin/refunds/": "00000000-0000-4000-8000-000000000000",  # 404/5010
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


# --- every path outside /api/ too: 404 for what is missing, 405 for a wrong method -------

# Every method a client may send, one no server knows included.
EVERY_METHOD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND")
PAGE_METHODS = {"GET", "HEAD", "POST"}  # the admin's pages and forms, the sandbox's page
STATIC_METHODS = {"GET", "HEAD"}

MISSING_STATIC = [
    "/static/nothing.js",
    "/static/admin/css/nothing.css",
    "/static/..%2f..%2fsettings.py",
    "/static/..%2F..%2F..%2Fetc%2Fpasswd",
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/admin/..%2f..%2f..%2f..%2fetc/passwd",
    "/static/a%00b.js",
    "/static/%00",
    "/static/%ff%fe.css",
    "/static/" + "a" * 5_000,
    "/static//etc/passwd",
]
UNKNOWN_ADMIN = [
    "/admin/nothing/",
    "/admin/nothing",
    "/admin/shop/nothing/",
    "/admin/shop/nothing/extra/",
    "/admin/auth/nothing/",
    "/admin/..%2f..%2fetc/passwd",
    "/admin/%00/",
    "/admin/" + "a" * 5_000 + "/",
]
KNOWN_ADMIN = ["/admin/", "/admin/login/", "/admin/logout/", "/admin/shop/product/"]
BAD_CHALLENGES = ["abc", "a%00b", "%ff", "x" * 5_000, "a.b.c", "%2e%2e"]
# Paths under routed prefixes that no route matches, whatever the method.
NO_ROUTE = [
    "/sandbox/3ds/..%2f..%2fetc%2fpasswd",
    "/sandbox/3ds/a/b",
    "/sandbox/",
    "/sandbox/nothing",
    "/healthz/extra",
    "/api/..%2fadmin/",
    "/api/products/..%2f..%2fadmin/",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/static",
]


def raw_call(api: Api, method: str, path: str) -> Any:
    """Any method, a CSRF token as a browser sends it, nothing in the body."""
    token = api.client.cookies.get("csrftoken")
    return api.client.generic(
        method, path, b"", HTTP_X_CSRFTOKEN=token.value if token else api.csrf()
    )


def answer_problem(response: Any, method: str, label: str, expected: set[int]) -> str | None:
    """None when the answer is one of the expected statuses (and, for an error with a
    body, in the contract's shape, 405 with an Allow header); else what is wrong."""
    status = response.status_code
    if status not in expected:
        body = b"(a file)" if response.streaming else response.content[:150]
        return f"{method} {label[:80]}: {status} (expected {sorted(expected)}) {body!r}"
    if status >= 400 and method != "HEAD":
        problem = check(response, f"{method} {label[:80]}")
        if problem:
            return problem
    if status == 405 and not response.get("Allow"):
        return f"{method} {label[:80]}: 405 without an Allow header"
    return None


def walk(api: Api, paths: list[str], expect: Any) -> list[str]:
    problems = []
    for path in paths:
        for method in EVERY_METHOD:
            problems.append(
                answer_problem(raw_call(api, method, path), method, path, expect(method))
            )
    return [p for p in problems if p]


def test_paths_no_route_matches_are_404_for_every_method(anon: Api, staff: Api) -> None:
    for api in (anon, staff):
        found = walk(api, NO_ROUTE, lambda method: {404})
        assert not found, "\n".join(found[:20])


@pytest.fixture
def superuser(staff: Api) -> Api:
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(pk=staff.user_id).update(is_superuser=True)
    return staff


def test_static_files_missing_or_out_of_reach_are_404(anon: Api, customer: Api) -> None:
    def expect(method: str) -> set[int]:
        return {404} if method in STATIC_METHODS else {405}

    for api in (anon, customer):
        found = walk(api, MISSING_STATIC, expect)
        assert not found, "\n".join(found[:20])


def test_a_static_file_that_exists_answers_only_get_and_head(anon: Api) -> None:
    def expect(method: str) -> set[int]:
        return {200} if method in STATIC_METHODS else {405}

    found = walk(anon, ["/static/admin/css/base.css"], expect)
    assert not found, "\n".join(found)


def test_unknown_admin_pages_are_404_for_staff(superuser: Api, staff: Api) -> None:
    def expect(method: str) -> set[int]:
        return {404} if method in PAGE_METHODS else {405}

    found = walk(superuser, UNKNOWN_ADMIN, expect)
    assert not found, "\n".join(found[:20])


def test_unknown_admin_pages_send_others_to_the_login(anon: Api, customer: Api) -> None:
    # Django's admin tells nobody but staff which of its pages exist: the login page.
    def expect(method: str) -> set[int]:
        return {302} if method in PAGE_METHODS else {405}

    for api in (anon, customer):
        found = walk(api, UNKNOWN_ADMIN, expect)
        assert not found, "\n".join(found[:20])
        redirect = raw_call(api, "GET", "/admin/nothing/")
        assert redirect["Location"].startswith("/admin/login/")


def test_admin_pages_answer_only_page_methods(superuser: Api, anon: Api) -> None:
    for api in (superuser, anon):
        for path in KNOWN_ADMIN:
            for method in EVERY_METHOD:
                response = raw_call(api, method, path)
                if method in PAGE_METHODS:
                    # Pages, form posts and redirects; /admin/logout/ is POST only (405).
                    problem = answer_problem(response, method, path, {200, 302, 405})
                else:
                    problem = answer_problem(response, method, path, {405})
                assert problem is None, problem
                if response.status_code == 405 and method != "HEAD":
                    assert error_of(response) == (405, 1006)


def test_the_sandbox_page_answers_get_and_post_only(customer: Api, make_product: Any) -> None:
    customer.post("/api/bucket", {"product": make_product(), "quantity": 1})
    order = customer.post("/api/orders", {"payment": "card"}).json()["order_uuid"]
    assert customer.post(f"/api/orders/{order}/payment", {}).status_code == 201
    confirm = customer.post(
        f"/api/orders/{order}/payment/confirm", {"card_token": "pm_card_threeDSecure2Required"}
    )
    url = confirm.json()["next_action"]["url"]
    real = "/sandbox/3ds/" + url.rsplit("/sandbox/3ds/", 1)[1]

    def expect(method: str) -> set[int]:
        # The page, a refused challenge (403/5004), a used one (409); nothing else.
        return {200, 403, 404, 409} if method in PAGE_METHODS else {405}

    found = walk(customer, [f"/sandbox/3ds/{c}" for c in BAD_CHALLENGES], expect)
    found += walk(customer, [real], expect)
    assert not found, "\n".join(found[:20])
    refused = raw_call(customer, "PUT", real)
    assert error_of(refused) == (405, 1006)
    assert refused["Allow"] == "GET, HEAD, POST"


@pytest.mark.parametrize("route", sorted(CONTRACT_ROUTES))
def test_every_api_route_answers_any_method_without_a_500(
    world: dict[str, Any], route: str
) -> None:
    api, path = target(world, route)
    for method in ("OPTIONS", "TRACE", "PROPFIND"):
        # OPTIONS describes the route (DRF's answer) or is not allowed; never a 500.
        expected = {200, 405} if method == "OPTIONS" else {405}
        problem = answer_problem(raw_call(api, method, path), method, path, expected)
        assert problem is None, problem


ROUTED_PREFIXES = ("api", "admin", "static", "sandbox", "healthz")


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    segments=st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=4),
    method=st.sampled_from(EVERY_METHOD),
)
def test_random_paths_are_404(customer: Api, segments: list[str], method: str) -> None:
    from urllib.parse import quote

    path = "/" + "/".join(quote(s.encode("utf-8", "surrogatepass"), safe="") for s in segments)
    first = path[1:].split("/", 1)[0].lower()
    if not first or first.startswith(ROUTED_PREFIXES) or first in (".", ".."):
        return  # a routed prefix (its own tests above) or the root

    response = raw_call(customer, method, path)

    problem = answer_problem(response, method, path, {404})
    assert problem is None, problem


@pytest.mark.parametrize("path", ["/", "/admin", "/api", "/static/", "/sandbox/3ds/"])
@pytest.mark.parametrize("method", EVERY_METHOD)
def test_the_bare_prefixes_never_break(staff: Api, method: str, path: str) -> None:
    # "/" and "/admin" may become a pointer page and a redirect; never a 500.
    response = raw_call(staff, method, path)

    problem = answer_problem(response, method, path, {200, 301, 302, 404, 405})
    assert problem is None, problem
