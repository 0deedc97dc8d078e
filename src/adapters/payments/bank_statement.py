"""Read bank statements in the SWIFT MT940 format into the credits the statement
import matches against transfer titles (parsing by the ``mt-940`` package)."""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import re
from typing import Any

import mt940

from shop_app.use_cases.bank_statement import BankCredit
from shop_domain.money import Money

#: A credit of a statement is the core's BankCredit: nothing else to convert to.
Credit = BankCredit

_OPTIONS = mt940.Options(
    reversal_sign=True,  # RC (reversal of a credit) is money leaving the account
    case_insensitive_marks=True,
    unbounded_details=True,  # long :86: purposes are kept whole
    strip_bom=True,
)
# Keep :86: as the bank sent it; _purpose() reads the free-text and the structured
# forms alike (German "?20" and Polish "~20" sub-fields).
_PROCESSORS: Any = {"post_transaction_details": []}

_STRUCTURED = re.compile(r"^\d{3}(?P<sep>[?~^<])\d{2}")
_PURPOSE_FIELDS = frozenset({*range(20, 30), *range(60, 64)})
_NO_REFERENCE = {"", "NONREF"}


def _purpose(details: str) -> str:
    """The purpose text of a :86: field, on one line.

    Structured fields (``166?00...?20...?21...``) give the concatenated purpose
    sub-fields ?20-?29 and ?60-?63, whose lines the bank cut at fixed widths;
    free text gives all its lines joined by spaces.
    """
    lines = details.splitlines()
    joined = "".join(lines)
    structured = _STRUCTURED.match(joined)
    if structured:
        parts = re.split(re.escape(structured["sep"]) + r"(\d{2})", joined)
        purpose = "".join(
            value
            for key, value in zip(parts[1::2], parts[2::2], strict=True)
            if int(key) in _PURPOSE_FIELDS
        ).strip()
        if purpose:
            return purpose
    return " ".join(line.strip() for line in lines if line.strip())


def _reference(data: dict[str, Any]) -> str:
    for key in ("bank_reference", "customer_reference"):
        value = (data.get(key) or "").strip()
        if value.upper() not in _NO_REFERENCE:
            return value
    return ""


def read_mt940(
    source: str | os.PathLike[str] | bytes,
    *,
    encoding: str | None = None,
    currency: str | None = None,
) -> list[BankCredit]:
    """The credits of an MT940 file (a path) or of its content (bytes), in order.

    Debits (``D``) and reversals (``RC``, ``RD``) are skipped. Several statements in
    one file are read in turn. ``currency`` serves when a statement has no balance
    to take it from. A file that is not MT940 raises ValueError.
    """
    data = source if isinstance(source, bytes) else pathlib.Path(source).read_bytes()
    try:
        statements = mt940.parse_statements(
            data, encoding=encoding, processors=_PROCESSORS, options=_OPTIONS
        )
    except RuntimeError as error:
        raise ValueError(f"not a valid MT940 statement: {error.args[0]}") from None
    if not statements:
        raise ValueError("not an MT940 statement: no :20: statement found")
    credits: list[BankCredit] = []
    for statement in statements:
        for transaction in statement:
            fields = transaction.data
            if str(fields.get("status") or "").upper() != "C":
                continue
            code = fields.get("currency") or statement.currency or currency
            if not code:
                raise ValueError("the statement gives no currency: pass currency=")
            value_date = fields.get("date")
            credits.append(
                BankCredit(
                    amount=Money(fields["amount"].amount, code),
                    text=_purpose(fields.get("transaction_details") or ""),
                    reference=_reference(fields),
                    date=dt.date(value_date.year, value_date.month, value_date.day)
                    if value_date
                    else None,
                )
            )
    return credits


class Mt940StatementReader:
    """The ``StatementReader`` port for MT940 files."""

    def read(
        self, path: str | os.PathLike[str], *, encoding: str | None = None
    ) -> list[BankCredit]:
        return read_mt940(path, encoding=encoding)
