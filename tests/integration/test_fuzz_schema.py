"""Fuzzing: Schemathesis generates requests from /api/schema and sends them to the real
`shop serve`, logged in, with the CSRF header; every answer must be a non-5xx that the
schema documents (status code, content type, body, headers).

Bounded by counts: a few examples per operation and mode (valid and invalid data); a
generous time cap only stops a run that hangs (it is no speed test: the machines are
shared and noisy), nothing but 127.0.0.1. The seed is fixed so CI is repeatable; set
SHOP_FUZZ_SEED=random (or a number) to explore, SHOP_FUZZ_SCALE and SHOP_FUZZ_BUDGET to
go further. `pytest -s` prints the one-line figures.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis

from tests.integration.conftest import PASSWORD, configured_database_url
from tests.integration.live_server import Browser, LiveShop, live_shop, scratch_database

# Every operation of the document is fuzzed, the signed provider webhooks too (generated
# bodies fail the signature check: a documented 403, or 400 with the provider off).
# Operations that may end the session they are sent with (logout; a password change
# logs out the user's other sessions): each of their cases gets a session of its own.
SESSION_ENDING = {"logout", "logout_post", "profile_set_password"}
# Per operation; SHOP_FUZZ_SCALE multiplies them (for longer hunts by hand). SHOP_FUZZ_BUDGET
# caps the seconds so that a hanging server cannot stall CI; the counts bound the work
# (about 20 s on an idle 2-core machine, several times that on a busy one).
SCALE = float(os.environ.get("SHOP_FUZZ_SCALE", "1"))
EXAMPLES = {
    "coverage": round(6 * SCALE),  # schemathesis' deterministic boundary cases
    "positive": round(12 * SCALE),  # valid data, ids pointed at real rows 3 times in 4
    "negative": round(7 * SCALE),  # invalid data: must be refused with a documented 4xx
}
BUDGET_SECONDS = float(os.environ.get("SHOP_FUZZ_BUDGET", "600"))
REQUEST_TIMEOUT = 5.0


@dataclass
class Identity:
    cookies: dict[str, str]
    headers: dict[str, str]


@dataclass
class Tally:
    cases: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    failures: dict[tuple[str, str], str] = field(default_factory=dict)
    operations: set[str] = field(default_factory=set)
    sent: dict[str, int] = field(default_factory=dict)  # cases per operation

    def fail(self, label: str, title: str, detail: str) -> None:
        self.failures.setdefault((label, title), detail)


STAFF = "fuzz_staff"


@pytest.fixture(scope="module")
def server() -> Iterator[LiveShop]:
    env = {
        # PayU off: no call leaves 127.0.0.1 (the card sandbox and transfers are local).
        "SHOP_PAYU_PROVIDER": "none",
        "SHOP_CARD_PROVIDER": "sandbox",
        # `shop serve` creates this staff account at start.
        "SHOP_ADMIN_USERNAME": STAFF,
        "SHOP_ADMIN_PASSWORD": PASSWORD,
        # Generated logins and password changes fail by the dozen from one address: the
        # fuzzer's own logins must not be throttled (throttling has tests of its own).
        "SHOP_LOGIN_LIMIT_USERNAME": "100000",
        "SHOP_LOGIN_LIMIT_ADDRESS": "100000",
    }
    with scratch_database(configured_database_url()) as url, live_shop(url, env=env) as shop:
        yield shop


def _log_in(
    server: LiveShop, username: str | None = None, *, register: bool = False
) -> tuple[Browser, str, Identity]:
    """A customer registered and logged in (or an existing account logged in): the
    browser, the account's uuid, and the cookies and CSRF header to send."""
    browser = Browser(server.url)
    if username is None or register:
        username = username or f"fuzz_{uuid.uuid4().hex[:8]}"
        registered = browser.post(
            "/api/register",
            {"username": username, "password": PASSWORD, "email": f"{username}@example.com"},
        )
        assert registered.status_code == 201, registered.text
    login = browser.post("/api/login", {"username": username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    cookies = {k: v for k, v in browser.http.cookies.items() if k in ("sessionid", "csrftoken")}
    assert set(cookies) == {"sessionid", "csrftoken"}, cookies
    identity = Identity(cookies=cookies, headers={"X-CSRFToken": cookies["csrftoken"]})
    return browser, login.json()["user"], identity


class Stage:
    """Fresh rows before each operation, so generated requests reach past the 404s:
    three orders with a payment started (card, card waiting for 3-D Secure, transfer:
    each kind of `next_action`) and a bucket line."""

    PAYMENTS = (("card", None), ("card", "pm_card_threeDSecure2Required"), ("transfer", None))

    def __init__(self, browser: Browser, customer_id: str):
        self.browser = browser
        found = browser.get("/api/products", params={"page_size": 100}).json()["results"]
        assert len(found) >= 4, "shop serve loads the demo catalog"
        self.products = [p["uuid"] for p in found]
        self.turn = 0
        # Ids that exist, by path parameter name.
        self.known: dict[str, list[str]] = {
            "customer_id": [customer_id],
            "product_id": self.products[:10],
        }

    def _product(self) -> str:
        self.turn += 1
        return self.products[self.turn % len(self.products)]

    def _order(self, method: str, card_token: str | None) -> str | None:
        self.browser.post("/api/bucket", {"product": self._product(), "quantity": 1})
        placed = self.browser.post("/api/orders", {"payment": method})
        if placed.status_code != 201:
            return None
        order = placed.json()["order_uuid"]
        self.browser.post(f"/api/orders/{order}/payment", {})
        if card_token:
            self.browser.post(f"/api/orders/{order}/payment/confirm", {"card_token": card_token})
        return str(order)

    def refresh(self) -> None:
        orders = [o for o in (self._order(*payment) for payment in self.PAYMENTS) if o]
        if orders:
            self.known["order_id"] = orders
        line = self.browser.post("/api/bucket", {"product": self._product(), "quantity": 1})
        if line.status_code == 201:
            self.known["line_id"] = [line.json()["bucket_uuid"]]


def _seed() -> int | None:
    value = os.environ.get("SHOP_FUZZ_SEED", "20260101")
    return None if value == "random" else int(value)


def test_fuzz_every_operation_from_the_schema(server: LiveShop) -> None:
    import requests
    from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
    from hypothesis import strategies as st
    from hypothesis.errors import Unsatisfiable
    from schemathesis.core.failures import FailureGroup
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    customer_browser, customer_id, customer = _log_in(server)
    staff_browser, _, staff = _log_in(server, STAFF)
    staff_browser.close()
    leaver_name = f"fuzz_{uuid.uuid4().hex[:8]}"  # for the session-ending operations
    leaver_browser, leaver_id, _ = _log_in(server, leaver_name, register=True)
    leaver_browser.close()

    def fresh_session() -> Identity:
        browser, _, identity = _log_in(server, leaver_name)
        browser.close()
        return identity

    stage = Stage(customer_browser, customer_id)

    schema = schemathesis.openapi.from_url(
        f"{server.url}/api/schema?format=json", timeout=REQUEST_TIMEOUT
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    # Customer routes first: staff routes deactivate and reprice products.
    operations.sort(key=lambda op: op.path.startswith("/api/admin/"))
    checks = [
        status_code_conformance,
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
    ]
    tally = Tally()
    http = requests.Session()
    chosen_seed = _seed()
    deadline = time.monotonic() + BUDGET_SECONDS
    rng = random.Random(chosen_seed)

    def exercise(case: Any, operation: Any) -> None:
        if time.monotonic() > deadline:
            return
        who = staff if operation.path.startswith("/api/admin/") else customer
        if operation.definition.raw.get("operationId") in SESSION_ENDING:
            who = fresh_session()
        documented = {str(code) for code in operation.definition.raw.get("responses", {})}
        http.cookies.clear()
        try:
            response = case.call(
                base_url=server.url,
                session=http,
                headers=who.headers,
                cookies=who.cookies,
                timeout=REQUEST_TIMEOUT,
            )
        except requests.RequestException as error:
            tally.cases += 1
            tally.fail(operation.label, "no answer", f"{type(error).__name__}: {error}")
            return
        tally.cases += 1
        tally.sent[operation.label] = tally.sent.get(operation.label, 0) + 1
        status = response.status_code
        tally.by_status[status] = tally.by_status.get(status, 0) + 1
        if status >= 500 and not (status == 502 and "502" in documented):
            tally.fail(
                operation.label,
                f"server error {status}",
                f"{response.text[:300]}\n{case.as_curl_command(headers=who.headers)}",
            )
        try:
            case.validate_response(response, checks=checks, headers=who.headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                tally.fail(
                    operation.label,
                    f"{type(failure).__name__}: {failure.title}",
                    f"{failure.message[:600]}\nstatus {status}: {response.text[:300]}",
                )

    def boundaries(operation: Any, count: int) -> None:
        """Schemathesis' coverage phase: boundary and missing values, deterministic."""
        cases = schema.iter_coverage_cases(
            operation,
            generation_modes=list(schemathesis.GenerationMode),
            generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
        )
        for case in itertools.islice(cases, count):
            exercise(case, operation)

    def run(operation: Any, mode: str, count: int) -> None:
        if operation.definition.raw.get("operationId") in SESSION_ENDING:
            stage.known["customer_id"] = [leaver_id]
        else:
            stage.known["customer_id"] = [customer_id]
        if mode == "coverage":
            boundaries(operation, count)
            return
        strategy = operation.as_strategy(generation_mode=schemathesis.GenerationMode(mode))

        @settings(
            max_examples=count,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
            derandomize=False,
        )
        @given(case=strategy, coin=st.integers(0, 3))
        def one(case: Any, coin: int) -> None:
            if mode == "positive" and coin:
                _use_known_ids(case, stage.known, rng)
            exercise(case, operation)

        if chosen_seed is not None:
            one = seed(chosen_seed)(one)
        try:
            one()
        except Unsatisfiable:
            assert mode == "negative", operation.label  # nothing in it can be made invalid

    started = time.monotonic()
    try:
        for operation in operations:
            if time.monotonic() > deadline:
                break
            tally.operations.add(operation.label)
            stage.refresh()
            for mode, count in EXAMPLES.items():
                run(operation, mode, count)
    finally:
        customer_browser.close()
        http.close()
    elapsed = time.monotonic() - started

    for (label, title), detail in sorted(tally.failures.items()):
        print(f"\nFUZZ FAILURE {label}: {title}\n{detail}")
    statuses = " ".join(f"{code}:{n}" for code, n in sorted(tally.by_status.items()))
    print(
        f"\nfuzz: {len(tally.operations)} operations, {tally.cases} cases, "
        f"{len(tally.failures)} failures in {elapsed:.1f}s (seed {chosen_seed}; statuses {statuses})"
    )
    assert len(tally.operations) == len(operations), (
        "every operation was fuzzed before the cap (a hang?)"
    )
    unsent = sorted(op.label for op in operations if not tally.sent.get(op.label))
    assert not unsent, f"operations no case reached: {unsent}"
    fuzzed = {(op.method.upper(), op.path) for op in operations}
    assert fuzzed == _documented_operations(server), "every operation of the document"
    assert {(m, re.sub(r"\{[^}]+\}", "{id}", p)) for m, p in fuzzed} >= _contract_operations()
    assert not tally.failures, sorted(tally.failures)


def _documented_operations(server: LiveShop) -> set[tuple[str, str]]:
    """Every (method, path) the OpenAPI document lists, read without schemathesis."""
    document = httpx.get(f"{server.url}/api/schema?format=json", timeout=REQUEST_TIMEOUT).json()
    methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    return {(m.upper(), p) for p, ops in document["paths"].items() for m in ops if m in methods}


def _contract_operations() -> set[tuple[str, str]]:
    """Every route and method of the contract's API (the schema and docs pages aside)."""
    from tests.integration.test_http_conventions import CONTRACT_ROUTES

    return {
        (method, route)
        for route, methods in CONTRACT_ROUTES.items()
        if route.startswith("/api/") and route not in ("/api/schema", "/api/docs")
        for method in methods
    }


def _use_known_ids(case: Any, known: dict[str, list[str]], rng: random.Random) -> None:
    """Point path ids (and a bucket body's product) at rows that exist."""
    for name in list(case.path_parameters or {}):
        if name in known:
            case.path_parameters[name] = rng.choice(known[name])
    if isinstance(case.body, dict) and "product" in case.body:
        case.body["product"] = rng.choice(known["product_id"])


# --- what the fuzzing found ------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (
            b"GET /api/products?name=" + b"x" * 5000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            414,
            1007,
        ),
        (
            b"GET /api/products HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"x" * 9000 + b"\r\n\r\n",
            431,
            1007,
        ),
        (b"NOT A REQUEST LINE\r\n\r\n", 400, 1000),
    ],
    ids=["request-line-too-long", "header-too-large", "malformed"],
)
def test_requests_the_server_refuses_before_the_api_answer_json_too(
    server: LiveShop, request_bytes: bytes, status: int, code: int
) -> None:
    """gunicorn refuses these before Django sees them; it used to answer an HTML page."""
    import json
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
        sock.sendall(request_bytes)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b" ", 2)[1] == str(status).encode(), head
    assert b"content-type: application/json" in head.lower(), head
    error = json.loads(body)
    assert set(error) == {"code", "message", "details"} and error["code"] == code, error
