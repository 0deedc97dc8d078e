"""The shop's batched claim and finish (adapters/jobs/claiming.py) against
django-tasks-db's own rules, on PostgreSQL: the same job next (its ordering, run_after,
queues), a row another worker holds is skipped, not waited for, a finished job looks
exactly as django-tasks-db's own worker leaves it, and what a batch does not start goes
back to the queue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks import task

from adapters.jobs.claiming import ShopWorker
from tests.integration.conftest import configured_database_url


@task()
def add(a: int, b: int) -> int:
    return a + b


@task()
def fail() -> None:
    raise ValueError("on purpose")


def worker(name: str = "w1", queues: tuple[str, ...] = ("default",)) -> ShopWorker:
    return ShopWorker(
        queue_names=list(queues), interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id=name, excluded_queue_names=[],
    )  # fmt: skip


def job(of: Any = add, *args: Any, queue: str = "", **using: Any) -> Any:
    """A job enqueued through django-tasks (its row as the engine writes it); ``queue``
    moves it to another queue (this backend is configured with one)."""
    from django_tasks_db.models import DBTaskResult

    result = of.using(**using).enqueue(*args)
    if queue:
        DBTaskResult.objects.filter(id=result.id).update(queue_name=queue)
    return DBTaskResult.objects.get(id=result.id)


def test_the_next_job_is_the_one_django_tasks_db_would_take(postgres_only: None) -> None:
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    job(add, 1, 1, priority=0)
    job(add, 1, 2, priority=10)
    job(add, 1, 3, priority=10, run_after=now - timedelta(minutes=5))
    job(add, 1, 4, priority=-5)
    job(add, 1, 5, priority=50, run_after=now + timedelta(hours=1))  # not yet
    job(add, 1, 6, priority=99, queue="other")  # another queue
    w = worker()
    taken = []
    while True:
        expected = DBTaskResult.objects.ready().filter(queue_name="default").first()
        row = w.claim_next()
        if row is None:
            assert expected is None
            break
        assert expected is not None and row.id == expected.id
        taken.append(row.args_kwargs["args"][1])
        stored = DBTaskResult.objects.get(id=row.id)
        assert (stored.status, stored.worker_ids) == ("RUNNING", ["w1"])
        assert stored.started_at is not None
    assert taken == [3, 2, 1, 4]
    assert worker("w2", ("other",)).claim_next() is not None  # its own queue's


def test_a_job_another_worker_holds_is_skipped_not_waited_for(postgres_only: None) -> None:
    first = job(add, 2, 2, priority=10)
    second = job(add, 3, 3, priority=0)
    name = connection.settings_dict["NAME"]
    base = (configured_database_url() or "").rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/{name}") as other:  # a worker in the middle of its claim
        other.execute(f"SELECT id FROM {first._meta.db_table} WHERE id = %s FOR UPDATE", [first.id])
        with connection.cursor() as cursor:  # a claim that waited would fail, not hang
            cursor.execute("SET lock_timeout = '5s'")
        try:
            row = worker().claim_next()
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        assert row is not None and row.id == second.id
        other.rollback()
    row = worker().claim_next()
    assert row is not None and row.id == first.id


def test_a_finished_job_is_left_as_django_tasks_db_leaves_it(postgres_only: None) -> None:
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    ours, theirs = job(add, 20, 22), job(add, 20, 22, priority=-10)
    w = worker()
    w.run_task(w.claim_next())
    base = Worker(
        queue_names=["default"], interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id="w1", excluded_queue_names=[],
    )  # fmt: skip
    base.run()  # django-tasks-db's own loop takes the other one
    shown = ["status", "return_value", "exception_class_path", "traceback", "worker_ids"]
    mine, its = (DBTaskResult.objects.values(*shown).get(id=r.id) for r in (ours, theirs))
    assert mine == its == {**mine, "status": "SUCCESSFUL", "return_value": 42}
    assert DBTaskResult.objects.get(id=ours.id).finished_at is not None
    failed = job(fail)
    worker().run()
    row = DBTaskResult.objects.get(id=failed.id)
    assert row.status == "FAILED" and row.exception_class_path == "builtins.ValueError"
    assert "on purpose" in row.traceback


@task()
def stop_the_worker() -> None:
    """A stop signal arriving while this job runs (what `shutdown` does first)."""
    RUNNING[0].running = False


RUNNING: list[ShopWorker] = []


def test_a_batch_is_claimed_in_order_and_finished_together(postgres_only: None) -> None:
    from django_tasks_db.models import DBTaskResult

    jobs = [job(add, 1, k, priority=k % 3) for k in range(5)]
    failed = job(fail, priority=-1)
    w = worker()
    rows = w.claim_next_batch(10)
    expected = [*sorted(jobs, key=lambda r: (-r.priority, r.run_after, r.enqueued_at)), failed]
    assert [r.id for r in rows] == [r.id for r in expected]
    assert set(
        DBTaskResult.objects.filter(id__in=[r.id for r in rows]).values_list("status", flat=True)
    ) == {"RUNNING"}
    assert w.claim_next_batch(10) == []  # all taken
    with CaptureQueriesContext(connection) as queries:
        w.run_batch(rows)
    assert len(queries) == 2  # the failed job's own save, then one finish for the five
    stored = {r.id: r for r in DBTaskResult.objects.filter(id__in=[r.id for r in rows])}
    assert [stored[r.id].return_value for r in jobs] == [1, 2, 3, 4, 5]
    assert {stored[r.id].status for r in jobs} == {"SUCCESSFUL"}
    assert all(stored[r.id].finished_at is not None for r in jobs)
    assert stored[failed.id].status == "FAILED"


def test_what_a_batch_does_not_start_goes_back_to_the_queue(postgres_only: None) -> None:
    from django_tasks_db.models import DBTaskResult

    slow = worker("slow")
    slow.hold_seconds = 0  # every job after the first is past the hold time
    held = [job(add, 2, k) for k in range(3)]
    rows = slow.claim_next_batch()
    slow.run_batch(rows)
    first, *rest = (DBTaskResult.objects.get(id=r.id) for r in held)
    assert (first.status, first.return_value) == ("SUCCESSFUL", 2)
    for row in rest:  # as if never claimed: any worker takes them
        assert (row.status, row.started_at, row.worker_ids) == ("READY", None, [])
    stopping = worker("stopping")
    RUNNING[:] = [stopping]
    stop, after = job(stop_the_worker, priority=5), job(add, 3, 3)
    stopping.run_batch(stopping.claim_next_batch())
    assert DBTaskResult.objects.get(id=stop.id).status == "SUCCESSFUL"
    assert DBTaskResult.objects.get(id=after.id).status == "READY"
    other = worker("w2")
    taken = other.claim_next_batch()
    assert {r.id for r in taken} == {r.id for r in (*rest, after)}
    assert all(r.worker_ids == ["w2"] for r in taken)
