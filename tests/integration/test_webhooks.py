"""Webhooks end to end: staff routes, Standard Webhooks signatures checked with the
`standardwebhooks` package, retries with the same webhook-id, dead and retried, order by
sequence, the address guard at registration and at delivery."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from adapters.webhooks import guard
from tests.integration.conftest import Api, error_of
from tests.integration.webhook_receiver import Receiver, receiver

SOME = "00000000-0000-4000-8000-000000000000"
ENDPOINT_FIELDS = {"uuid", "url", "events", "description", "active", "created_at"}
DELIVERY_FIELDS = {
    "uuid",
    "event_id",
    "event_type",
    "status",
    "attempts",
    "last_status_code",
    "last_error",
    "next_attempt_at",
    "delivered_at",
}


def hooks_config(settings: Any, **changes: Any) -> None:
    config = {
        "timeout": 1.0,
        "retry_schedule": [0, 0],
        "allow_http": True,
        "allow_private": True,
        **changes,
    }
    settings.SHOP = {**settings.SHOP, "webhooks": config}


@pytest.fixture
def hooks(settings: Any, transactional_db: Any) -> Iterator[Receiver]:
    """A receiver, and the settings that let the shop send to it (http, 127.0.0.1)."""
    hooks_config(settings)
    with receiver() as r:
        yield r


def run_jobs() -> None:
    """Runs every job that is due, in this process, until none is (a bounded loop)."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    for _ in range(200):
        Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test",
            excluded_queue_names=[],
        ).run()
        if not DBTaskResult.objects.ready().exists():
            return
    raise AssertionError("jobs kept coming")


def register(staff: Api, url: str, **extra: Any) -> dict[str, Any]:
    response = staff.post("/api/admin/webhooks", {"url": url, **extra})
    assert response.status_code == 201, response.content
    return dict(response.json())


def event(order: str | None = None, sequence: int = 1, kind: str = "order.paid") -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4()}",
        "type": kind,
        "created_at": "2026-01-01T00:00:00Z",
        "sequence": sequence,
        "data": {"order_uuid": order or str(uuid.uuid4()), "status": "paid"},
    }


def deliveries(staff: Api, endpoint: str) -> list[dict[str, Any]]:
    response = staff.get(f"/api/admin/webhooks/{endpoint}/deliveries")
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


def verified(secret: str, request: dict[str, Any]) -> dict[str, Any]:
    """The event, after the reference verifier accepted its signature."""
    return dict(Webhook(secret).verify(request["body"], request["headers"]))


# --- the routes -----------------------------------------------------------------------


def test_register_shows_the_secret_once_and_crud_works(hooks: Receiver, staff: Api) -> None:
    created = register(staff, hooks.url + "/in", events=["order.paid"], description="erp")
    assert set(created) == ENDPOINT_FIELDS | {"secret"}
    assert created["secret"].startswith("whsec_")
    assert created["active"] is True and created["events"] == ["order.paid"]
    endpoint = created["uuid"]
    shown = staff.get(f"/api/admin/webhooks/{endpoint}").json()
    assert set(shown) == ENDPOINT_FIELDS
    listed = staff.get("/api/admin/webhooks").json()
    assert [set(e) for e in listed["results"]] == [ENDPOINT_FIELDS]
    assert created["secret"] not in json.dumps(listed)
    patched = staff.send("PATCH", f"/api/admin/webhooks/{endpoint}", {"active": False})
    assert patched.status_code == 200 and patched.json()["active"] is False
    put = staff.put(f"/api/admin/webhooks/{endpoint}", {"url": hooks.url + "/x", "events": ["*"]})
    assert put.status_code == 200 and put.json()["events"] == ["*"]
    assert staff.send("DELETE", f"/api/admin/webhooks/{endpoint}").status_code == 200
    assert error_of(staff.get(f"/api/admin/webhooks/{endpoint}")) == (404, 6001)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/admin/webhooks"),
        ("POST", "/api/admin/webhooks"),
        ("GET", f"/api/admin/webhooks/{SOME}"),
        ("PUT", f"/api/admin/webhooks/{SOME}"),
        ("PATCH", f"/api/admin/webhooks/{SOME}"),
        ("DELETE", f"/api/admin/webhooks/{SOME}"),
        ("POST", f"/api/admin/webhooks/{SOME}/test"),
        ("GET", f"/api/admin/webhooks/{SOME}/deliveries"),
        ("POST", f"/api/admin/webhooks/deliveries/{SOME}/retry"),
    ],
)
def test_staff_only_and_unknown_ids(
    anon: Api, customer: Api, staff: Api, method: str, path: str
) -> None:
    body = {"url": "https://hooks.example.com/in"}

    def call(api: Api) -> Any:
        return api.get(path) if method == "GET" else api.send(method, path, body)

    assert error_of(call(anon)) == (403, 3002)
    assert error_of(call(customer)) == (403, 3005)
    if SOME in path:
        assert error_of(call(staff)) == (404, 6001)


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/in",  # plain http
        "https://127.0.0.1/in",
        "https://10.1.2.3/in",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/in",
        "https://localhost/in",
        "ftp://hooks.example.com/in",
    ],
)
def test_the_address_guard_refuses_at_registration(
    settings: Any, staff: Api, url: str, monkeypatch: Any
) -> None:
    hooks_config(settings, allow_http=False, allow_private=False)
    monkeypatch.setitem(guard.RESOLVER, "resolve", lambda host, port: ["127.0.0.1"])
    response = staff.post("/api/admin/webhooks", {"url": url})
    assert response.status_code == 400, response.content
    if not url.startswith("ftp"):
        assert error_of(response) == (400, 6002)
    assert staff.get("/api/admin/webhooks").json()["count"] == 0


