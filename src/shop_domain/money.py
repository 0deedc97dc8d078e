"""Money: a Decimal amount in one currency, always quantised to the currency's minor unit."""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs

from shop_domain.errors import CurrencyMismatch, ValidationFailed

# The largest amount the shop's money can hold: every money column (prices, line
# prices, sums, payments) holds at least MONEY_MAX_DIGITS digits, MONEY_DECIMAL_PLACES
# of them decimals (the persistence models are declared from these). Amounts are
# checked against it where they arise (a price, a bucket line, a bucket, an order),
# because SQLite does not enforce a column's precision and PostgreSQL answers an
# overflow with an error.
MONEY_MAX_DIGITS = 12
MONEY_DECIMAL_PLACES = 2
MAX_AMOUNT = Decimal(10) ** (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES) - Decimal(1).scaleb(
    -MONEY_DECIMAL_PLACES
)

# Minor-unit exponents where they differ from 2 (ISO 4217).
_EXPONENTS = {"JPY": 0, "KRW": 0, "HUF": 2, "BHD": 3, "KWD": 3, "TND": 3}


def minor_exponent(currency: str) -> int:
    return _EXPONENTS.get(currency, 2)


@functools.cache  # every amount the shop reads or computes is quantised, dozens per request
def _quantum(currency: str) -> Decimal:
    """The currency's minor unit as a Decimal (0.01 for most)."""
    return Decimal(1).scaleb(-minor_exponent(currency))


def _quantise(amount: Any, currency: str) -> Decimal:
    if isinstance(amount, float):
        raise TypeError("Money never takes a float; pass a Decimal, int or str")
    value = amount if isinstance(amount, Decimal) else Decimal(amount)
    if not value.is_finite():
        raise ValueError("Money must be finite")
    return value.quantize(_quantum(currency), rounding=ROUND_HALF_UP)


@attrs.frozen(order=False)
class Money:
    amount: Decimal = attrs.field()
    currency: str = attrs.field(default="PLN")

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "amount", _quantise(self.amount, self.currency))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        return cls(Decimal(minor).scaleb(-minor_exponent(currency)), currency)

    @property
    def minor(self) -> int:
        """The amount in minor units (grosze, cents): what payment providers expect."""
        return int(self.amount.scaleb(minor_exponent(self.currency)))

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int) or isinstance(factor, bool):
            raise TypeError("Money multiplies by an integer quantity only")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    @property
    def fits(self) -> bool:
        """Whether the shop's money columns can hold this amount (see MAX_AMOUNT)."""
        return abs(self.amount) <= MAX_AMOUNT

    def ensure_fits(self, field: str, what: str) -> None:
        """Refuse (400/1000, ``details[field]``) an amount the shop cannot hold."""
        if not self.fits:
            raise ValidationFailed(
                details={
                    field: [
                        f"{what} {self} is over the largest amount the shop can hold, "
                        f"{MAX_AMOUNT} {self.currency}"
                    ]
                }
            )

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    @classmethod
    def total(cls, items: list[Money] | tuple[Money, ...], currency: str) -> Money:
        result = cls.zero(currency)
        for item in items:
            result = result + item
        return result
