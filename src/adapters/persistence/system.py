"""The real clock and id source: what production wires in (no Django here either)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class UuidSource:
    def new_id(self) -> uuid.UUID:
        return uuid.uuid4()
