"""Every error of the contract's table exists once, with its code, in the right category."""

from __future__ import annotations

from collections import Counter

import pytest

from shop_domain import errors as e

# code -> (class, category that decides its HTTP status), as in api-contract.md
CONTRACT: dict[int, tuple[type[e.ShopError], type[e.ShopError]]] = {
    1000: (e.ValidationFailed, e.InvalidInput),  # 400
    1001: (e.OrderNotFound, e.NotFound),  # 404
    1003: (e.OrderNotCancelable, e.Conflict),  # 409
    1004: (e.RouteNotFound, e.NotFound),  # 404
    1005: (e.IdempotencyKeyReused, e.Unprocessable),  # 422
    1006: (e.MethodNotAllowed, e.MethodNotAllowed),  # 405
    1007: (e.RequestTooLarge, e.RequestTooLarge),  # 413
    1041: (e.ProductAlreadyInBucket, e.Conflict),
    1042: (e.ProductNotAvailable, e.Conflict),
    1043: (e.NotEnoughStock, e.Conflict),
    1044: (e.BucketLineNotFound, e.NotFound),
    1045: (e.ProductNotFound, e.NotFound),
    1083: (e.BucketEmpty, e.Conflict),
    2001: (e.UsernameOrEmailTaken, e.Conflict),
    3001: (e.BadCredentials, e.NotFound),  # 404, same for unknown user and wrong password
    3002: (e.NotAuthenticated, e.NotAllowed),  # 403
    3003: (e.CsrfFailed, e.NotAllowed),
    3004: (e.TooManyAttempts, e.TooManyRequests),  # 429
    3005: (e.StaffOnly, e.NotAllowed),
    5001: (e.OrderNotPayable, e.Conflict),
    5002: (e.PaymentDeclined, e.Declined),  # 402
    5003: (e.PaymentMethodNotAvailable, e.InvalidInput),  # 400
    5004: (e.InvalidNotificationSignature, e.NotAllowed),  # 403
    5005: (e.PaymentProviderUnavailable, e.Unavailable),  # 502
    5006: (e.AmountMismatch, e.Conflict),
    5007: (e.TransferConfirmedOnArrival, e.Conflict),
    5011: (e.NoPaymentAwaitsConfirmation, e.Conflict),  # contract Part 2
    6001: (e.WebhookEndpointNotFound, e.NotFound),  # also an unknown delivery
    6002: (e.WebhookAddressRefused, e.InvalidInput),  # 400
    1999: (e.InternalError, e.InternalError),  # 500
    # Extension, documented in docs/api-contract.md: a parallel request with the same
    # Idempotency-Key is still running (the contract lets race losers answer 409).
    1008: (e.IdempotentRequestInProgress, e.Conflict),
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


def test_only_the_internal_errors_share_a_code() -> None:
    counts = Counter(cls.code for cls in e.all_error_classes())
    assert {code for code, n in counts.items() if n > 1} == {1999}
    internal = {cls for cls in e.all_error_classes() if cls.code == 1999}
    assert internal == {e.InternalError, e.CurrencyMismatch}


def test_the_base_and_the_categories_are_not_concrete_errors() -> None:
    assert not {e.ShopError, *CATEGORIES} & set(e.all_error_classes())


@pytest.mark.parametrize("code", sorted(CONTRACT))
def test_each_code_belongs_to_its_class_and_category(code: int) -> None:
    cls, category = CONTRACT[code]
    assert cls.code == code
    assert issubclass(cls, category)
    assert cls.message


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
