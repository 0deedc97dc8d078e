"""Page requests and pages, shared by every list a port returns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import attrs

T = TypeVar("T")

MAX_PAGE_SIZE = 100


@attrs.frozen
class Keyset:
    """A place in a list's order, by the sort value and id of the item there: a page
    after it (``backward`` False) or before it. ``value`` None with no ``id``: the start."""

    value: Any = None
    id: str | None = None
    backward: bool = False


@attrs.frozen
class PageRequest:
    page: int = 1
    size: int = 20
    # Keyset pagination (the catalog's ``cursor``): when set, ``page`` is not used.
    keyset: Keyset | None = None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


@attrs.frozen
class Page(Generic[T]):
    items: Sequence[T]
    count: int
    # Keyset pages only: whether items come before the first / after the last shown.
    before: bool = False
    after: bool = False
