"""The contract's conventions, route by route: trailing slashes, JSON 404/405/413 answers,
CSRF on every unsafe request, malformed bodies, health, schema and docs."""

from __future__ import annotations

import io
import json
import re
import uuid
from html.parser import HTMLParser
from typing import Any

import pytest
import yaml
from django.urls import URLPattern, URLResolver, get_resolver

from tests.integration.conftest import PASSWORD, Api, error_of

ID = "{id}"

# Every route of the contract and the methods it answers.
CONTRACT_ROUTES: dict[str, set[str]] = {
    "/api/csrf": {"GET"},
    "/api/register": {"POST"},
    "/api/login": {"POST"},
    "/api/logout": {"GET", "POST"},
    "/api/profile": {"GET"},
    "/api/profile/{id}": {"PUT"},
    "/api/profile/{id}/setpassword": {"PUT"},
    "/api/products": {"GET"},
    "/api/products/{id}": {"GET"},
    "/api/bucket": {"GET", "POST"},
    "/api/bucket/{id}": {"PUT", "POST", "DELETE"},
    "/api/orders": {"GET", "POST"},
    "/api/orders/{id}": {"GET"},
    "/api/orders/{id}/set_canceled": {"POST"},
    "/api/orders/{id}/payment": {"GET", "POST"},
    "/api/orders/{id}/payment/confirm": {"POST"},
    "/api/payments/payu/notify": {"POST"},
    "/api/payments/stripe/webhook": {"POST"},
    "/api/admin/products": {"GET", "POST"},
    "/api/admin/products/{id}": {"GET", "PUT", "PATCH", "DELETE"},
    "/api/admin/orders": {"GET"},
    "/api/admin/orders/{id}": {"GET"},
    "/api/admin/orders/{id}/set_paid": {"POST"},
    "/api/admin/events": {"GET"},
    "/api/admin/orders/{id}/refunds": {"GET", "POST"},
    "/api/admin/refunds/{id}/mark_sent": {"POST"},
    "/api/admin/webhooks": {"GET", "POST"},
    "/api/admin/webhooks/{id}": {"GET", "PUT", "PATCH", "DELETE"},
    "/api/admin/webhooks/{id}/test": {"POST"},
    "/api/admin/webhooks/{id}/deliveries": {"GET"},
    "/api/admin/webhooks/deliveries/{id}/retry": {"POST"},
    "/api/delivery-methods": {"GET"},
    "/api/addresses": {"GET", "POST"},
    "/api/addresses/{id}": {"GET", "PUT", "DELETE"},
    "/api/admin/delivery-methods": {"GET", "POST"},
    "/api/admin/delivery-methods/{id}": {"GET", "PUT", "PATCH", "DELETE"},
    "/api/admin/orders/{id}/fulfil": {"POST"},
    "/api/schema": {"GET"},
    "/api/docs": {"GET"},
    "/healthz": {"GET"},
}
ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Signed provider callbacks carry no session, hence no CSRF token (the signature is the check).
NO_SESSION_ROUTES = {"/api/payments/payu/notify", "/api/payments/stripe/webhook"}
UNSAFE = [
    (method, route)
    for route, methods in CONTRACT_ROUTES.items()
    for method in sorted(methods - {"GET"})
    if route not in NO_SESSION_ROUTES
]


def routed_paths() -> set[str]:
    """Every path pattern the URL configuration serves, ids written as {id}."""
    found: set[str] = set()

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                continue  # the Django admin site
            assert isinstance(p, URLPattern)
            found.add("/" + re.sub(r"<[^>]+>", ID, prefix + str(p.pattern)).rstrip("/"))

    walk(get_resolver().url_patterns, "")
    return found


def fill(route: str, api: Api) -> str:
    """The route with an id: the caller's own for profile routes, a fresh uuid elsewhere."""
    if route.startswith("/api/profile/"):
        return route.replace(ID, str(api.user_id))
    return route.replace(ID, str(uuid.uuid4()))


def call(api: Api, method: str, path: str, body: Any = None, **kw: Any) -> Any:
    if method == "GET":
        return api.get(path)
    return api.send(method, path, body, **kw)


# --- the route table ---------------------------------------------------------------------


def test_the_table_names_every_routed_path() -> None:
    served = {p for p in routed_paths() if p.startswith(("/api/", "/healthz"))}

    assert served == set(CONTRACT_ROUTES)


