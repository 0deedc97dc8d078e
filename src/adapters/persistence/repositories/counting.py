"""What a list's ``count`` costs: exact up to EXACT_COUNT_UP_TO, estimated above.

Counting every matching row on every page made a page of a million-row list cost
hundreds of milliseconds. Here the count reads at most EXACT_COUNT_UP_TO + 1 rows
(a ``LIMIT`` inside the count, in the page's own statement); only when more match does
PostgreSQL's planner estimate the total (``EXPLAIN``, one more statement, no rows
read). The documented meaning is in docs/api-contract.md ("count").
"""

from __future__ import annotations

import json
from typing import Any

from django.db import connection

EXACT_COUNT_UP_TO = 1000


def capped_count_sql(from_where: str) -> str:
    """A scalar subquery: the matches of ``FROM ... WHERE ...``, counted up to the cap + 1."""
    return f"(SELECT COUNT(*) FROM (SELECT 1 {from_where} LIMIT {EXACT_COUNT_UP_TO + 1}) capped)"


def estimate(sql: str, params: list[Any]) -> int:
    """The planner's estimate of the rows ``sql`` returns (PostgreSQL; none is read)."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def total(capped: int, *, offset: int, shown: int, more: bool, estimated: Any) -> int:
    """The count a page reports. ``capped`` is the capped count, ``shown`` the items on
    the page, ``more`` whether an item follows them; ``estimated()`` gives the planner's
    estimate (called only above the cap). Exact when at most the cap match, or on the
    last page (then the items up to its end are all there are); above the cap the
    estimate, but never so low that it contradicts what the page saw."""
    if capped <= EXACT_COUNT_UP_TO:
        return capped
    if shown and not more:
        return offset + shown
    return max(estimated(), EXACT_COUNT_UP_TO + 1, offset + shown + (1 if more else 0))
