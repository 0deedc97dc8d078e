"""An order is paid at most once, whatever races: two confirms, a confirm and a
notification, two notifications. PostgreSQL row locks serialise them."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from adapters.django_web.containers import application, use_cases
from adapters.persistence import models as m
from shop_domain.errors import OrderNotPayable
from shop_domain.payment import PaymentStatus
from tests.integration.conftest import race

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres_only")]
ROUNDS = 8


def paying_order() -> tuple[Any, Any, Any]:
    """A customer's order with a started sandbox card payment."""
    use = use_cases()
    name = f"racer_{uuid.uuid4().hex[:8]}"
    who = use.register_customer()(username=name, password="Race-pass-2026", email=f"{name}@x.io")
    product = use.create_product()(name="Race item", price=Decimal("12.50"), stock=5)
    use.add_to_bucket()(customer_id=who.id, product_id=product.id, quantity=2)
    order = use.place_order()(customer_id=who.id, payment="card")
    payment = use.start_payment()(customer_id=who.id, order_id=order.id)
    return who, order, payment


def confirm(who: Any, order: Any) -> Any:
    return lambda: use_cases().confirm_payment()(
        customer_id=who.id, order_id=order.id, params={"card_token": "pm_card_visa"}
    )


def notification(payment: Any) -> Any:
    sandbox = application().payments.card()
    challenge = sandbox.make_challenge(payment.id, payment.amount)
    body, headers = sandbox.complete_challenge(challenge, True)
    return lambda: use_cases().apply_notification()(provider="sandbox", body=body, headers=headers)


def assert_paid_once(order: Any) -> None:
    row = m.Order.objects.get(pk=order.id)
    assert row.status == "paid"
    succeeded = m.PaymentEvent.objects.filter(
        payment__order_id=order.id, new_status=PaymentStatus.SUCCEEDED.value
    ).count()
    assert succeeded == 1, f"{succeeded} successful payments recorded"


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_of_two_racing_confirms_the_first_wins_and_the_other_sees_409(round_: int) -> None:
    who, order, _ = paying_order()
    results = race(confirm(who, order), confirm(who, order))
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1 and wins[0].status == "succeeded"
    assert len(losses) == 1 and isinstance(losses[0], OrderNotPayable), losses
    assert_paid_once(order)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_confirm_racing_a_notification_pays_once(round_: int) -> None:
    who, order, payment = paying_order()
    results = race(confirm(who, order), notification(payment))
    unexpected = [
        r for r in results if isinstance(r, Exception) and not isinstance(r, OrderNotPayable)
    ]
    assert not unexpected, unexpected
    assert_paid_once(order)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_racing_notifications_pay_once(round_: int) -> None:
    _, order, payment = paying_order()
    results = race(notification(payment), notification(payment), notification(payment))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert_paid_once(order)
