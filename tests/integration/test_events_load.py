"""The event backbone under load, on the real processes: 16 customers, each with its own
session, place and pay 200 orders by card against `shop serve` (--no-worker) on
PostgreSQL, while two separate `shop worker` processes share the job queue. Every order
ends with exactly its three events (sequences 1..3), each delivered once, signed, to a
staff-registered endpoint on a local receiver, and exactly its two e-mails over a real
SMTP conversation: none missing, none twice."""

from __future__ import annotations

import email
import email.policy
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook

from tests.integration.conftest import configured_database_url
from tests.integration.live_server import Browser, free_port, live_shop, redis_url, scratch_database
from tests.integration.webhook_receiver import Receiver, receiver

pytestmark = pytest.mark.postgres

CUSTOMERS = 16
ORDERS = 200
PASSWORD = "Load-the-shop-2026"
STAFF = "loadstaff"
DRAIN_SECONDS = 300.0  # a bound on each wait (a hang guard), not an asserted timing
WEBHOOK_TIMEOUT = 5  # the lease of an attempt is 3 x this + 5 s (see webhooks/delivery.py)
EVENTS_PER_ORDER = [("order.created", 1), ("order.paid", 2), ("payment.succeeded", 3)]
# The jobs the flow causes (the scheduler's own sweeps come and go on their periods).
FLOW_TASKS = (
    "adapters.jobs.tasks.dispatch_events",
    "adapters.jobs.tasks.send_email",
    "adapters.webhooks.jobs.deliver_webhook",
)


