"""Every error of the contract's table exists, with its code, in the right category, and
the web adapter's table gives each its status: the shop's rules in shop_domain, the
transport's own errors in the web adapter."""

from __future__ import annotations

from collections import Counter

import pytest

from adapters.django_web import transport_errors as t
from adapters.django_web.errors import status_for
from shop_domain import errors as e

# code -> [(class, category that decides its HTTP status, status)], as in api-contract.md
CONTRACT: dict[int, list[tuple[type[e.ShopError], type[e.ShopError], int]]] = {
    1000: [(e.ValidationFailed, e.InvalidInput, 400)],
    1001: [(e.OrderNotFound, e.NotFound, 404)],
    1003: [(e.OrderNotCancelable, e.Conflict, 409)],
    # No such route, and a profile that is not the caller's (answered as no such route).
    1004: [(t.RouteNotFound, e.NotFound, 404), (e.ProfileNotFound, e.NotFound, 404)],
    1005: [(e.IdempotencyKeyReused, e.Unprocessable, 422)],
    1006: [(t.MethodNotAllowed, t.MethodNotAllowed, 405)],
    1007: [(t.RequestTooLarge, t.RequestTooLarge, 413)],
    1010: [(e.AddressNotFound, e.NotFound, 404)],  # contract Part 2
    1011: [(e.DeliveryMethodNotAvailable, e.InvalidInput, 400)],  # contract Part 2
    1012: [(e.OrderNotShippable, e.Conflict, 409)],  # contract Part 2
    1041: [(e.ProductAlreadyInBucket, e.Conflict, 409)],
    1042: [(e.ProductNotAvailable, e.Conflict, 409)],
    1043: [(e.NotEnoughStock, e.Conflict, 409)],
    1044: [(e.BucketLineNotFound, e.NotFound, 404)],
    1045: [(e.ProductNotFound, e.NotFound, 404)],
    1046: [(e.GuestBucketLimitReached, e.Conflict, 409)],  # contract Part 2
    1047: [(e.TooManyGuestBuckets, e.TooManyRequests, 429)],  # contract Part 2
    1083: [(e.BucketEmpty, e.Conflict, 409)],
    2001: [(e.UsernameOrEmailTaken, e.Conflict, 409)],
    # 404, the same for an unknown user and a wrong password
    3001: [(e.BadCredentials, e.NotFound, 404)],
    3002: [(t.NotAuthenticated, e.NotAllowed, 403)],
    3003: [(t.CsrfFailed, e.NotAllowed, 403)],
    3004: [(e.TooManyAttempts, e.TooManyRequests, 429)],
    3005: [(e.StaffOnly, e.NotAllowed, 403)],
    5001: [(e.OrderNotPayable, e.Conflict, 409)],
    5002: [(e.PaymentDeclined, e.Declined, 402)],
    5003: [(e.PaymentMethodNotAvailable, e.InvalidInput, 400)],
    5004: [(e.InvalidNotificationSignature, e.NotAllowed, 403)],
    5005: [(e.PaymentProviderUnavailable, e.Unavailable, 502)],
    5006: [(e.AmountMismatch, e.Conflict, 409)],
    5007: [(e.TransferConfirmedOnArrival, e.Conflict, 409)],
    5008: [(e.RefundExceedsPaid, e.Conflict, 409)],  # contract Part 2
    5009: [(e.ReturnExceedsBought, e.Conflict, 409)],  # contract Part 2
    5010: [(e.RefundNotFound, e.NotFound, 404)],  # contract Part 2
    5011: [(e.NoPaymentAwaitsConfirmation, e.Conflict, 409)],  # contract Part 2
    6001: [(e.WebhookEndpointNotFound, e.NotFound, 404)],  # also an unknown delivery
    6002: [(e.WebhookAddressRefused, e.InvalidInput, 400)],
    1999: [(e.InternalError, e.InternalError, 500), (e.CurrencyMismatch, e.ShopError, 500)],
    # Extension, documented in docs/contract-notes.md: a parallel request with the same
    # Idempotency-Key is still running (the contract lets race losers answer 409).
    1008: [(e.IdempotentRequestInProgress, e.Conflict, 409)],
    # Extension: an unknown delivery method code in a staff route's path.
    1013: [(e.DeliveryMethodNotFound, e.NotFound, 404)],
}
EVERY_CLASS = [cls for rows in CONTRACT.values() for cls, _, _ in rows]
TRANSPORT = {
    t.RouteNotFound,
    t.MethodNotAllowed,
    t.RequestTooLarge,
    t.NotAuthenticated,
    t.CsrfFailed,
}
CATEGORIES = (
    e.InvalidInput,
    e.NotFound,
    e.Conflict,
    e.NotAllowed,
    e.Declined,
    e.Unavailable,
    e.Unprocessable,
    e.TooManyRequests,
)


def test_the_codes_are_exactly_the_contracts() -> None:
    assert {cls.code for cls in e.all_error_classes()} == set(CONTRACT)


def test_every_error_class_is_in_the_table_once() -> None:
    """all_error_classes() walks every subclass of ShopError: the domain's and the web
    adapter's transport errors (imported above), and any added anywhere later."""
    assert sorted(map(repr, e.all_error_classes())) == sorted(map(repr, EVERY_CLASS))
    assert len(set(EVERY_CLASS)) == len(EVERY_CLASS)


def test_only_the_internal_errors_and_not_found_share_a_code() -> None:
    counts = Counter(cls.code for cls in e.all_error_classes())
    assert {code for code, n in counts.items() if n > 1} == {1004, 1999}


def test_the_base_and_the_categories_are_not_concrete_errors() -> None:
    assert not {e.ShopError, *CATEGORIES} & set(e.all_error_classes())


def test_the_transport_errors_are_the_web_adapters_not_the_domains() -> None:
    assert {cls.__module__ for cls in TRANSPORT} == {"adapters.django_web.transport_errors"}
    domain = {cls for cls in e.all_error_classes() if cls.__module__ == e.__name__}
    assert domain == set(EVERY_CLASS) - TRANSPORT
    for name in ("RouteNotFound", "MethodNotAllowed", "RequestTooLarge", "CsrfFailed"):
        assert not hasattr(e, name), name


@pytest.mark.parametrize("code", sorted(CONTRACT))
def test_each_code_belongs_to_its_class_and_category(code: int) -> None:
    for cls, category, _ in CONTRACT[code]:
        assert cls.code == code
        assert issubclass(cls, category)
        assert cls.message


@pytest.mark.parametrize("cls", EVERY_CLASS, ids=lambda c: c.__name__)
def test_every_error_class_has_its_contract_status(cls: type[e.ShopError]) -> None:
    (status,) = [s for rows in CONTRACT.values() for c, _, s in rows if c is cls]
    assert status_for(cls()) == status


def test_currency_mismatch_is_in_no_client_category() -> None:
    assert not issubclass(e.CurrencyMismatch, CATEGORIES)


def test_an_error_carries_its_message_and_details() -> None:
    error = e.ValidationFailed(details={"password": ["too short"]})
    assert (error.code, error.text, str(error)) == (1000, "Validation error", "Validation error")
    assert error.details == {"password": ["too short"]}


def test_a_specific_message_overrides_the_default() -> None:
    error = e.NotEnoughStock("only 2 left")
    assert error.text == "only 2 left"
    assert error.details is None


def test_throttling_tells_when_to_retry() -> None:
    assert e.TooManyAttempts().retry_after == 60
    assert e.TooManyAttempts(retry_after=5, details={"username": "x"}).retry_after == 5
