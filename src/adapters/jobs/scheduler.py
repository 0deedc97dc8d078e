"""Periodic work, each period run exactly once across any number of workers.

``shop_scheduled_job`` has one row per job with the start of its next period. Every
worker's scheduler loop looks every few seconds; whoever sees a job due claims the
period with a conditional UPDATE (``... WHERE next_due_at <= now``): on PostgreSQL a
second claimant waits for the first's row lock and then finds the row no longer due,
on SQLite writers are serialized; either way one UPDATE changes the row. The job is
enqueued in the claiming transaction, so a claimed period always has its job.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from django.db import close_old_connections, transaction
from django.utils import timezone

from adapters.persistence.models import ScheduledJob

log = logging.getLogger(__name__)

#: Job name -> period in seconds (the contract: reservation expiry every minute).
SCHEDULE: dict[str, int] = {
    "expire_reservations": 60,
    "reconcile_payments": 60,
    "purge_idempotency": 3600,
    "requeue_stalled": 60,  # jobs a dead worker left RUNNING (see tasks.requeue_stalled)
    "purge_finished_jobs": 3600,  # finished jobs older than tasks.FINISHED_KEPT
}
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def next_period(now: datetime, period: int) -> datetime:
    """The start of the period after the one ``now`` is in (periods on a fixed grid)."""
    elapsed = int((now - _EPOCH).total_seconds()) // period
    return _EPOCH + timedelta(seconds=(elapsed + 1) * period)


def ensure_rows(now: datetime) -> None:
    ScheduledJob.objects.bulk_create(
        [ScheduledJob(name=name, next_due_at=now) for name in SCHEDULE], ignore_conflicts=True
    )


def claim(name: str, now: datetime, worker_id: str = "") -> bool:
    """Claim the current period of ``name`` and enqueue its job; False when another
    worker has it (or it is not due)."""
    from adapters.jobs.tasks import run_scheduled

    with transaction.atomic():
        claimed = ScheduledJob.objects.filter(name=name, next_due_at__lte=now).update(
            next_due_at=next_period(now, SCHEDULE[name]),
            last_claimed_at=now,
            last_claimed_by=worker_id[:64],
        )
        if claimed:
            run_scheduled.enqueue(name=name)
    return bool(claimed)


def tick(worker_id: str = "", now: datetime | None = None) -> list[str]:
    """Claim every job that is due now; returns the names this worker claimed."""
    now = now or timezone.now()
    due = ScheduledJob.objects.filter(next_due_at__lte=now).values_list("name", flat=True)
    return [name for name in list(due) if name in SCHEDULE and claim(name, now, worker_id)]


def loop(worker_id: str, stop: threading.Event, every: float = 5.0) -> None:
    """A worker's scheduler thread."""
    try:
        ensure_rows(timezone.now())
    except Exception:
        log.exception("scheduler: could not create the schedule rows")
    while not stop.wait(every):
        try:
            close_old_connections()
            for name in tick(worker_id):
                log.info("scheduler: %s claimed by %s", name, worker_id)
        except Exception:  # a database hiccup: look again next time
            log.exception("scheduler tick failed")
