"""The ``IdempotencyStore`` port in memory, for tests and scripts; no Django."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import attrs

from shop_app.ports.idempotency import KEEP_FOR, Claim
from shop_domain.ids import CustomerId


@attrs.define
class _Record:
    fingerprint: str
    created_at: datetime
    status_code: int | None = None
    response: Any = None


class InMemoryIdempotencyStore:
    """Claims under one lock: as the database's unique row, one concurrent claim wins."""

    def __init__(self) -> None:
        self._records: dict[tuple[CustomerId, str], _Record] = {}
        self._lock = threading.Lock()

    def claim(self, customer_id: CustomerId, key: str, fingerprint: str, now: datetime) -> Claim:
        with self._lock:
            record = self._records.get((customer_id, key))
            if record is not None and record.created_at < now - KEEP_FOR:
                record = None
            if record is None:
                self._records[(customer_id, key)] = _Record(fingerprint, now)
                return Claim(mine=True)
            return Claim(
                mine=False,
                fingerprint=record.fingerprint,
                status_code=record.status_code,
                response=record.response,
            )

    def complete(self, customer_id: CustomerId, key: str, status_code: int, response: Any) -> None:
        with self._lock:
            record = self._records.get((customer_id, key))
            if record is not None:
                record.status_code, record.response = status_code, response

    def release(self, customer_id: CustomerId, key: str) -> None:
        with self._lock:
            record = self._records.get((customer_id, key))
            if record is not None and record.status_code is None:
                del self._records[(customer_id, key)]

    def purge(self, now: datetime) -> int:
        with self._lock:
            old = [k for k, r in self._records.items() if r.created_at < now - KEEP_FOR]
            for k in old:
                del self._records[k]
            return len(old)
