"""The outbox on the real database: events in the transaction of the change, one job
per transaction, the staff's event log, e-mails over a real SMTP conversation (one per
order and kind however often a job runs), reconciliation with the PayU double, and the
scheduler's exactly-once periods."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from adapters.jobs import scheduler
from adapters.persistence.models import Event, Payment, ScheduledJob, SentEmail
from tests.integration.conftest import Api, race
from tests.integration.live_server import free_port
from tests.integration.payments.payu_double import PayUDouble
from tests.integration.payments.stripe_double import StripeDouble


def run_jobs() -> int:
    """Run every job that is ready, as `shop worker` does (its run_task), until none is."""
    worker = Worker(
        queue_names=["default"], interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id="test", excluded_queue_names=[],
    )  # fmt: skip
    ran = 0
    while rows := list(DBTaskResult.objects.ready()):
        for row in rows:
            row.claim("test")
            worker.run_task(row)
            assert row.status == "SUCCESSFUL", row.traceback
            ran += 1
    return ran


def run_all_jobs_again() -> int:
    """A replay: every job ever enqueued runs once more."""
    DBTaskResult.objects.update(status="READY")
    return run_jobs()


def place(api: Api, make_product: Any, payment: str = "card") -> dict[str, Any]:
    product = make_product(stock=10, price="12.50")
    assert api.post("/api/bucket", {"product": product, "quantity": 2}).status_code == 201
    placed = api.post("/api/orders", {"payment": payment})
    assert placed.status_code == 201, placed.content
    return dict(placed.json())


def pay_by_card(api: Api, order: dict[str, Any]) -> dict[str, Any]:
    o = order["order_uuid"]
    assert api.post(f"/api/orders/{o}/payment", {}).status_code == 201
    paid = api.post(f"/api/orders/{o}/payment/confirm", {"card_token": "pm_card_visa"})
    assert paid.status_code == 200, paid.content
    return dict(paid.json())


def events(staff: Api, **query: str) -> list[dict[str, Any]]:
    response = staff.get("/api/admin/events", **{"page_size": "100", **query})
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


def test_each_change_records_its_event_with_the_api_data_and_one_job_per_transaction(
    customer: Api, staff: Api, make_product: Any
) -> None:
    jobs_before = DBTaskResult.objects.count()
    order = place(customer, make_product)
    payment = pay_by_card(customer, order)
    o = order["order_uuid"]
    log = events(staff, order=o)
    assert [(e["type"], e["sequence"]) for e in log] == [
        ("order.created", 1),
        ("order.paid", 2),
        ("payment.succeeded", 3),
    ]
    assert log[0]["data"] == order
    assert log[1]["data"] == customer.get(f"/api/orders/{o}").json()
    assert log[2]["data"] == payment
    assert all(e["id"].startswith("evt_") for e in log)
    assert DBTaskResult.objects.count() - jobs_before == 2  # one per transaction, not per event
    assert [e["type"] for e in events(staff, order=o, type="order.paid")] == ["order.paid"]
    assert customer.get("/api/admin/events").status_code == 403
    assert staff.get("/api/admin/events", page_size="0").status_code == 400
    assert staff.get("/api/admin/events", order="not-a-uuid").status_code == 400


def test_a_refused_change_records_nothing(staff: Api, customer: Api, make_product: Any) -> None:
    order = place(customer, make_product)
    o = order["order_uuid"]
    assert customer.post(f"/api/orders/{o}/set_canceled").status_code == 200
    assert customer.post(f"/api/orders/{o}/set_canceled").status_code == 409
    assert staff.post(f"/api/admin/orders/{o}/set_paid").status_code == 409
    assert [e["type"] for e in events(staff, order=o)] == ["order.created", "order.returned"]


# --- e-mails over SMTP --------------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(
                email.message_from_bytes(envelope.content, policy=email.policy.default)
            )
        return "250 OK"

    def subjects(self) -> list[str]:
        return sorted(str(m["Subject"]) for m in self.messages)


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()


def parts(message: Message) -> dict[str, str]:
    found = {}
    for part in message.walk():
        if part.get_content_maintype() == "text":
            found[part.get_content_type()] = part.get_payload(decode=True).decode()
    return found


def test_confirmation_payment_and_cancellation_emails_go_once_each(
    customer: Api, make_product: Any, smtp: Inbox
) -> None:
    paid = place(customer, make_product)
    pay_by_card(customer, paid)
    canceled = place(customer, make_product, "transfer")
    assert customer.post(f"/api/orders/{canceled['order_uuid']}/set_canceled").status_code == 200
    run_jobs()
    short_paid, short_canceled = paid["order_uuid"][:8], canceled["order_uuid"][:8]
    expected = sorted([
        f"Your order {short_paid}",
        f"Payment received for order {short_paid}",
        f"Your order {short_canceled}",
        f"Order {short_canceled} canceled",
    ])  # fmt: skip
    assert smtp.subjects() == expected
    assert run_all_jobs_again() > 0
    assert smtp.subjects() == expected  # replayed jobs send nothing twice
    assert SentEmail.objects.count() == 4
    confirmation = next(m for m in smtp.messages if m["Subject"] == f"Your order {short_canceled}")
    assert confirmation["To"] == f"{customer.username}@example.com"
    body = parts(confirmation)
    assert set(body) == {"text/plain", "text/html"}
    text = body["text/plain"]
    assert "Total: 25.00 PLN" in text and "2 x " in text and "Delivery:" in text
    assert "Account: PL61109010140000071219812874" in text  # the demo account
    assert "Title: " in text and "Amount: 25.00 PLN" in text
    assert "<table>" in body["text/html"]


def test_emails_in_polish(customer: Api, make_product: Any, smtp: Inbox, settings: Any) -> None:
    settings.SHOP = {**settings.SHOP, "language": "pl"}
    order = place(customer, make_product, "transfer")
    run_jobs()
    [message] = smtp.messages
    assert message["Subject"] == f"Twoje zamówienie {order['order_uuid'][:8]}"
    assert "Numer konta:" in parts(message)["text/plain"]


def test_an_smtp_failure_sends_later_and_still_once(
    customer: Api, make_product: Any, smtp: Inbox, settings: Any
) -> None:
    good_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nobody listens: the send fails
    order = place(customer, make_product)
    run_jobs()
    assert smtp.messages == [] and SentEmail.objects.count() == 0
    retry = DBTaskResult.objects.get(task_path="adapters.jobs.tasks.send_email")
    settings.EMAIL_PORT = good_port
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())  # its time came
    run_jobs()
    run_all_jobs_again()
    assert smtp.subjects() == [f"Your order {order['order_uuid'][:8]}"]


# --- reconciliation ---------------------------------------------------------------------------


def test_a_completed_payu_payment_whose_notification_never_came_is_reconciled_once(
    customer: Api, staff: Api, make_product: Any, payu: PayUDouble, settings: Any
) -> None:
    order = place(customer, make_product, "payu")
    o = order["order_uuid"]
    started = customer.post(f"/api/orders/{o}/payment", {})
    assert started.status_code == 201, started.content
    ref = next(
        p.order_id for p in payu.orders.values() if p.ext_order_id == started.json()["payment_uuid"]
    )
    payu.pay(ref)  # COMPLETED at PayU; no notification is ever sent
    scheduler.ensure_rows(timezone.now())
    assert scheduler.claim("reconcile_payments", timezone.now())
    run_jobs()
    assert customer.get(f"/api/orders/{o}").json()["status"] == "to_pay"  # not 15 minutes yet
    Payment.objects.filter(order_id=o).update(created_at=timezone.now() - timedelta(minutes=16))
    for minute in (1, 2):  # two periods: the second finds nothing left to do
        assert scheduler.claim("reconcile_payments", timezone.now() + timedelta(minutes=minute))
        run_jobs()
    assert customer.get(f"/api/orders/{o}").json()["status"] == "paid"
    assert [e["type"] for e in events(staff, order=o)] == [
        "order.created",
        "order.paid",
        "payment.succeeded",
    ]


def test_a_stripe_payment_that_succeeded_without_a_webhook_is_reconciled_once(
    customer: Api, staff: Api, make_product: Any, stripe_api: StripeDouble
) -> None:
    order = place(customer, make_product, "card")  # cards go to the Stripe double
    o = order["order_uuid"]
    assert customer.post(f"/api/orders/{o}/payment", {}).status_code == 201
    stripe_api.next_confirm_status = "processing"  # the bank takes its time
    pending = customer.post(f"/api/orders/{o}/payment/confirm", {"card_token": "pm_card_visa"})
    assert pending.status_code == 200, pending.content
    assert pending.json()["status"] == "pending"
    (intent_id,) = stripe_api.intents
    with stripe_api._lock:  # then it succeeds at Stripe; its webhook never arrives
        StripeDouble._succeed(stripe_api.intents[intent_id])

    def asked() -> int:
        return sum(r.path == f"/v1/payment_intents/{intent_id}" for r in stripe_api.requests)

    scheduler.ensure_rows(timezone.now())
    assert scheduler.claim("reconcile_payments", timezone.now())
    run_jobs()
    assert (asked(), customer.get(f"/api/orders/{o}").json()["status"]) == (0, "to_pay")
    Payment.objects.filter(order_id=o).update(created_at=timezone.now() - timedelta(minutes=16))
    for minute in (1, 2):  # two periods: the second finds nothing left to ask about
        assert scheduler.claim("reconcile_payments", timezone.now() + timedelta(minutes=minute))
        run_jobs()
    assert asked() == 1
    assert customer.get(f"/api/orders/{o}").json()["status"] == "paid"
    payment = customer.get(f"/api/orders/{o}/payment").json()
    assert payment["status"] == "succeeded"
    log = events(staff, order=o)
    assert [e["type"] for e in log] == ["order.created", "order.paid", "payment.succeeded"]
    assert log[2]["data"] == payment  # applied as a notification: the API's view of it
    history = Payment.objects.get(order_id=o).events.order_by("at", "id")
    changes = [(h.source, h.old_status, h.new_status) for h in history]
    assert changes[-1] == ("provider", "pending", "succeeded")
    assert [c for c in changes if c[0] == "provider"] == [changes[-1]]  # once


# --- the scheduler ----------------------------------------------------------------------------


def test_a_period_is_claimed_once(db: Any) -> None:
    # Mid-hour, so that "61 s later" is the next minute but never the next hour.
    now = timezone.now().replace(minute=30, second=0, microsecond=0)
    scheduler.ensure_rows(now)
    assert sorted(scheduler.tick("a", now)) == sorted(scheduler.SCHEDULE)
    assert scheduler.tick("b", now) == []  # the same period: already claimed
    assert sorted(scheduler.tick("b", now + timedelta(seconds=61))) == [
        "expire_reservations",
        "reconcile_payments",
        "requeue_stalled",
    ]  # the next minute; the hourly purges are not due again
    runs = DBTaskResult.objects.filter(task_path="adapters.jobs.tasks.run_scheduled")
    assert runs.count() == 8
    assert run_jobs() == 8


def test_finished_jobs_go_after_two_weeks_in_batches(db: Any, monkeypatch: Any) -> None:
    from adapters.jobs import tasks

    now = timezone.now()
    for status, finished in [
        ("SUCCESSFUL", now - timedelta(days=15)),
        ("SUCCESSFUL", now - timedelta(days=20)),
        ("FAILED", now - timedelta(days=30)),
        ("SUCCESSFUL", now - timedelta(days=13)),  # kept: not two weeks old
        ("READY", None),  # never a job still to run
        ("RUNNING", None),
    ]:
        row = tasks.run_scheduled.enqueue(name="purge_idempotency")
        DBTaskResult.objects.filter(id=row.id).update(status=status, finished_at=finished)
    stale_running = DBTaskResult.objects.get(status="RUNNING")
    DBTaskResult.objects.filter(id=stale_running.id).update(started_at=now - timedelta(days=40))
    monkeypatch.setattr(tasks, "PURGE_BATCH", 2)  # three old ones: two batches
    assert tasks.purge_finished_jobs(now) == 3
    left = sorted(DBTaskResult.objects.values_list("status", flat=True))
    assert left == ["READY", "RUNNING", "SUCCESSFUL"]
    assert tasks.purge_finished_jobs(now) == 0


def test_a_job_a_dead_worker_left_running_is_run_again(
    customer: Api, make_product: Any, smtp: Inbox
) -> None:
    from adapters.jobs.tasks import STALLED_AFTER, requeue_stalled

    customer.post("/api/bucket", {"product": make_product(), "quantity": 1})
    assert customer.post("/api/orders", {"payment": "card"}).status_code == 201
    (job,) = DBTaskResult.objects.ready()  # the order's fan-out
    job.claim("killed-worker")  # claimed and committed, then the worker died
    assert run_jobs() == 0  # the engine itself never runs it again
    now = timezone.now()
    assert requeue_stalled(now) == 0  # it might still be running: left alone
    assert requeue_stalled(now + STALLED_AFTER + timedelta(seconds=1)) == 1
    assert run_jobs() >= 1
    assert len(smtp.messages) == 1  # the confirmation went after all
    assert SentEmail.objects.count() == 1


@pytest.mark.postgres
def test_concurrent_workers_claim_a_period_once(postgres_only: None) -> None:
    now = timezone.now()
    scheduler.ensure_rows(now)
    ScheduledJob.objects.update(next_due_at=now)
    claims = race(*[lambda i=i: scheduler.tick(f"worker-{i}", now) for i in range(4)])
    claimed = [name for names in claims for name in names]
    assert sorted(claimed) == sorted(scheduler.SCHEDULE), claims
    assert DBTaskResult.objects.filter(task_path="adapters.jobs.tasks.run_scheduled").count() == 5
    DBTaskResult.objects.all().delete()
    Event.objects.all().delete()


def test_a_dispatch_reads_its_events_and_their_recipient_once(
    customer: Api, make_product: Any, smtp: Inbox
) -> None:
    """The job worker shares the shop's cores: on PostgreSQL a dispatch reads its events,
    the order's customer (the e-mail's recipient) and "is any endpoint active" in one
    statement, and the e-mail still goes to that customer, by name."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from adapters.jobs.tasks import dispatch_events
    from adapters.persistence.models import Customer

    order = place(customer, make_product)
    Customer.objects.filter(username=customer.username).update(first_name="Zofia")
    ids = [
        str(pk)
        for pk in Event.objects.filter(order_id=order["order_uuid"]).values_list("id", flat=True)
    ]
    with CaptureQueriesContext(connection) as statements:
        dispatch_events.call(ids)
    (sent,) = smtp.messages
    assert sent["To"] == f"{customer.username}@example.com"
    assert "Zofia" in parts(sent)["text/plain"]
    reads = [
        q["sql"]
        for q in statements.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT")
    ]
    if connection.vendor == "postgresql":
        assert len(reads) == 1, reads