def test_a_public_https_address_is_accepted(settings: Any, staff: Api, monkeypatch: Any) -> None:
    hooks_config(settings, allow_http=False, allow_private=False)
    monkeypatch.setitem(guard.RESOLVER, "resolve", lambda host, port: ["93.184.216.34"])
    register(staff, "https://hooks.example.com/in")


# --- deliveries -----------------------------------------------------------------------


def test_each_event_arrives_signed_and_the_test_event_too(hooks: Receiver, staff: Api) -> None:
    from adapters.webhooks.fan_out import deliveries_for

    created = register(staff, hooks.url + "/in", events=["order.paid"])
    other = register(staff, hooks.url + "/other", events=["payment.failed"])
    paid = event()
    deliveries_for(paid)
    deliveries_for(paid)  # the fan-out run twice: still one delivery
    deliveries_for(event(kind="order.created"))  # nobody wants it
    run_jobs()
    assert len(hooks.requests) == 1
    got = verified(created["secret"], hooks.requests[0])
    assert got == paid and hooks.requests[0]["headers"]["webhook-id"] == paid["id"]
    with pytest.raises(Exception, match="signature"):
        verified(other["secret"], hooks.requests[0])
    [log] = deliveries(staff, created["uuid"])
    assert set(log) == DELIVERY_FIELDS
    assert (log["status"], log["attempts"], log["last_status_code"]) == ("succeeded", 1, 204)
    assert log["delivered_at"] and log["event_id"] == paid["id"]

    answer = staff.post(f"/api/admin/webhooks/{created['uuid']}/test")
    assert answer.status_code == 202 and answer.json()["event_type"] == "webhook.test"
    run_jobs()
    assert verified(created["secret"], hooks.requests[1])["type"] == "webhook.test"


@pytest.mark.parametrize("failure", ["500", "slow", "redirect"])
def test_failures_are_retried_with_the_same_id_then_dead_then_retried_by_staff(
    hooks: Receiver, staff: Api, failure: str
) -> None:
    from adapters.webhooks.fan_out import deliveries_for

    created = register(staff, hooks.url + "/in")
    hooks.slow_seconds = 2.0  # beyond the 1 s timeout
    hooks.script = [failure, failure, failure]  # a first attempt and two retries: all fail
    paid = event()
    deliveries_for(paid)
    run_jobs()
    assert hooks.ids() == [paid["id"]] * 3
    assert not [r for r in hooks.requests if r["path"] == "/elsewhere"], "no redirect followed"
    for request in hooks.requests:
        assert verified(created["secret"], request) == paid
    [log] = deliveries(staff, created["uuid"])
    assert (log["status"], log["attempts"]) == ("dead", 3)
    assert log["last_error"] and log["next_attempt_at"] is None
    if failure != "slow":
        assert log["last_status_code"] == (500 if failure == "500" else 302)

    retried = staff.post(f"/api/admin/webhooks/deliveries/{log['uuid']}/retry")
    assert retried.status_code == 202 and retried.json()["status"] == "pending"
    run_jobs()
    assert hooks.ids() == [paid["id"]] * 4
    [log] = deliveries(staff, created["uuid"])
    assert (log["status"], log["attempts"], log["last_status_code"]) == ("succeeded", 4, 204)


