"""Writes of a unit of work held back and sent together (PostgreSQL).

A use case that changes things usually ends with a few independent writes: an order,
its lines, the bucket emptied and the stock counted down, say. Sent one by one they cost
a round trip each; held back, they go as one statement (data-modifying WITH clauses)
just before the unit of work's next statement of any kind, or at its commit. Foreign
keys are checked at the end of that statement, so a row and the rows that refer to it
may go together. One statement sees one snapshot, so two writes to the same row are
never sent together: the first batch goes first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

Statement = tuple[str, list[Any]]
Row = tuple[str, Any]  # (table, primary key)

_STACK = "_shop_write_behind"


def combined(statements: list[Statement]) -> Statement:
    """Several writes as one PostgreSQL statement (all but the last in WITH clauses)."""
    if len(statements) == 1:
        return statements[0]
    heads = ", ".join(f"w{i} AS ({sql})" for i, (sql, _) in enumerate(statements[:-1]))
    return f"WITH {heads} {statements[-1][0]}", [p for _, params in statements for p in params]


class WriteBehind:
    """The held-back writes of one unit of work; also a Django execute wrapper that
    sends them before any other statement goes out."""

    def __init__(self) -> None:
        self._pending: list[Statement] = []
        self._rows: set[Row] = set()

    def hold(self, statements: Iterable[Statement], rows: set[Row]) -> None:
        if rows & self._rows:
            self.flush()
        self._pending.extend(statements)
        self._rows |= rows

    def flush(self) -> None:
        if self._pending:
            with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
                self._send(cursor.execute)

    def discard(self) -> None:
        self._pending, self._rows = [], set()

    def _send(self, run: Callable[[str, list[Any]], Any]) -> None:
        if self._pending:
            batch = self._pending
            self.discard()  # before running: the statement passes through this wrapper too
            run(*combined(batch))

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self._send(
            lambda pending_sql, pending_params: execute(pending_sql, pending_params, False, context)
        )
        return execute(sql, params, many, context)


def _stack() -> list[WriteBehind]:
    wrapper = connections[DEFAULT_DB_ALIAS]  # this thread's connection
    return wrapper.__dict__.setdefault(_STACK, [])


def current() -> WriteBehind | None:
    """The innermost unit of work's write-behind, if one is open on this thread."""
    stack = _stack()
    return stack[-1] if stack else None


def push(writes: WriteBehind) -> Any:
    """Open ``writes`` for the current transaction; returns what ``pop`` needs."""
    _stack().append(writes)
    hook = connections[DEFAULT_DB_ALIAS].execute_wrapper(writes)
    hook.__enter__()
    return hook


def pop(writes: WriteBehind, hook: Any) -> None:
    hook.__exit__(None, None, None)
    stack = _stack()
    if stack and stack[-1] is writes:
        stack.pop()
