"""The pending writes of one Django unit of work (on PostgreSQL, sent together).

A use case that changes things usually ends with a few independent writes: an order,
its lines, the bucket emptied and the stock counted down, say. Sent one by one they cost
a round trip each; held back, they go as one statement (data-modifying WITH clauses)
just before the unit of work's repositories run their next query, or at ``commit()``.
Foreign keys are checked at the end of that statement, so a row and the rows that refer
to it may go together. One statement sees one snapshot, so two writes to the same row
are never sent together: the first batch goes first.

Only writes whose refusal would be a bug are held: rows the unit of work has locked, or
new rows under ids the shop made, with values the domain has checked. A write whose
database verdict is an answer for the use case (a unique username, one bucket line per
product) is sent at once (``now=True``), so its failure is raised where it was made.

The unit of work owns its batch and hands it to its repositories when it makes them;
nothing here is global or per connection.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection

from shop_app.ports.unit_of_work import ReadOnlyUnitOfWork

Statement = tuple[str, list[Any]]
Row = tuple[str, Any]  # (table, primary key)


def combined(statements: list[Statement]) -> Statement:
    """Several writes as one PostgreSQL statement (all but the last in WITH clauses)."""
    if len(statements) == 1:
        return statements[0]
    heads = ", ".join(f"w{i} AS ({sql})" for i, (sql, _) in enumerate(statements[:-1]))
    return f"WITH {heads} {statements[-1][0]}", [p for _, params in statements for p in params]


class WriteBatch:
    """The writes a unit of work holds back, and what it allows its repositories.

    Closed (no unit of work open), every write goes at once. Open read-only, a write or
    a lock raises ReadOnlyUnitOfWork. Open for writing on PostgreSQL, writes are held
    until the next query or ``flush()``.
    """

    #: Whether open units of work hold writes back at all (the benchmark's switch,
    #: bench/write_batch.py, measures what holding is worth).
    holding = True

    def __init__(self) -> None:
        self._pending: list[Statement] = []
        self._rows: set[Row] = set()
        self._read_only = False
        self._hold = False

    def open(self, *, read_only: bool) -> None:
        self.discard()
        self._read_only = read_only
        self._hold = not read_only and self.holding and connection.vendor == "postgresql"

    def close(self) -> None:
        self.discard()
        self._read_only = self._hold = False

    def read(self, *, lock: bool = False) -> None:
        """Before a repository's query: what is held goes first, so the query sees it."""
        if lock and self._read_only:
            raise ReadOnlyUnitOfWork("a read-only unit of work locks nothing")
        self.flush()

    def before_write(self) -> None:
        """Before a write a repository sends itself (through the ORM)."""
        if self._read_only:
            raise ReadOnlyUnitOfWork("a read-only unit of work writes nothing")
        self.flush()

    def write(self, *statements: Statement, rows: Iterable[Row] = (), now: bool = False) -> None:
        """These writes, which change ``rows``: held back unless ``now`` (the caller needs
        the database's verdict at once), and on PostgreSQL sent as one statement."""
        if self._read_only:
            raise ReadOnlyUnitOfWork("a read-only unit of work writes nothing")
        changed = set(rows)
        if self._hold and not now:
            if changed & self._rows:
                self.flush()
            self._pending.extend(statements)
            self._rows |= changed
            return
        self.flush()
        self._send(list(statements))

    def flush(self) -> None:
        """Send what is held, now."""
        if self._pending:
            pending = self._pending
            self.discard()
            self._send(pending)

    def discard(self) -> None:
        self._pending, self._rows = [], set()

    @staticmethod
    def _send(statements: list[Statement]) -> None:
        if connection.vendor == "postgresql":
            statements = [combined(statements)]
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
