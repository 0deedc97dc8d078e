"""Input fields for numbers, stricter than DRF's: a number arrives as a JSON number or as
a plain ASCII decimal string. DRF hands strings to Python's int() and Decimal(), which
also read "1_0" as 10, Arabic-Indic and full-width digits as ASCII ones, surrounding
blanks and, for Decimal, exponents ("1e3"): odd strings read as quantities and prices."""

from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

from shop_domain.money import MAX_AMOUNT, MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS

# [0-9], not \d: \d matches every Unicode digit.
WHOLE = re.compile(r"[+-]?[0-9]+")
AMOUNT = re.compile(r"[0-9]+(\.[0-9]+)?")


class WholeNumber(serializers.IntegerField):
    """An integer: a JSON number, or a string of ASCII digits with an optional sign."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and not WHOLE.fullmatch(data):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class Amount(serializers.DecimalField):
    """A money amount: a JSON number, or a string of ASCII digits with an optional
    decimal point."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and not AMOUNT.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class UUIDString(serializers.UUIDField):
    """A UUID sent as a JSON string: DRF's UUIDField would also take 42 as UUID(int=42)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


def money_amount(**kw: Any) -> Amount:
    """An amount the shop's money can hold (the domain's rule, also checked by the use
    cases), not negative, written as a JSON number or plain ASCII digits."""
    return Amount(
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        min_value=0,
        max_value=MAX_AMOUNT,
        **kw,
    )
