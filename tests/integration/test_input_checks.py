"""The quick check of request bodies agrees with DRF's serializers: the same answer for
every body, valid or not (errors are DRF's own, worded as before)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from adapters.django_web.views import accounts, bucket, orders, payments
from adapters.django_web.views.base import _quick_check, validated

INPUTS = {
    "bucket add": bucket.BucketView.Input,
    "bucket change": bucket.BucketLineView.Input,
    "order": orders.OrdersView.Input,
    "payment start": payments.PaymentView.Input,
    "payment confirm": payments.ConfirmPaymentView.Input,
}
KEYS = st.sampled_from(["product", "quantity", "payment", "method", "card_token", "other"])
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
def test_the_busy_inputs_have_a_quick_check(name: str) -> None:
    assert _quick_check(INPUTS[name]) is not None


def test_inputs_with_other_fields_keep_drf_alone() -> None:
    assert _quick_check(accounts.RegisterView.Input) is None  # email, password rules


@pytest.mark.parametrize("name", INPUTS)
@settings(max_examples=300, deadline=None)
@given(body=st.dictionaries(KEYS, VALUES, max_size=4))
def test_the_quick_check_answers_as_drf_does(name: str, body: dict[str, Any]) -> None:
    serializer = INPUTS[name]
    expected = drf_answer(serializer, body)
    got = answer(serializer, body)
    if isinstance(expected, tuple):
        assert isinstance(got, tuple), f"{body!r} is invalid for DRF, quick said {got!r}"
        assert {k: [str(m) for m in v] for k, v in expected[1].items()} == got[1]
    else:
        assert got == expected
