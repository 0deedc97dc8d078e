"""The store behind the Idempotency-Key header: a request that repeats an earlier one
(same customer, same key) gets the earlier answer instead of a second effect."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

import attrs

from shop_domain.ids import CustomerId

#: How long a key is remembered; after that the same key is a new request.
KEEP_FOR = timedelta(hours=24)


@attrs.frozen
class Claim:
    """The outcome of claiming a key: ours to run, or somebody's earlier request."""

    mine: bool
    fingerprint: str = ""  # what the earlier request was (method, path, body), hashed
    status_code: int | None = None  # None: the earlier request is still running
    response: Any = None  # the earlier request's answer body, once it has one


class IdempotencyStore(Protocol):
    """Remembers, per customer and key, which request came first and what it answered.

    Claiming is atomic: of any number of concurrent claims of one key exactly one gets
    ``Claim(mine=True)``; the others see that claim (its fingerprint, and its answer
    once completed). A key older than ``KEEP_FOR`` is forgotten before a claim.
    """

    def claim(self, customer_id: CustomerId, key: str, fingerprint: str, now: datetime) -> Claim:
        """Take the key for a request with this fingerprint, or tell whose it is."""
        ...

    def complete(self, customer_id: CustomerId, key: str, status_code: int, response: Any) -> None:
        """Keep the answer of the request that claimed the key, for its repeats."""
        ...

    def release(self, customer_id: CustomerId, key: str) -> None:
        """Forget a claim whose request failed in a way worth retrying (not completed):
        the next request with the key runs afresh."""
        ...

    def purge(self, now: datetime) -> int:
        """Forget every key older than ``KEEP_FOR``; how many were forgotten."""
        ...
