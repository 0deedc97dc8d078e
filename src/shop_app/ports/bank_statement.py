"""What the bank statement import needs from the outside: the statement's credits, and
the transfer titles written in a credit's text."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the use case module imports this one
    from shop_app.use_cases.bank_statement import BankCredit


class StatementTitles(Protocol):
    """Finds the shop's transfer titles in the free text a customer typed into a
    transfer (the credit's purpose), as the transfer provider writes them."""

    def find(self, text: str) -> list[str]:
        """The well-formed titles in ``text`` (check digits right), normalised as the
        provider issues them, each once, in order of appearance. A title found here is
        the one the provider gave an order; nothing else is."""
        ...

    def find_mistyped(self, text: str) -> list[str]:
        """What looks like a title in ``text`` but is not one (wrong check digits):
        never an order's title, only worth telling staff about."""
        ...


class StatementReader(Protocol):
    """Reads a bank statement file into the credits it lists."""

    def read(
        self, path: str | os.PathLike[str], *, encoding: str | None = None
    ) -> list[BankCredit]:
        """The credits of the statement at ``path``, in statement order (debits and
        reversals left out). A file that cannot be read raises OSError; one that is not
        a statement of the reader's format raises ValueError."""
        ...
