"""What a list's ``count`` costs: exact up to EXACT_COUNT_UP_TO, estimated above.

Counting every matching row on every page made a page of a million-row list cost
hundreds of milliseconds. Here the count reads at most EXACT_COUNT_UP_TO + 1 rows
(a ``LIMIT`` inside the count, in the page's own statement); only when more match does
PostgreSQL's planner estimate the total (``EXPLAIN``, one more statement, no rows
read), and that estimate is kept for ESTIMATE_KEPT_SECONDS per list and filter. While
it is kept, the list's pages neither plan it again nor read the capped count (``kept``):
a common search term or a big filter would otherwise read cap + 1 matches on every
page, a cost that grows with the matches' sparseness, not with the page. The documented
meaning is in docs/contract-notes.md ("count").
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from django.db import connection

EXACT_COUNT_UP_TO = 1000
#: How long an estimate is reused for the same list and filter (per process).
ESTIMATE_KEPT_SECONDS = 5.0
_KEPT_AT_MOST = 1024  # distinct filters remembered; beyond that the memory starts over
_kept: dict[tuple[str, str, tuple[str, ...]], tuple[float, int]] = {}
_kept_lock = threading.Lock()
_clock = time.monotonic


def capped_count_sql(from_where: str) -> str:
    """A scalar subquery: the matches of ``FROM ... WHERE ...``, counted up to the cap + 1."""
    return f"(SELECT COUNT(*) FROM (SELECT 1 {from_where} LIMIT {EXACT_COUNT_UP_TO + 1}) capped)"


def estimate(sql: str, params: list[Any]) -> int:
    """The planner's estimate of the rows ``sql`` returns (PostgreSQL; none is read),
    reused for ESTIMATE_KEPT_SECONDS: an estimate is approximate anyway."""
    key = _key(sql, params)
    now = _clock()
    kept = _kept.get(key)
    if kept is not None and now - kept[0] < ESTIMATE_KEPT_SECONDS:
        return kept[1]
    rows = _planned_rows(sql, params)
    with _kept_lock:
        if len(_kept) >= _KEPT_AT_MOST:
            _kept.clear()
        _kept[key] = (now, rows)
    return rows


def kept(sql: str, params: list[Any]) -> bool:
    """Whether an estimate of ``sql`` is kept (so more than the cap matched a few seconds
    ago): then the page skips its capped count and reports the kept estimate."""
    found = _kept.get(_key(sql, params))
    return found is not None and _clock() - found[0] < ESTIMATE_KEPT_SECONDS


def _key(sql: str, params: list[Any]) -> tuple[str, str, tuple[str, ...]]:
    return (str(connection.settings_dict.get("NAME")), sql, tuple(str(p) for p in params))


def forget_estimates() -> None:
    """Drop every kept estimate (tests that change a list's size between requests)."""
    with _kept_lock:
        _kept.clear()


def _planned_rows(sql: str, params: list[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def total(capped: int | None, *, offset: int, shown: int, more: bool, estimated: Any) -> int:
    """The count a page reports. ``capped`` is the capped count (None: not read, a kept
    estimate says more than the cap match), ``shown`` the items on the page, ``more``
    whether an item follows them; ``estimated()`` gives the planner's estimate (called
    only above the cap). Exact when at most the cap match, or on the last page (then the
    items up to its end are all there are); above the cap the estimate, but never so low
    that it contradicts what the page saw."""
    if capped is not None and capped <= EXACT_COUNT_UP_TO:
        return capped
    if shown and not more:
        return offset + shown
    return max(estimated(), EXACT_COUNT_UP_TO + 1, offset + shown + (1 if more else 0))
