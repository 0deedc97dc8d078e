from __future__ import annotations

from typing import Protocol
from uuid import UUID


class IdSource(Protocol):
    """Hands out new, unique ids."""

    def new_id(self) -> UUID: ...