def test_one_orders_events_leave_in_sequence_order(hooks: Receiver, staff: Api) -> None:
    from adapters.webhooks.fan_out import deliveries_for

    created = register(staff, hooks.url + "/in")
    order = str(uuid.uuid4())
    events = [event(order, sequence=n) for n in (1, 2, 3)]
    hooks.script = ["500"]  # the first event fails once: the others wait for it
    for e in reversed(events):  # created out of order, too
        deliveries_for(e)
    run_jobs()
    sent = [verified(created["secret"], r)["sequence"] for r in hooks.requests]
    assert sent == [1, 1, 2, 3]


def test_the_guard_runs_again_at_delivery_and_connects_to_the_checked_address(
    hooks: Receiver, settings: Any, staff: Api, monkeypatch: Any
) -> None:
    from adapters.webhooks.fan_out import deliveries_for

    port = hooks.url.rsplit(":", 1)[1]
    resolved = ["93.184.216.34"]
    monkeypatch.setitem(guard.RESOLVER, "resolve", lambda host, p: list(resolved))
    hooks_config(settings, allow_private=False)
    created = register(staff, f"http://hooks.example.test:{port}/in")
    resolved[:] = ["127.0.0.1"]  # DNS changed since: now it points inside
    deliveries_for(event())
    run_jobs()
    assert hooks.requests == []
    [log] = deliveries(staff, created["uuid"])
    assert log["status"] == "dead" and "address refused" in log["last_error"]

    hooks_config(settings, allow_private=True)  # allowed: sent to the address it checked
    assert staff.post(f"/api/admin/webhooks/deliveries/{log['uuid']}/retry").status_code == 202
    run_jobs()
    [request] = hooks.requests
    assert request["headers"]["host"] == f"hooks.example.test:{port}"
    verified(created["secret"], request)


def test_the_admin_lists_deliveries_and_retries_them(hooks: Receiver, staff: Api) -> None:
    from django.test import Client

    from adapters.persistence import models as m
    from adapters.webhooks.fan_out import deliveries_for

    register(staff, hooks.url + "/in")
    hooks.script = ["500", "500", "500"]
    deliveries_for(event())
    run_jobs()
    row = m.WebhookDelivery.objects.get()
    assert row.status == "dead"
    m.Customer.objects.filter(username=staff.username).update(is_superuser=True)
    admin = Client()
    admin.force_login(m.Customer.objects.get(username=staff.username))
    page = admin.get("/admin/shop/webhookdelivery/")
    assert page.status_code == 200 and row.event_id in page.content.decode()
    assert "secret" not in admin.get("/admin/shop/webhookendpoint/").content.decode().lower()
    answer = admin.post(
        "/admin/shop/webhookdelivery/",
        {"action": "retry_now", "_selected_action": [str(row.id)]},
    )
    assert answer.status_code == 302
    run_jobs()
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("succeeded", 4)


def test_the_schedule_waits_between_attempts(hooks: Receiver, settings: Any, staff: Api) -> None:
    from adapters.webhooks.fan_out import deliveries_for

    hooks_config(settings, retry_schedule=[300])
    created = register(staff, hooks.url + "/in")
    hooks.script = ["500"]
    deliveries_for(event())
    started = time.time()
    run_jobs()
    [log] = deliveries(staff, created["uuid"])
    assert (log["status"], log["attempts"]) == ("failed", 1)
    from datetime import datetime

    due = datetime.fromisoformat(log["next_attempt_at"].replace("Z", "+00:00")).timestamp()
    assert due >= started + 300


@pytest.mark.parametrize(
    "events", [[], "order.paid", ["order.paid", "nope"], [1, {}], [["*"]], None, {"0": "*"}]
)
def test_bad_event_lists_are_400_and_register_nothing(staff: Api, events: Any) -> None:
    """The fuzzer's find: DRF's list field reported bad items under integer keys, which the
    JSON renderer refused (a 500)."""
    response = staff.post("/api/admin/webhooks", {"url": "https://a.example/", "events": events})
    assert error_of(response) == (400, 1000)
    assert "events" in response.json()["details"]
    assert staff.get("/api/admin/webhooks").json()["count"] == 0
