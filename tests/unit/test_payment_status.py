"""The payment status machine: statuses only move forward, each step recorded."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shop_domain.errors import OrderNotPayable
from shop_domain.ids import CustomerId, OrderId, PaymentId
from shop_domain.money import Money
from shop_domain.order import PaymentMethod
from shop_domain.payment import ALLOWED, ChangeSource, Payment, PaymentStatus, StatusChange

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
S = PaymentStatus

LEGAL = [
    (S.PENDING, S.REQUIRES_ACTION),
    (S.PENDING, S.SUCCEEDED),
    (S.PENDING, S.FAILED),
    (S.PENDING, S.CANCELED),
    (S.REQUIRES_ACTION, S.SUCCEEDED),
    (S.REQUIRES_ACTION, S.FAILED),
    (S.REQUIRES_ACTION, S.CANCELED),
    (S.SUCCEEDED, S.REFUNDED),
    (S.SUCCEEDED, S.PARTIALLY_REFUNDED),
    (S.PARTIALLY_REFUNDED, S.REFUNDED),
    # a provider reporting money taken after we gave up is believed (then refunded)
    (S.FAILED, S.SUCCEEDED),
    (S.CANCELED, S.SUCCEEDED),
]
ILLEGAL = [(old, new) for old in S for new in S if old != new and (old, new) not in LEGAL]


def payment(status: PaymentStatus = S.PENDING) -> Payment:
    p = Payment.start(
        id=PaymentId(uuid.uuid4()),
        order_id=OrderId(uuid.uuid4()),
        customer_id=CustomerId(uuid.uuid4()),
        method=PaymentMethod.CARD,
        provider="card-fake",
        amount=Money("10.00"),
        at=NOW,
    )
    p.status = status
    return p


def test_a_started_payment_is_pending_with_one_history_entry() -> None:
    p = payment()
    assert p.status == S.PENDING
    assert p.is_open
    assert p.history == [
        StatusChange(at=NOW, source=ChangeSource.CUSTOMER, old=None, new=S.PENDING)
    ]


def test_the_table_holds_exactly_the_legal_steps() -> None:
    assert {(old, new) for old, news in ALLOWED.items() for new in news} == set(LEGAL)


@pytest.mark.parametrize(("old", "new"), LEGAL)
def test_legal_steps_move_and_are_recorded(old: PaymentStatus, new: PaymentStatus) -> None:
    p = payment(old)
    later = NOW + timedelta(minutes=1)
    p.move_to(new, at=later, source=ChangeSource.PROVIDER, note="why")
    assert p.status == new
    assert p.history[-1] == StatusChange(
        at=later, source=ChangeSource.PROVIDER, old=old, new=new, note="why"
    )


@pytest.mark.parametrize(("old", "new"), ILLEGAL)
def test_illegal_steps_raise_not_payable_and_change_nothing(
    old: PaymentStatus, new: PaymentStatus
) -> None:
    p = payment(old)
    assert not p.can_move_to(new)
    with pytest.raises(OrderNotPayable) as raised:
        p.move_to(new, at=NOW, source=ChangeSource.PROVIDER)
    assert raised.value.details == {"payment_status": old.value}
    assert p.status == old
    assert len(p.history) == 1


@pytest.mark.parametrize("status", list(S))
def test_moving_to_the_current_status_is_a_silent_no_op(status: PaymentStatus) -> None:
    p = payment(status)
    p.move_to(status, at=NOW, source=ChangeSource.PROVIDER)
    assert p.status == status
    assert len(p.history) == 1


def test_a_late_pending_never_undoes_success() -> None:
    p = payment()
    p.move_to(S.SUCCEEDED, at=NOW, source=ChangeSource.PROVIDER)
    with pytest.raises(OrderNotPayable):
        p.move_to(S.PENDING, at=NOW, source=ChangeSource.PROVIDER)
    assert p.status == S.SUCCEEDED


@pytest.mark.parametrize(
    ("status", "is_open"),
    [
        (S.PENDING, True),
        (S.REQUIRES_ACTION, True),
        (S.SUCCEEDED, False),
        (S.FAILED, False),
        (S.CANCELED, False),
        (S.REFUNDED, False),
    ],
)
def test_only_pending_and_requires_action_are_open(status: PaymentStatus, is_open: bool) -> None:
    assert payment(status).is_open is is_open
