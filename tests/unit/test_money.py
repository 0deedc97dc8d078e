"""Money: Decimal amounts quantised to the currency's minor unit, never mixed across currencies."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from shop_domain.errors import CurrencyMismatch, ValidationFailed
from shop_domain.money import (
    MAX_AMOUNT,
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_DIGITS,
    Money,
    minor_exponent,
)


def test_amount_is_quantised_to_the_minor_unit() -> None:
    assert Money("3000", "PLN").amount == Decimal("3000.00")
    assert str(Money(Decimal("12.5"), "PLN")) == "12.50 PLN"


def test_rounding_is_half_up() -> None:
    assert Money("1.005").amount == Decimal("1.01")
    assert Money("1.004").amount == Decimal("1.00")
    assert Money("-1.005").amount == Decimal("-1.01")


def test_default_currency_is_pln() -> None:
    assert Money("1").currency == "PLN"


def test_int_str_and_decimal_are_accepted() -> None:
    assert Money(7) == Money("7.00") == Money(Decimal("7"))


def test_float_is_refused() -> None:
    with pytest.raises(TypeError):
        Money(0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_amounts_are_refused(amount: str) -> None:
    with pytest.raises(ValueError):
        Money(Decimal(amount))


def test_addition_and_subtraction_in_one_currency() -> None:
    assert Money("0.10") + Money("0.20") == Money("0.30")
    assert Money("1.00") - Money("0.01") == Money("0.99")


def test_multiplication_by_an_integer_quantity_either_side() -> None:
    assert Money("2.50") * 3 == Money("7.50")
    assert 3 * Money("2.50") == Money("7.50")


@pytest.mark.parametrize("factor", [1.5, Decimal("2"), True])
def test_multiplication_by_anything_but_an_int_is_refused(factor: object) -> None:
    with pytest.raises(TypeError):
        Money("1.00") * factor  # type: ignore[operator]


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
    ],
)
def test_arithmetic_across_currencies_raises_currency_mismatch(
    operation: Callable[[Money, Money], object],
) -> None:
    with pytest.raises(CurrencyMismatch):
        operation(Money("1.00", "PLN"), Money("1.00", "EUR"))


def test_combining_with_a_non_money_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        Money("1.00") + Decimal("1.00")  # type: ignore[operator]


def test_currencies_differ_in_equality() -> None:
    assert Money("1.00", "PLN") != Money("1.00", "EUR")


def test_comparison() -> None:
    assert Money("1.00") < Money("1.01")
    assert Money("1.00") <= Money("1.00")
    assert Money("2.00") > Money("1.00")


def test_minor_units() -> None:
    assert Money("3000.00").minor == 300000
    assert Money("0.01").minor == 1
    assert Money.from_minor(12345, "PLN") == Money("123.45")


def test_jpy_has_no_minor_unit() -> None:
    assert minor_exponent("JPY") == 0
    yen = Money("100.5", "JPY")
    assert yen.amount == Decimal("101")
    assert yen.minor == 101
    assert Money.from_minor(250, "JPY") == Money("250", "JPY")


def test_three_decimal_currencies() -> None:
    assert minor_exponent("KWD") == 3
    assert Money("1.0005", "KWD").amount == Decimal("1.001")
    assert Money("1.234", "KWD").minor == 1234


def test_zero() -> None:
    assert Money.zero("EUR") == Money("0", "EUR")


def test_total_of_nothing_is_zero_in_the_given_currency() -> None:
    assert Money.total([], "EUR") == Money("0", "EUR")


def test_total_sums_exactly() -> None:
    assert Money.total([Money("0.10")] * 10, "PLN") == Money("1.00")
    assert Money.total((Money("19.99"), Money("0.01")), "PLN") == Money("20.00")


def test_total_refuses_another_currency() -> None:
    with pytest.raises(CurrencyMismatch):
        Money.total([Money("1.00", "EUR")], "PLN")


def test_money_is_immutable_and_hashable() -> None:
    m = Money("1.00")
    with pytest.raises(AttributeError):
        m.amount = Decimal("2")  # type: ignore[misc]
    assert {m, Money("1")} == {m}


def test_the_largest_amount_is_all_nines_of_the_columns_digits() -> None:
    assert Decimal("9" * (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES) + ".99") == MAX_AMOUNT
    assert len(MAX_AMOUNT.as_tuple().digits) == MONEY_MAX_DIGITS
    assert -MAX_AMOUNT.as_tuple().exponent == MONEY_DECIMAL_PLACES


def test_amounts_fit_up_to_the_largest_and_not_a_cent_more() -> None:
    assert Money(MAX_AMOUNT).fits and Money(-MAX_AMOUNT).fits and Money(0).fits
    over = Money(MAX_AMOUNT) + Money("0.01")
    assert not over.fits
    Money(MAX_AMOUNT).ensure_fits("price", "the price")
    with pytest.raises(ValidationFailed) as refused:
        over.ensure_fits("price", "the price")
    assert refused.value.details is not None
    (message,) = refused.value.details["price"]
    assert str(over) in message and str(MAX_AMOUNT) in message
