"""The quick check of request bodies agrees with DRF's serializers: the same answer for
every body, valid or not (errors are DRF's own, worded as before)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from adapters.django_web import paging
from adapters.django_web.quick_check import quick_check, validated
from adapters.django_web.views import accounts, bucket, orders, payments, staff

INPUTS = {
    "bucket add": bucket.BucketView.Input,
    "bucket change": bucket.BucketLineView.Input,
    "order": orders.OrdersView.Input,
    "payment start": payments.PaymentView.Input,
    "payment confirm": payments.ConfirmPaymentView.Input,
}
# Inputs with number fields that DRF checks alone (no quick check): the same answers.
NUMBER_INPUTS = {
    "staff product": staff.ProductInput,
    "staff product patch": staff.PartialProductInput,
    "page query": paging.PageQuery,
}
FIELD_NAMES = ["product", "quantity", "payment", "method", "card_token", "other"]
KEYS = st.sampled_from([*FIELD_NAMES, "name", "price", "stock", "page", "page_size"])
# Strings Python's int() and Decimal() read as numbers, that are not plain ASCII decimals.
ODD_NUMBERS = [
    "1_0",
    "1_000",
    "\u0663",  # Arabic-Indic three
    "\u0661\u0660",  # Arabic-Indic ten
    "\uff13",  # full-width three
    "\u09e9",  # Bengali three
    " 3",
    "3 ",
    "\t3\n",
    "3\n",
    "1e3",
    "1E2",
    "0x10",
    "",
    "+",
    "1.",
    ".5",
    "\u0661.\u0665",  # Arabic-Indic 1.5
    "Infinity",
    "NaN",
]
# Plain ASCII decimals: still numbers.
PLAIN_NUMBERS = ["3", "10", "+3", "0", "007"]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=20_000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.uuids().map(str),
    st.uuids().map(lambda u: u.hex),
    st.text(max_size=40),
    st.text(alphabet=" \t\x00ab\ud800", max_size=6),
    st.sampled_from(["card", " card ", "", "12", "1e3", "pm_card_visa", "x" * 300]),
    st.lists(st.integers(), max_size=2),
    st.sampled_from(ODD_NUMBERS + PLAIN_NUMBERS + ["12.50", "-1", "-0"]),
    st.integers(min_value=0, max_value=10**6).map(str),
    st.text(alphabet="0123456789_.+- \u0663\uff13e", min_size=1, max_size=6),
)


def drf_answer(serializer: type, body: dict[str, Any]) -> Any:
    s = serializer(data=body)
    return dict(s.validated_data) if s.is_valid() else ("invalid", s.errors)


def answer(serializer: type, body: dict[str, Any]) -> Any:
    try:
        return validated(serializer, body)
    except ValidationError as error:  # DRF's, mapped to 400/1000 by the error handler
        return ("invalid", {k: [str(m) for m in v] for k, v in error.detail.items()})


@pytest.mark.parametrize("name", INPUTS)
def test_the_busy_inputs_have_aquick_check(name: str) -> None:
    assert quick_check(INPUTS[name]) is not None


def test_inputs_with_other_fields_keep_drf_alone() -> None:
    assert quick_check(accounts.RegisterView.Input) is None  # email, password rules


@pytest.mark.parametrize("name", [*INPUTS, *NUMBER_INPUTS])
@settings(max_examples=300, deadline=None)
@given(body=st.dictionaries(KEYS, VALUES, max_size=4))
def test_the_quick_check_answers_as_drf_does(name: str, body: dict[str, Any]) -> None:
    serializer = {**INPUTS, **NUMBER_INPUTS}[name]
    expected = drf_answer(serializer, body)
    got = answer(serializer, body)
    if isinstance(expected, tuple):
        assert isinstance(got, tuple), f"{body!r} is invalid for DRF, quick said {got!r}"
        assert {k: [str(m) for m in v] for k, v in expected[1].items()} == got[1]
    else:
        assert got == expected


# Every number field of the inputs, with a body that is valid but for it.
WHOLE_FIELDS = [
    (bucket.BucketView.Input, "quantity", {"product": "5f0c8f3e-6a53-4b8e-9d8a-2d0f5b1b7c11"}),
    (bucket.BucketLineView.Input, "quantity", {}),
    (staff.ProductInput, "stock", {"name": "x", "price": "1.00"}),
    (paging.PageQuery, "page", {}),
    (paging.PageQuery, "page_size", {}),
]
MONEY_FIELDS = [
    (staff.ProductInput, "price", {"name": "x"}),
    (staff.PartialProductInput, "price", {}),
]
ODD = [
    *((*f, odd) for f in WHOLE_FIELDS for odd in [*ODD_NUMBERS, "3.0", "2.50"]),
    *((*f, odd) for f in MONEY_FIELDS for odd in [*ODD_NUMBERS, "+3", "-3"]),
]
PLAIN = [
    *((*f, plain) for f in WHOLE_FIELDS for plain in ["3", "10", "+3", "007"]),
    *((*f, plain) for f in MONEY_FIELDS for plain in ["3", "10", "12.50", "007.5"]),
]


@pytest.mark.parametrize(("serializer", "field", "rest", "odd"), ODD)
def test_odd_numeric_strings_are_refused(
    serializer: type, field: str, rest: dict[str, Any], odd: str
) -> None:
    got = answer(serializer, {**rest, field: odd})

    assert isinstance(got, tuple), f"{odd!r} read as {got!r}"
    assert set(got[1]) == {field}


@pytest.mark.parametrize(("serializer", "field", "rest", "plain"), PLAIN)
def test_plain_ascii_numbers_are_numbers(
    serializer: type, field: str, rest: dict[str, Any], plain: str
) -> None:
    got = answer(serializer, {**rest, field: plain})

    assert not isinstance(got, tuple), got
    assert got[field] == type(got[field])(plain)


@pytest.mark.parametrize("odd", ["1_0", "\u0663", "\uff13", "1e1"])
def test_odd_numbers_over_http_change_nothing(
    customer: Any, staff: Any, make_product: Any, odd: str
) -> None:
    from urllib.parse import quote

    from tests.integration.conftest import error_of

    product = make_product()
    added = customer.post("/api/bucket", {"product": product, "quantity": odd})
    assert error_of(added) == (400, 1000)
    assert customer.get("/api/bucket").json()["count"] == 0
    before = staff.get("/api/admin/products").json()["count"]
    created = staff.post("/api/admin/products", {"name": "odd", "price": odd})
    assert error_of(created) == (400, 1000)
    assert staff.get("/api/admin/products").json()["count"] == before
    assert error_of(customer.get(f"/api/products?page={quote(odd)}")) == (400, 1000)
