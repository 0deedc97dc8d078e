"""Live `shop worker` processes on PostgreSQL (django-tasks-db's worker with the shop's
batched claim, adapters/jobs/claiming.py): one killed with SIGKILL in the
middle of a delivery (the receiver holds the request open) leaves nothing lost, the
delivery is made again with the same webhook-id; two workers never send one delivery at
the same time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Api, configured_database_url
from tests.integration.test_webhooks import event, register, verified
from tests.integration.webhook_receiver import Receiver, receiver

TIMEOUT = 2  # seconds: the lease (3 x timeout + 5 s) decides how soon a lost attempt returns


@pytest.fixture
def workers(postgres_only: None, settings: Any) -> Iterator[Any]:
    from django.db import connection

    base = configured_database_url() or ""
    env = {
        **os.environ,
        "SHOP_DATABASE_URL": base.rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"],
        "SHOP_WEBHOOK_TIMEOUT": str(TIMEOUT),
        "SHOP_WEBHOOK_RETRY_SCHEDULE": "0,0",
        "SHOP_WEBHOOK_ALLOW_HTTP": "1",
        "SHOP_WEBHOOK_ALLOW_PRIVATE": "1",
        "SHOP_SECRET_KEY": "test-webhook-workers",
        "SHOP_CACHE_URL": "locmem",
    }
    settings.SHOP = {
        **settings.SHOP,
        "webhooks": {
            "timeout": TIMEOUT,
            "retry_schedule": [0, 0],
            "allow_http": True,
            "allow_private": True,
        },
    }
    started: list[subprocess.Popen[bytes]] = []
    tmp = tempfile.TemporaryDirectory()

    def start(name: str) -> subprocess.Popen[bytes]:
        shop = str(Path(sys.executable).parent / "shop")
        log = open(Path(tmp.name) / f"{name}.log", "wb")  # noqa: SIM115 - closed with the dir
        process = subprocess.Popen(
            [
                shop,
                "worker",
                "--interval",
                "0.1",
                "--worker-id",
                name,
            ],
            env={**env, "SHOP_VAR_DIR": tmp.name},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:  # only the workers this test started, by their pid
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)
        tmp.cleanup()


def wait_until(check: Any, seconds: float = 90) -> None:
    """A bounded wait for the workers (no timing is asserted)."""
    end = time.monotonic() + seconds
    while not check():
        if time.monotonic() > end:
            raise AssertionError("the workers did not get there")
        time.sleep(0.1)


@pytest.fixture
def hooks() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


def test_a_worker_killed_mid_delivery_loses_nothing(
    workers: Any, hooks: Receiver, staff: Api
) -> None:
    from django_tasks_db.models import DBTaskResult

    from adapters.persistence import models as m
    from adapters.webhooks.fan_out import deliveries_for

    created = register(staff, hooks.url + "/in")
    hooks.script = ["hold"]
    paid = event()
    deliveries_for(paid)
    first = workers("doomed")
    assert hooks.arrived.wait(90), "the worker never sent the delivery"
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    row = m.WebhookDelivery.objects.get()
    assert (row.status, row.attempts) == ("pending", 1) and row.leased_until is not None
    # What django-tasks-db leaves of the killed worker's job: RUNNING, never run again.
    assert DBTaskResult.objects.filter(status="RUNNING", worker_ids=["doomed"]).count() == 1
    hooks.release.set()

    workers("second")
    workers("third")
    wait_until(lambda: m.WebhookDelivery.objects.get().status == "succeeded")
    assert hooks.ids() == [paid["id"], paid["id"]]
    for request in hooks.requests:
        assert verified(created["secret"], request) == paid


def test_two_workers_never_send_one_delivery_at_once(
    workers: Any, hooks: Receiver, staff: Api
) -> None:
    from adapters.persistence import models as m
    from adapters.webhooks.fan_out import deliveries_for

    register(staff, hooks.url + "/in")
    hooks.slow_seconds = 0.3
    hooks.script = ["slow"] * 12
    sent = [event() for _ in range(12)]
    for e in sent:
        deliveries_for(e)
    workers("one")
    workers("two")
    wait_until(lambda: m.WebhookDelivery.objects.filter(status="succeeded").count() == 12)
    assert sorted(hooks.ids()) == sorted(e["id"] for e in sent), "each exactly once"
    assert set(hooks.most_at_once.values()) == {1}
