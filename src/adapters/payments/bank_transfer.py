"""Bank transfers to the shop's own account.

The customer gets the account, the amount and a transfer *title* to put in the
transfer's reference. Nobody calls back: staff mark the order paid by hand, or
a bank statement import finds the title in the credit's text
(:class:`shop_app.use_cases.bank_statement.ImportBankCredits` with
:func:`find_titles`).

Title format
------------
``SHOP`` + 16 digits + 2 check digits, e.g. ``SHOP427204058494653091`` (22
characters, digits only after the prefix so it survives any bank's character
set and is easy to read out):

- the 16 digits are derived from the order's uuid (SHA-256 of its bytes, first
  8 bytes as an integer, modulo 10**16): every payment attempt of one order
  carries the same title, and a title tells nothing about other orders;
- the check digits are ISO 7064 MOD 97-10, computed as for IBANs: the letters of
  the prefix count as two-digit numbers (A=10 ... Z=35, so ``SHOP`` = 28172425),
  the check digits are ``98 - (number * 100 mod 97)``, and a title is valid when
  ``int("28172425" + digits + check) % 97 == 1``. That catches every
  single-digit substitution and every transposition of adjacent digits (and of
  digits one apart), so a mistyped title matches no order instead of the wrong one.

Banks may change case and insert spaces or dashes: :func:`find_titles` accepts
``shop 4272-0405 8494 6530 91`` as well.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from shop_app.ports.payment_gateway import (
    GatewayResult,
    Notification,
    PaymentRequest,
    RefundRequest,
    RefundResult,
)
from shop_domain.errors import InvalidNotificationSignature, TransferConfirmedOnArrival
from shop_domain.money import Money, minor_exponent
from shop_domain.payment import Payment, PaymentStatus
from shop_domain.refund import RefundStatus

PROVIDER = "bank_transfer"
TITLE_PREFIX = "SHOP"
CODE_DIGITS = 16

# The prefix in ISO 7064 / IBAN numbering: each letter as its two-digit value.
_PREFIX_NUMBER = "".join(str(ord(ch) - ord("A") + 10) for ch in TITLE_PREFIX)
# Separators a bank or a customer may put inside a title: whitespace and dashes.
_SEP = r"[\s\-\u2010-\u2015]*"
_TITLE_RE = re.compile(
    _SEP.join(TITLE_PREFIX) + "(" + rf"(?:{_SEP}[0-9])" * (CODE_DIGITS + 2) + ")",
    re.IGNORECASE,
)
_NOT_DIGIT = re.compile(r"[^0-9]")


def _check_digits(code: str) -> str:
    return f"{98 - int(_PREFIX_NUMBER + code + '00') % 97:02d}"


def _valid(digits: str) -> bool:
    """``digits`` are the code and check digits after the prefix."""
    return len(digits) == CODE_DIGITS + 2 and int(_PREFIX_NUMBER + digits) % 97 == 1


def transfer_title(order_id: UUID) -> str:
    """The transfer title of an order: the same for every attempt to pay it."""
    digest = hashlib.sha256(order_id.bytes).digest()
    code = f"{int.from_bytes(digest[:8], 'big') % 10**CODE_DIGITS:0{CODE_DIGITS}d}"
    return TITLE_PREFIX + code + _check_digits(code)


def _title_shapes(text: str, *, valid: bool) -> list[str]:
    found: list[str] = []
    for match in _TITLE_RE.finditer(text):
        digits = _NOT_DIGIT.sub("", match.group(1))
        title = TITLE_PREFIX + digits
        if _valid(digits) == valid and title not in found:
            found.append(title)
    return found


def find_titles(text: str) -> list[str]:
    """Well-formed titles with valid check digits in a statement line, normalised
    (upper case, no separators), each once, in order of appearance."""
    return _title_shapes(text, valid=True)


def find_mistyped_titles(text: str) -> list[str]:
    """What looks like a title but whose check digits are wrong (a mistyped title),
    normalised as :func:`find_titles` does: never an order's title, only reported."""
    return _title_shapes(text, valid=False)


class BankTransferTitles:
    """The ``StatementTitles`` port: this provider's titles in a statement's text."""

    def find(self, text: str) -> list[str]:
        return find_titles(text)

    def find_mistyped(self, text: str) -> list[str]:
        return find_mistyped_titles(text)


def _amount_text(amount: Money) -> str:
    return f"{amount.amount:.{max(2, minor_exponent(amount.currency))}f}"


class BankTransferGateway:
    """The shop's bank account as a payment provider (see the module docstring)."""

    provider = PROVIDER
    customer_confirms = False
    answers_locally = True  # the instructions are computed here
    refunds_locally = True  # a payout staff send: nobody to call

    def __init__(self, iban: str, holder: str):
        try:
            parsed = IBAN(iban, validate_bban=True)
        except SchwiftyException as error:
            raise ValueError(
                f"bank transfer account {iban!r} is not a valid IBAN: {error}"
            ) from None
        if not holder.strip():
            raise ValueError("bank transfer account holder must not be empty")
        self.iban = parsed.compact
        self.holder = holder.strip()

    def start(self, request: PaymentRequest) -> GatewayResult:
        title = transfer_title(request.order_id)
        return GatewayResult(
            status=PaymentStatus.PENDING,
            external_ref=title,
            next_action={
                "type": "bank_transfer",
                "account_holder": self.holder,
                "iban": self.iban,
                "title": title,
                "amount": _amount_text(request.amount),
                "currency": request.amount.currency,
            },
        )

    def confirm(self, payment: Payment, params: Mapping[str, Any]) -> GatewayResult:
        raise TransferConfirmedOnArrival()

    def refund(self, payment: Payment) -> GatewayResult:
        # Staff send the money back by hand; the shop records it as returned.
        return GatewayResult(status=PaymentStatus.REFUNDED, external_ref=payment.external_ref)

    def refund_money(self, request: RefundRequest) -> RefundResult:
        """A payout to the customer's account: pending until staff mark it sent."""
        return RefundResult(status=RefundStatus.PENDING)

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> Notification:
        raise InvalidNotificationSignature("banks send no notifications")
