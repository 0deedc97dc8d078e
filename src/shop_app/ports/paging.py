"""Page requests and pages, shared by every list a port returns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

import attrs

T = TypeVar("T")

MAX_PAGE_SIZE = 100


@attrs.frozen
class PageRequest:
    page: int = 1
    size: int = 20

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


@attrs.frozen
class Page(Generic[T]):
    items: Sequence[T]
    count: int
