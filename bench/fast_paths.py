"""What two fast paths are worth, measured on their own in one run: the unit of work's
write batch (writes held back and sent together) and a local provider's answer recorded
with the attempt (``PaymentGateway.answers_locally``).

Drives N checkout flows in-process (Django's test client, the real views, use cases and
PostgreSQL), each flow: the catalog, three bucket adds, an order, a card payment (the
sandbox). Variants alternate flow by flow, so load and caches fall on all of them alike;
a switch is flipped around each flow and put back at the end. Reports, per flow and
variant, the SQL statements sent (every one, counted at the connection) and the CPU
milliseconds of this process (client and shop; the database server's own CPU is not in
it), median and mean.

    SHOP_DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_fast_paths \\
        .venv/bin/python bench/fast_paths.py --flows 300

The database is created if missing and migrated; its rows are left behind.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adapters.django_web.settings")
os.environ.setdefault("SHOP_ALLOWED_HOSTS", "testserver")


@contextmanager
def holding(on: bool) -> Iterator[None]:
    from adapters.persistence.write_batch import WriteBatch

    before, WriteBatch.holding = WriteBatch.holding, on
    try:
        yield
    finally:
        WriteBatch.holding = before


@contextmanager
def answering_locally(on: bool) -> Iterator[None]:
    from adapters.payments.card_sandbox import CardSandboxGateway

    before, CardSandboxGateway.answers_locally = CardSandboxGateway.answers_locally, on
    try:
        yield
    finally:
        CardSandboxGateway.answers_locally = before


VARIANTS: dict[str, Callable[[], Any]] = {
    "as shipped (batch on, local answer on)": lambda: nested(
        holding(True), answering_locally(True)
    ),
    "write batch off": lambda: nested(holding(False), answering_locally(True)),
    "local answer off": lambda: nested(holding(True), answering_locally(False)),
}


@contextmanager
def nested(*managers: Any) -> Iterator[None]:
    for m in managers:
        m.__enter__()
    try:
        yield
    finally:
        for m in reversed(managers):
            m.__exit__(None, None, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flows", type=int, default=300, help="flows per variant")
    parser.add_argument("--customers", type=int, default=20)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    if connection.vendor != "postgresql":
        sys.exit("needs SHOP_DATABASE_URL=postgres://... (the fast paths are PostgreSQL's)")
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)  # for SHOP_CACHE_URL=db
    from adapters.django_web.containers import use_cases

    shop = use_cases()
    products = [
        str(shop.create_product()(name=f"bench {i}", price=Decimal("9.99"), stock=10**8).id)
        for i in range(6)
    ]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    clients = []
    for _ in range(args.customers):
        name = f"fp{uuid.uuid4().hex[:10]}"
        client = Client()
        pw = "correct-horse-battery-9"
        assert client.post(
            "/api/register",
            {"username": name, "password": pw, "email": f"{name}@example.com"},
            content_type="application/json",
        ).status_code in (200, 201)
        assert (
            client.post(
                "/api/login", {"username": name, "password": pw}, content_type="application/json"
            ).status_code
            == 200
        )
        clients.append(client)

    count = {"n": 0}

    def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        count["n"] += 1
        return execute(sql, params, many, context)

    def flow(client: Client, k: int) -> None:
        def ok(response: Any) -> Any:
            assert response.status_code < 400, response.content
            return response.json()

        ok(client.get("/api/products"))
        for j in range(3):
            pid = products[(k + j) % len(products)]
            ok(
                client.post(
                    "/api/bucket", {"product": pid, "quantity": 1}, content_type="application/json"
                )
            )
        order = ok(client.post("/api/orders", {"payment": "card"}, content_type="application/json"))
        ok(
            client.post(
                f"/api/orders/{order['order_uuid']}/payment", {}, content_type="application/json"
            )
        )

    figures: dict[str, dict[str, list[float]]] = {
        v: {"sql": [], "cpu": [], "wall": []} for v in VARIANTS
    }
    for k in range(5):  # warm-up, not counted
        flow(clients[k % len(clients)], k)
    with connection.execute_wrapper(counter):
        for k in range(args.flows * len(VARIANTS)):
            name = list(VARIANTS)[k % len(VARIANTS)]
            client = clients[k % len(clients)]
            with VARIANTS[name]():
                count["n"] = 0
                start, wall = time.process_time(), time.perf_counter()
                flow(client, k)
                cpu = (time.process_time() - start) * 1000
                wall = (time.perf_counter() - wall) * 1000
            figures[name]["sql"].append(count["n"])
            figures[name]["cpu"].append(cpu)
            figures[name]["wall"].append(wall)

    print(f"{args.flows} checkout flows per variant, alternating, one process, PostgreSQL\n")
    print(
        "| variant | SQL statements per flow | CPU ms per flow (median, mean) "
        "| wall ms per flow (median, mean) |"
    )
    print("|---|---|---|---|")
    for name, f in figures.items():
        print(
            f"| {name} | {statistics.mean(f['sql']):.1f} "
            f"| {statistics.median(f['cpu']):.2f}, {statistics.mean(f['cpu']):.2f} "
            f"| {statistics.median(f['wall']):.2f}, {statistics.mean(f['wall']):.2f} |"
        )


if __name__ == "__main__":
    main()