# --- trailing slashes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "route"),
    [(m, r) for r, methods in CONTRACT_ROUTES.items() for m in sorted(methods)],
)
def test_every_route_answers_with_and_without_a_trailing_slash(
    staff: Api, method: str, route: str
) -> None:
    path = fill(route, staff)

    bare = call(staff, method, path, {})
    slashed = call(staff, method, path + "/", {})

    assert bare.status_code == slashed.status_code, (bare.content, slashed.content)
    for response in (bare, slashed):
        assert response.status_code not in (301, 302, 405, 500), response.content
        if response.status_code == 404:
            assert error_of(response)[1] != 1004, "the route was not found"


def test_the_same_body_with_and_without_the_slash(customer: Api, make_product: Any) -> None:
    product = make_product()

    assert (
        customer.get(f"/api/products/{product}").json()
        == customer.get(f"/api/products/{product}/").json()
    )
    added = customer.post("/api/bucket/", {"product": product, "quantity": 1})
    assert added.status_code == 201
    line = added.json()["bucket_uuid"]
    assert customer.put(f"/api/bucket/{line}/", {"quantity": 2}).json()["quantity"] == 2
    assert customer.get("/api/bucket").json() == customer.get("/api/bucket/").json()


# --- 404 and 405 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/nothing",
        "/api/",
        "/api",
        "/nothing",
        "/api/products/list",
        f"/api/products/{uuid.uuid4()}/extra",
        "/api//products",
        "/api/login//",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_an_unknown_route_is_a_json_404(customer: Api, path: str, method: str) -> None:
    response = call(customer, method, path, {})

    assert error_of(response) == (404, 1004)
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/products/123"),
        ("GET", "/api/products/not-a-uuid"),
        ("GET", f"/api/products/{str(uuid.uuid4())[:-1]}"),
        ("PUT", "/api/bucket/abc"),
        ("DELETE", "/api/bucket/1"),
        ("GET", "/api/orders/xyz"),
        ("POST", "/api/orders/xyz/set_canceled"),
        ("GET", "/api/orders/xyz/payment"),
        ("POST", "/api/orders/xyz/payment/confirm"),
        ("PUT", "/api/profile/me"),
        ("PUT", "/api/profile/me/setpassword"),
        ("GET", "/api/admin/products/7"),
        ("GET", "/api/admin/orders/7"),
        ("POST", "/api/admin/orders/7/set_paid"),
    ],
)
def test_a_path_id_that_is_not_a_uuid_is_404_route_not_found(
    staff: Api, method: str, path: str
) -> None:
    assert error_of(call(staff, method, path, {"quantity": 1})) == (404, 1004)


@pytest.mark.parametrize(
    ("method", "route"),
    [(m, r) for r, methods in CONTRACT_ROUTES.items() for m in ALL_METHODS if m not in methods],
)
def test_a_wrong_method_is_405(staff: Api, method: str, route: str) -> None:
    response = call(staff, method, fill(route, staff), {})

    assert error_of(response) == (405, 1006)


# --- CSRF --------------------------------------------------------------------------------


def test_csrf_is_needed_before_login_too(anon: Api) -> None:
    body = {"username": "forged_user", "password": PASSWORD, "email": "forged@example.com"}

    no_cookie = anon.post("/api/register", body, csrf=False)
    anon.csrf()
    no_header = anon.post("/api/register", body, csrf=False)
    wrong = anon.post("/api/register", body, csrf="x" * 32)

    assert error_of(no_cookie) == (403, 3003)
    assert error_of(no_header) == (403, 3003)
    assert error_of(wrong) == (403, 3003)
    assert error_of(anon.login("forged_user")) == (404, 3001)


def test_a_login_without_csrf_logs_nobody_in(anon: Api) -> None:
    anon.register()

    response = anon.post(
        "/api/login", {"username": anon.username, "password": PASSWORD}, csrf=False
    )

    assert error_of(response) == (403, 3003)
    assert "sessionid" not in anon.client.cookies or not anon.client.cookies["sessionid"].value
    assert error_of(anon.get("/api/profile")) == (403, 3002)


@pytest.mark.parametrize("token", [False, "wrong-token", "another-clients"])
@pytest.mark.parametrize(("method", "route"), UNSAFE)
def test_an_unsafe_request_without_a_valid_csrf_token_is_403(
    staff: Api, new_api: Any, method: str, route: str, token: Any
) -> None:
    if token == "another-clients":
        token = new_api().csrf()  # well formed, but not this client's secret

    response = call(staff, method, fill(route, staff), {}, csrf=token)

    assert error_of(response) == (403, 3003)