def test_a_batch_of_dispatches_reads_its_events_once(
    postgres_only: None, customer: Api, other: Api, make_product: Any, smtp: Inbox
) -> None:
    """A claimed batch's dispatch jobs read their events, their recipients and "is any
    endpoint active" in one statement between them (PostgreSQL), and each job still
    sends its own order's e-mails to that order's customer."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from adapters.jobs.claiming import ShopWorker

    mine = place(customer, make_product)
    pay_by_card(customer, mine)
    theirs = place(other, make_product)
    assert DBTaskResult.objects.ready().count() == 3  # created, paid; created
    worker = ShopWorker(
        queue_names=["default"], interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id="test", excluded_queue_names=[],
    )  # fmt: skip
    with CaptureQueriesContext(connection) as statements:
        worker.run()
    reads = [q["sql"] for q in statements.captured_queries if "FROM shop_event" in q["sql"]]
    assert len(reads) == 1, reads
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    short_mine, short_theirs = mine["order_uuid"][:8], theirs["order_uuid"][:8]
    assert sorted((str(m["To"]), str(m["Subject"])) for m in smtp.messages) == sorted([
        (f"{customer.username}@example.com", f"Your order {short_mine}"),
        (f"{customer.username}@example.com", f"Payment received for order {short_mine}"),
        (f"{other.username}@example.com", f"Your order {short_theirs}"),
    ])  # fmt: skip