class Inbox:
    """The local SMTP server's handler: every message with its envelope recipients."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], Message]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.received)


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    url = configured_database_url()
    if not url or not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs PostgreSQL (run with SHOP_DATABASE_URL=postgres://...)")
    with scratch_database(url) as scratch:
        yield scratch


@pytest.fixture(scope="module")
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def hooks() -> Iterator[Receiver]:
    with receiver() as r:  # answers 204 to everything
        yield r


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "adapters.django_web.cli", "worker", "--interval", "0.2"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def stop(process: subprocess.Popen[bytes]) -> None:
    """Only this process, by its pid: SIGTERM (it finishes its job), then SIGKILL."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def signed_in(base_url: str, username: str, mail: str | None = None) -> Browser:
    browser = Browser(base_url)
    if mail is not None:
        body = {"username": username, "password": PASSWORD, "email": mail}
        registered = browser.post("/api/register", body)
        assert registered.status_code == 201, registered.text
    response = browser.post("/api/login", {"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return browser


def all_pages(browser: Browser, path: str) -> list[dict[str, Any]]:
    """Every item of a paged staff list, following the pages (bounded)."""
    items: list[dict[str, Any]] = []
    for page in range(1, 50):
        response = browser.get(path, params={"page_size": "100", "page": str(page)})
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["results"]
        if body["next"] is None:
            assert len(items) == body["count"]
            return items
    raise AssertionError(f"{path}: more pages than expected")


def order_of(event: dict[str, Any]) -> str:
    data = event["data"]
    return str(data.get("order_uuid") or data.get("order"))


def place_and_pay(browser: Browser, product: str, count: int) -> list[dict[str, Any]]:
    """``count`` orders by card, each placed and paid; what the API answered."""
    done = []
    for _ in range(count):
        added = browser.post("/api/bucket", {"product": product, "quantity": 1})
        assert added.status_code == 201, added.text
        placed = browser.post("/api/orders", {"payment": "card"})
        assert placed.status_code == 201, placed.text
        o = placed.json()["order_uuid"]
        started = browser.post(f"/api/orders/{o}/payment", {})
        assert started.status_code == 201, started.text
        paid = browser.post(f"/api/orders/{o}/payment/confirm", {"card_token": "pm_card_visa"})
        assert paid.status_code == 200, paid.text
        assert paid.json()["status"] == "succeeded", paid.text
        done.append({"order": placed.json(), "payment": paid.json()})
    return done


def drained(database: str, orders: int) -> bool:
    """The flow's work is done: every event's deliveries final and no flow job waiting
    or running (the lease-end jobs of the deliveries included, so a second sending
    would have happened by now; e-mails go inside these jobs)."""
    with psycopg.connect(database) as conn:
        deliveries = conn.execute(
            "select count(*) filter (where status in ('succeeded', 'dead')), count(*) "
            "from shop_webhook_delivery"
        ).fetchone()
        waiting = conn.execute(
            "select count(*) from django_tasks_database_dbtaskresult "
            "where status in ('READY', 'RUNNING') and task_path = any(%s)",
            (list(FLOW_TASKS),),
        ).fetchone()
    assert deliveries is not None and waiting is not None
    finished, total = deliveries
    expected = orders * len(EVENTS_PER_ORDER)
    return total >= expected and finished == total and waiting[0] == 0


def test_two_hundred_paid_orders_make_exactly_their_events_deliveries_and_emails(
    database: str, inbox: tuple[Inbox, int], hooks: Receiver
) -> None:
    smtp, smtp_port = inbox
    env = {
        "SHOP_SECRET_KEY": "load-" + uuid.uuid4().hex,
        "SHOP_ADMIN_USERNAME": STAFF,
        "SHOP_ADMIN_PASSWORD": PASSWORD,
        "SHOP_WEBHOOK_ALLOW_HTTP": "1",
        "SHOP_WEBHOOK_ALLOW_PRIVATE": "1",
        "SHOP_WEBHOOK_TIMEOUT": str(WEBHOOK_TIMEOUT),
        "SHOP_EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "SHOP_CACHE_URL": redis_url(0),
    }
    workers: list[subprocess.Popen[bytes]] = []
    browsers: list[Browser] = []
    with (
        tempfile.TemporaryDirectory() as worker_dir,
        live_shop(database, workers=2, threads=4, env=env) as shop,  # --no-worker
    ):
        try:
            staff = signed_in(shop.url, STAFF)
            browsers.append(staff)
            created = staff.post("/api/admin/webhooks", {"url": hooks.url + "/in", "events": ["*"]})
            assert created.status_code == 201, created.text
            endpoint, secret = created.json()["uuid"], created.json()["secret"]
            product = staff.post(
                "/api/admin/products",
                {"name": f"Load {uuid.uuid4().hex[:6]}", "price": "19.90", "stock": ORDERS},
            )
            assert product.status_code == 201, product.text

            worker_env = {
                **os.environ,
                **env,
                "SHOP_DATABASE_URL": database,
                "SHOP_VAR_DIR": worker_dir,
                "SHOP_INSECURE_FAST_HASHER": "1",
            }
            workers += [
                start_worker(worker_env, Path(worker_dir) / f"worker{i}.log") for i in (1, 2)
            ]

            run = uuid.uuid4().hex[:6]
            names = [f"loader_{run}_{i}" for i in range(CUSTOMERS)]
            mail_of = {name: f"{name}@load.test" for name in names}
            crowd = [signed_in(shop.url, name, mail_of[name]) for name in names]
            browsers += crowd
            shares = [ORDERS // CUSTOMERS + (i < ORDERS % CUSTOMERS) for i in range(CUSTOMERS)]
            results: list[Any] = [None] * CUSTOMERS

            def customer(i: int) -> None:
                try:
                    results[i] = place_and_pay(crowd[i], product.json()["uuid"], shares[i])
                except Exception as error:  # reported below, not lost in the thread
                    results[i] = error

            started = time.monotonic()
            threads = [threading.Thread(target=customer, args=(i,)) for i in range(CUSTOMERS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(DRAIN_SECONDS)
            assert not any(t.is_alive() for t in threads), "customers did not finish"
            failures = [r for r in results if isinstance(r, Exception)]
            assert not failures, failures
            placed = time.monotonic() - started

            # Who ordered what: the order's customer and the answers the API gave.
            orders: dict[str, dict[str, Any]] = {}
            for name, done in zip(names, results, strict=True):
                for item in done:
                    orders[item["order"]["order_uuid"]] = {**item, "mail": mail_of[name]}
            assert len(orders) == ORDERS

            deadline = time.monotonic() + DRAIN_SECONDS
            while not drained(database, ORDERS):
                dead = [w.pid for w in workers if w.poll() is not None]
                assert not dead, f"worker(s) {dead} exited"
                twice = {i: n for i, n in Counter(hooks.ids()).items() if n > 1}
                assert time.monotonic() < deadline, (
                    f"the work did not drain in time: {len(twice)} events delivered more "
                    f"than once ({list(twice.items())[:3]}), {smtp.count()} e-mails"
                )
                time.sleep(0.5)
            took = time.monotonic() - started

            # --- the event log: exactly the three events of each order, in sequence ---
            log = all_pages(staff, "/api/admin/events")
            assert len(log) == ORDERS * len(EVENTS_PER_ORDER)
            assert len({e["id"] for e in log}) == len(log)
            by_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for e in log:
                by_order[order_of(e)].append(e)
            assert set(by_order) == set(orders)
            for o, events in by_order.items():
                assert [(e["type"], e["sequence"]) for e in events] == EVENTS_PER_ORDER, o
                assert events[0]["data"] == orders[o]["order"]
                assert events[1]["data"]["order_uuid"] == o
                assert events[1]["data"]["status"] == "paid"
                assert events[2]["data"] == orders[o]["payment"]
            logged = {e["id"]: e for e in log}

            # --- the receiver: each event once, verified, nothing else; in order ---
            assert {r["path"] for r in hooks.requests} == {"/in"}
            got = Counter(hooks.ids())
            assert set(got) == set(logged), "every event delivered, nothing else"
            twice = {i: n for i, n in got.items() if n != 1}
            assert not twice, f"delivered more than once: {twice}"
            arrived: dict[str, list[int]] = defaultdict(list)
            for request in hooks.requests:
                sent = dict(Webhook(secret).verify(request["body"], request["headers"]))
                assert sent == logged[request["headers"]["webhook-id"]]
                arrived[order_of(sent)].append(sent["sequence"])
            assert all(seqs == [1, 2, 3] for seqs in arrived.values()), "sequence order"

            # --- the delivery log: one per event, each succeeded at its first attempt ---
            deliveries = all_pages(staff, f"/api/admin/webhooks/{endpoint}/deliveries")
            assert sorted(d["event_id"] for d in deliveries) == sorted(logged)
            assert Counter((d["status"], d["attempts"]) for d in deliveries) == {
                ("succeeded", 1): len(logged)
            }

            # --- the e-mails: confirmation and payment received, once each, to its owner ---
            assert smtp.count() == 2 * ORDERS
            sent_mail = Counter()
            for recipients, message in smtp.received:
                assert message["To"] == recipients[0] and len(recipients) == 1
                text = message.get_body(("plain",))
                assert text is not None
                sent_mail[(recipients[0], str(message["Subject"]), text.get_content())] += 1
            expected_mail = Counter()
            for o, item in orders.items():
                for subject in (f"Your order {o[:8]}", f"Payment received for order {o[:8]}"):
                    found = [key for key in sent_mail if key[1] == subject and o in key[2]]
                    assert len(found) == 1, (o, subject, found)
                    assert found[0][0] == item["mail"], (o, subject, found[0][0])
                    expected_mail[found[0]] += 1
            assert sent_mail == expected_mail
            with psycopg.connect(database) as conn:
                marks = conn.execute("select count(*) from shop_sent_email").fetchone()
            assert marks is not None and marks[0] == 2 * ORDERS

            # --- the engine: no job failed, and both workers took part ---
            with psycopg.connect(database) as conn:
                failed = conn.execute(
                    "select task_path, traceback from django_tasks_database_dbtaskresult "
                    "where status = 'FAILED'"
                ).fetchall()
                ran_by = conn.execute(
                    "select worker_ids from django_tasks_database_dbtaskresult "
                    "where task_path = any(%s) and status = 'SUCCESSFUL'",
                    (list(FLOW_TASKS),),
                ).fetchall()
            assert not failed, failed
            pids = Counter(int(str(w).rsplit("-", 2)[-2]) for (ids,) in ran_by for w in (ids or []))
            assert set(pids) == {w.pid for w in workers}, pids
            print(
                f"\nload: {len(log)} events, {len(deliveries)} deliveries, "
                f"{smtp.count()} e-mails; placed and paid in {placed:.1f}s, "
                f"drained after {took:.1f}s; jobs per worker {dict(pids)}"
            )
        finally:
            for b in browsers:
                b.close()
            for w in workers:  # only the workers this test started, by their pid
                stop(w)
