"""Webhook endpoints and deliveries: the delivery status machine and the retry schedule.

A delivery is one event for one endpoint. It starts ``pending``; an attempt that gets a
2xx makes it ``succeeded``; any other outcome makes it ``failed`` with the next attempt
scheduled, until the schedule is used up: then it is ``dead``. A retry by staff makes a
failed or dead one (or a delivered one, to send it again) due at once.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

WILDCARD = "*"
DEFAULT_RETRY_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 86400)


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DEAD = "dead"

    @property
    def final(self) -> bool:
        return self in (DeliveryStatus.SUCCEEDED, DeliveryStatus.DEAD)


@attrs.frozen
class RetrySchedule:
    """Seconds between attempts: a first attempt, then one retry per entry."""

    delays: tuple[int, ...] = DEFAULT_RETRY_SCHEDULE

    @classmethod
    def of(cls, delays: Sequence[int | float]) -> RetrySchedule:
        if any(d < 0 for d in delays):
            raise ValueError("retry delays are seconds, zero or more")
        return cls(tuple(int(d) for d in delays))

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1

    def delay_after(self, attempts: int) -> timedelta | None:
        """The wait after the ``attempts``-th failed attempt, or None: no attempt is left."""
        if attempts < 1 or attempts > len(self.delays):
            return None
        return timedelta(seconds=self.delays[attempts - 1])


@attrs.frozen(kw_only=True)
class WebhookEndpoint:
    id: uuid.UUID
    url: str
    events: tuple[str, ...]
    description: str
    active: bool
    created_at: datetime
    secret: str = attrs.field(repr=False)

    def wants(self, event_type: str) -> bool:
        return self.active and (WILDCARD in self.events or event_type in self.events)


@attrs.define(kw_only=True)
class WebhookDelivery:
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: str
    event_type: str
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str = ""
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None

    def succeed(self, *, status_code: int, at: datetime) -> None:
        self.status = DeliveryStatus.SUCCEEDED
        self.last_status_code, self.last_error = status_code, ""
        self.delivered_at, self.next_attempt_at = at, None

    def fail(
        self, *, status_code: int | None, error: str, at: datetime, schedule: RetrySchedule
    ) -> None:
        """The attempt numbered ``attempts`` failed: the next is scheduled, or none is left."""
        self.last_status_code, self.last_error = status_code, error[:500]
        delay = schedule.delay_after(self.attempts)
        if delay is None:
            self.status, self.next_attempt_at = DeliveryStatus.DEAD, None
        else:
            self.status, self.next_attempt_at = DeliveryStatus.FAILED, at + delay

    def retry_now(self, *, at: datetime) -> None:
        """Due at once. A dead delivery gets one more attempt (failing it, it is dead
        again); a failed one moves its next attempt to now and keeps its schedule."""
        self.status, self.next_attempt_at = DeliveryStatus.PENDING, at
