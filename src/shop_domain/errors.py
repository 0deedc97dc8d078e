"""Every error of the shop's own rules, once, with its contract code (see api-contract.md).

Categories are base classes; the web adapter maps categories (and a few specific
classes) to HTTP statuses in one table. Errors of the transport alone (no such route,
a method the route does not take, a body over the limit, a failed CSRF check, no
credentials) are the web adapter's: adapters/django_web/transport_errors.py.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ShopError(Exception):
    """Base of every error that reaches a client."""

    code: ClassVar[int] = 1999
    message: ClassVar[str] = "internal error"

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None):
        self.text = message or self.message
        self.details = details
        super().__init__(self.text)


# --- categories -------------------------------------------------------------
class InvalidInput(ShopError):
    """The request is malformed or fails validation (400)."""


class NotFound(ShopError):
    """The thing does not exist, or is not the caller's (404)."""


class Conflict(ShopError):
    """The request clashes with the current state (409)."""


class NotAllowed(ShopError):
    """The caller may not do this (403)."""


class Declined(ShopError):
    """A payment provider refused the payment (402)."""


class Unavailable(ShopError):
    """Something the shop depends on failed or timed out (502)."""


class Unprocessable(ShopError):
    """The request is well-formed but cannot be processed as sent (422)."""


class TooManyRequests(ShopError):
    """The caller is throttled (429)."""

    def __init__(self, message: str | None = None, *, retry_after: int = 60, **kw: Any):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class InternalError(ShopError):
    """Never expected; rendered in the error shape all the same (500)."""

    code = 1999
    message = "internal error"


# --- validation ---------------------------------------------------
class ValidationFailed(InvalidInput):
    code = 1000
    message = "Validation error"


class ProfileNotFound(NotFound):
    """A profile that is not the caller's: answered as if its address did not exist
    (the contract's 1004), so that ids of other accounts tell nothing."""

    code = 1004
    message = "not found"


class OrderNotFound(NotFound):
    code = 1001
    message = "order not found"


class OrderNotCancelable(Conflict):
    code = 1003
    message = "only status `new`, `to_pay`, `paid` is available to return"


class IdempotencyKeyReused(Unprocessable):
    code = 1005
    message = "idempotency key reused with a different request"


class IdempotentRequestInProgress(Conflict):
    """Not in the contract's table: a parallel request with the same key is still running."""

    code = 1008
    message = "a request with this idempotency key is still in progress"


# --- catalog and bucket -------------------------------------------------------
class ProductAlreadyInBucket(Conflict):
    code = 1041
    message = "Product already in bucket"


class ProductNotAvailable(Conflict):
    code = 1042
    message = "Product not available"


class NotEnoughStock(Conflict):
    code = 1043
    message = "not enough products in magazines"


class BucketLineNotFound(NotFound):
    code = 1044
    message = "bucket item not found"


class ProductNotFound(NotFound):
    code = 1045
    message = "product not found"


class BucketEmpty(Conflict):
    code = 1083
    message = "bucket is empty"


# --- accounts -----------------------------------------------------------------
class UsernameOrEmailTaken(Conflict):
    code = 2001
    message = "email/username already used"


class BadCredentials(NotFound):
    code = 3001
    message = "user or password not match"


class TooManyAttempts(TooManyRequests):
    code = 3004
    message = "too many attempts"


class StaffOnly(NotAllowed):
    code = 3005
    message = "staff only"


# --- payments -----------------------------------------------------------------
class OrderNotPayable(Conflict):
    code = 5001
    message = "order cannot be paid in its status"


class PaymentDeclined(Declined):
    code = 5002
    message = "payment declined"


class PaymentMethodNotAvailable(InvalidInput):
    code = 5003
    message = "payment method not available"


class InvalidNotificationSignature(NotAllowed):
    code = 5004
    message = "invalid notification signature"


class PaymentProviderUnavailable(Unavailable):
    code = 5005
    message = "payment provider unavailable"


class AmountMismatch(Conflict):
    code = 5006
    message = "amount mismatch"


class TransferConfirmedOnArrival(Conflict):
    code = 5007
    message = "bank transfers are confirmed when the money arrives"


class NoPaymentAwaitsConfirmation(Conflict):
    """The order is still payable but its latest attempt is over (declined, failed,
    canceled): confirming it again cannot succeed; a new attempt can."""

    code = 5011
    message = "no payment awaits confirmation: start a new payment"


# --- webhooks ------------------------------------------------------------------
class WebhookEndpointNotFound(NotFound):
    code = 6001
    message = "webhook endpoint not found"


class WebhookDeliveryNotFound(WebhookEndpointNotFound):
    """An unknown delivery: the contract's code for webhook look-ups, 6001."""

    message = "webhook delivery not found"


class WebhookAddressRefused(InvalidInput):
    code = 6002
    message = "webhook address refused"


class CurrencyMismatch(ShopError):
    """Arithmetic across currencies: a programming error, never a client's."""

    code = 1999
    message = "internal error"


def all_error_classes() -> list[type[ShopError]]:
    """Every concrete error class (those that define their own code), not the base."""
    found: list[type[ShopError]] = []
    stack: list[type[ShopError]] = list(ShopError.__subclasses__())
    while stack:
        cls = stack.pop()
        if "code" in cls.__dict__:
            found.append(cls)
        stack.extend(cls.__subclasses__())
    return found


# --- guest buckets --------------------------------------------------------------
class GuestBucketLimitReached(Conflict):
    """A guest bucket would hold more units than guests may (``details.limit``)."""

    code = 1046
    message = "guest bucket limit reached"


class TooManyGuestBuckets(TooManyRequests):
    """One client address started more guest buckets than an hour allows."""

    code = 1047
    message = "too many guest buckets from this address"


# --- addresses and delivery -------------------------------------------------------
class AddressNotFound(NotFound):
    """An unknown address, or another customer's (also when named in an order)."""

    code = 1010
    message = "address not found"


class DeliveryMethodNotAvailable(InvalidInput):
    """An unknown or inactive delivery method code in an order."""

    code = 1011
    message = "delivery method not available"


class OrderNotShippable(Conflict):
    """Fulfil of an order that is not ``paid`` (or is shipped already)."""

    code = 1012
    message = "order cannot be shipped in its status"


class DeliveryMethodNotFound(NotFound):
    """Not in the contract's table: a staff route's delivery method code that does not
    exist (1004 would say the route itself is unknown)."""

    code = 1013
    message = "delivery method not found"


# --- refunds ---------------------------------------------------------------------
class RefundExceedsPaid(Conflict):
    """More than was paid minus what is already refunded (or held by pending refunds);
    also an order that was never paid, or is returned: nothing of it can be refunded."""

    code = 5008
    message = "refund exceeds what can be refunded"


class ReturnExceedsBought(Conflict):
    code = 5009
    message = "quantity exceeds what can be returned"


class RefundNotFound(NotFound):
    code = 5010
    message = "refund not found"