def test_refused_csrf_requests_change_nothing(customer: Api, make_product: Any) -> None:
    product = make_product(stock=5)
    line = customer.post("/api/bucket", {"product": product, "quantity": 1}).json()["bucket_uuid"]

    attempts = [
        customer.post("/api/bucket", {"product": make_product(), "quantity": 1}, csrf=False),
        customer.put(f"/api/bucket/{line}", {"quantity": 4}, csrf="bad"),
        customer.delete(f"/api/bucket/{line}", csrf=False),
        customer.post("/api/orders", {"payment": "card"}, csrf=False),
        customer.put(
            f"/api/profile/{customer.user_id}",
            {"username": "hijacked", "email": "evil@example.com"},
            csrf=False,
        ),
        customer.put(
            f"/api/profile/{customer.user_id}/setpassword",
            {"username": customer.username, "old_password": PASSWORD, "password": "Evil-Pass-123!"},
            csrf=False,
        ),
        customer.post("/api/logout", csrf=False),
    ]

    assert {error_of(r) for r in attempts} == {(403, 3003)}
    bucket = customer.get("/api/bucket").json()
    assert [(r["bucket_uuid"], r["quantity"]) for r in bucket["results"]] == [(line, 1)]
    assert customer.get("/api/orders").json()["count"] == 0
    assert customer.get("/api/profile").json()["results"][0]["username"] == customer.username
    assert customer.get(f"/api/products/{product}").json()["quantity"] == 4


def test_a_valid_token_from_the_cookie_is_accepted(customer: Api) -> None:
    token = customer.client.cookies["csrftoken"].value

    assert customer.post("/api/logout", csrf=token).status_code == 200


# --- request size ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "route"),
    [(m, r) for r, methods in CONTRACT_ROUTES.items() for m in sorted(methods - {"GET"})],
)
def test_a_body_over_the_default_limit_is_413(customer: Api, method: str, route: str) -> None:
    huge = {"username": "a", "padding": "x" * (300 * 1024)}

    response = call(customer, method, fill(route, customer), huge)

    assert error_of(response) == (413, 1007)


