"""The delivery job on Django's tasks framework (django-tasks, with django-tasks-db's
database backend: a job is a row written in the caller's transaction)."""

from __future__ import annotations

import uuid
from datetime import datetime

from django_tasks import task


@task()
def deliver_webhook(delivery_id: str) -> str:
    """One attempt at a delivery, if it is due (see delivery.attempt)."""
    from adapters.webhooks.delivery import attempt

    return attempt(uuid.UUID(delivery_id))


def enqueue_delivery(delivery_id: uuid.UUID, at: datetime | None = None) -> None:
    """Schedules an attempt (now, or at ``at``) in the current transaction. Extra jobs
    are harmless: the delivery's own row decides whether an attempt is due."""
    job = deliver_webhook if at is None else deliver_webhook.using(run_after=at)
    job.enqueue(str(delivery_id))