def test_the_limit_is_the_configured_one_and_nothing_changes(new_api: Any, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    api = new_api()  # a fresh client builds its middleware with the new limit
    name = f"big_{uuid.uuid4().hex[:8]}"
    body = {"username": name, "password": PASSWORD, "email": f"{name}@example.com"}

    too_big = api.post("/api/register", {**body, "first_name": "x" * 2_500})
    fits = api.post("/api/register", {**body, "first_name": "x" * 100})

    assert error_of(too_big) == (413, 1007)
    assert too_big.json()["details"] == {"limit_bytes": 2_000}
    assert fits.status_code == 201


def send_chunked(api: Api, method: str, path: str, raw: bytes) -> Any:
    """The body as gunicorn hands over one sent with Transfer-Encoding: chunked:
    de-chunked, with no Content-Length."""
    token = api.client.cookies.get("csrftoken")
    return api.client.generic(
        method,
        path,
        raw,
        content_type="application/json",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        HTTP_X_CSRFTOKEN=token.value if token else api.csrf(),
        **{"wsgi.input": io.BytesIO(raw)},
    )


def test_a_chunked_body_is_read_like_any_other(customer: Api, make_product: Any) -> None:
    product = make_product()
    raw = json.dumps({"product": product, "quantity": 2}).encode()

    added = send_chunked(customer, "POST", "/api/bucket", raw)

    assert added.status_code == 201, added.content
    assert added.json()["quantity"] == 2
    line = added.json()["bucket_uuid"]
    changed = send_chunked(customer, "PUT", f"/api/bucket/{line}", b'{"quantity": 3}')
    assert changed.status_code == 200 and changed.json()["quantity"] == 3


@pytest.mark.parametrize(
    ("method", "route"),
    [(m, r) for r, methods in CONTRACT_ROUTES.items() for m in sorted(methods - {"GET"})],
)
def test_a_chunked_body_over_the_limit_is_413(customer: Api, method: str, route: str) -> None:
    huge = json.dumps({"username": "a", "padding": "x" * (300 * 1024)}).encode()

    response = send_chunked(customer, method, fill(route, customer), huge)

    assert error_of(response) == (413, 1007)


def test_a_chunked_body_over_the_limit_changes_nothing(customer: Api, make_product: Any) -> None:
    product = make_product()
    raw = json.dumps({"product": product, "quantity": 1, "padding": "x" * (1024 * 1024)}).encode()

    assert error_of(send_chunked(customer, "POST", "/api/bucket", raw)) == (413, 1007)
    assert customer.get("/api/bucket").json()["count"] == 0


# --- malformed bodies --------------------------------------------------------------------

BAD_BODIES: list[tuple[bytes, str]] = [
    (b"{not json", "application/json"),
    (b'{"username": "a", ', "application/json"),
    (b"[]", "application/json"),
    (b'[{"username": "a"}]', "application/json"),
    (b'"a string"', "application/json"),
    (b"42", "application/json"),
    (b"null", "application/json"),
    (b"true", "application/json"),
    (b'{"quantity": NaN}', "application/json"),
    (b"\xff\xfe\x00", "application/json"),
    (b"username=a&password=b", "application/x-www-form-urlencoded"),
    (b"username=a", "text/plain"),
    (b"<xml/>", "application/xml"),
    (
        b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n--x--",
        "multipart/form-data; boundary=x",
    ),
]
# Every route that reads a JSON body (test_the_body_routes_are_every_route_with_a_body).
BODY_ROUTES = [
    ("POST", "/api/register"),
    ("POST", "/api/login"),
    ("PUT", "/api/profile/{id}"),
    ("PUT", "/api/profile/{id}/setpassword"),
    ("POST", "/api/bucket"),
    ("PUT", "/api/bucket/{id}"),
    ("POST", "/api/bucket/{id}"),
    ("POST", "/api/orders"),
    ("POST", "/api/orders/{id}/payment"),
    ("POST", "/api/orders/{id}/payment/confirm"),
    ("POST", "/api/admin/products"),
    ("POST", "/api/admin/orders/{id}/refunds"),
    ("POST", "/api/admin/refunds/{id}/mark_sent"),
    ("PUT", "/api/admin/products/{id}"),
    ("PATCH", "/api/admin/products/{id}"),
    ("POST", "/api/admin/webhooks"),
    ("PUT", "/api/admin/webhooks/{id}"),
    ("PATCH", "/api/admin/webhooks/{id}"),
    ("POST", "/api/addresses"),
    ("PUT", "/api/addresses/{id}"),
    ("POST", "/api/admin/delivery-methods"),
    ("PUT", "/api/admin/delivery-methods/{id}"),
    ("PATCH", "/api/admin/delivery-methods/{id}"),
    ("POST", "/api/admin/orders/{id}/fulfil"),
]
# Signed provider callbacks: their raw bytes go to the signature check, unparsed.
RAW_BODY_ROUTES = {("POST", r) for r in NO_SESSION_ROUTES}


def test_the_body_routes_are_every_route_with_a_body(anon: Api) -> None:
    with_body = {
        (method.upper(), re.sub(r"\{[^}]+\}", ID, path))
        for path, ops in schema_paths(anon).items()
        for method, op in ops.items()
        if isinstance(op, dict) and "requestBody" in op
    }

    assert with_body - RAW_BODY_ROUTES == set(BODY_ROUTES)


@pytest.mark.parametrize(("raw", "content_type"), BAD_BODIES)
@pytest.mark.parametrize(("method", "route"), BODY_ROUTES)
def test_a_malformed_body_is_400(
    staff: Api, method: str, route: str, raw: bytes, content_type: str
) -> None:
    response = staff.send(method, fill(route, staff), raw=raw, content_type=content_type)

    assert error_of(response) == (400, 1000)
    assert response.json()["details"]


def test_a_json_body_with_a_charset_is_fine(anon: Api) -> None:
    name = f"cs_{uuid.uuid4().hex[:8]}"
    raw = (
        f'{{"username": "{name}", "password": "{PASSWORD}", "email": "{name}@example.com"}}'
    ).encode()

    response = anon.send(
        "POST", "/api/register", raw=raw, content_type="application/json; charset=utf-8"
    )

    assert response.status_code == 201


def test_every_error_is_json_even_for_odd_accept_headers(customer: Api) -> None:
    response = customer.client.get("/api/products/nope", HTTP_ACCEPT="text/html")
    assert error_of(response) == (404, 1004)
    response = customer.client.get("/api/products", {"page": "x"}, HTTP_ACCEPT="application/xml")
    assert error_of(response) == (400, 1000)


# --- framing -----------------------------------------------------------------------------


def test_every_answer_says_its_length(customer: Api, make_product: Any) -> None:
    product = make_product()
    answers = [
        customer.get("/api/products"),
        customer.post("/api/bucket", {"product": product, "quantity": 1}),
        customer.post("/api/bucket", {"product": product, "quantity": "many"}),
        customer.get("/no/such/route"),
        customer.post("/api/bucket", {"padding": "x" * (300 * 1024)}),
        customer.post("/api/products"),
        customer.get("/healthz"),
    ]

    assert [a.status_code for a in answers] == [200, 201, 400, 404, 413, 405, 200]
    for answer in answers:
        assert int(answer["Content-Length"]) == len(answer.content)


@pytest.mark.parametrize(
    ("method", "route"),
    [
        (m, r)
        for r, methods in CONTRACT_ROUTES.items()
        if r != "/healthz"  # see the next test
        for m in sorted(methods)
    ],
)
def test_a_host_the_shop_does_not_serve_is_400_on_every_route(
    customer: Api, make_product: Any, method: str, route: str
) -> None:
    product = make_product()
    customer.post("/api/bucket", {"product": product, "quantity": 1})
    path = fill(route, customer)

    if method == "GET":
        response = customer.client.get(path, HTTP_HOST="evil.example")
    else:
        response = customer.send(method, path, {"payment": "card"}, HTTP_HOST="evil.example")

    assert error_of(response) == (400, 1000)
    assert "Host" in response.json()["details"]
    assert customer.get("/api/orders").json()["count"] == 0, "nothing was ordered"
    assert customer.get("/api/bucket").json()["count"] == 1


def test_health_probes_may_name_the_instance_by_address(anon: Api) -> None:
    response = anon.client.get("/healthz", HTTP_HOST="10.1.2.3:8000")

    assert response.status_code == 200


# --- health, schema, docs ----------------------------------------------------------------


def test_healthz_reports_ok(anon: Api) -> None:
    response = anon.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_refuses_other_methods(customer: Api) -> None:
    assert error_of(customer.post("/healthz")) == (405, 1006)
    assert error_of(customer.post("/healthz", csrf=False)) == (403, 3003)


def schema_paths(api: Api) -> dict[str, Any]:
    response = api.get("/api/schema")
    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    assert str(document["openapi"]).startswith("3")
    return dict(document["paths"])


def test_schema_is_openapi_3_and_lists_every_api_route(anon: Api) -> None:
    paths = schema_paths(anon)

    documented = {re.sub(r"\{[^}]+\}", ID, p).rstrip("/") for p in paths}
    api_routes = {r for r in CONTRACT_ROUTES if r.startswith("/api/")}
    api_routes -= {"/api/schema", "/api/docs"}
    missing = api_routes - documented
    assert not missing, f"not in the schema: {sorted(missing)}"


def test_schema_lists_the_methods_of_each_route(anon: Api) -> None:
    paths = {re.sub(r"\{[^}]+\}", ID, p).rstrip("/"): ops for p, ops in schema_paths(anon).items()}

    for route, methods in CONTRACT_ROUTES.items():
        if route in paths:
            documented = {m.upper() for m in paths[route] if m.upper() in ALL_METHODS}
            assert methods <= documented, route


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value and tag in ("script", "link", "img", "iframe"):
                self.urls.append(value)


def test_docs_are_html_that_needs_no_outside_host(anon: Api) -> None:
    response = anon.get("/api/docs")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assets = _Assets()
    assets.feed(html)
    assert assets.urls, "the page loads its scripts from somewhere"
    for url in assets.urls:
        assert not re.match(r"^(https?:)?//", url) or url.startswith("http://testserver/"), url
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//(?!testserver)""", html)
    assert not re.search(r"https?://(cdn|unpkg|fonts)\.", html)


def test_the_docs_assets_are_served_by_the_shop_itself(anon: Api) -> None:
    assets = _Assets()
    assets.feed(anon.get("/api/docs").content.decode())

    for url in assets.urls:
        response = anon.client.get(url.replace("http://testserver", ""))
        assert response.status_code == 200, url
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert content, url
