"""A provider's "still pending" reply, noted on its payment as one change of its own."""

from __future__ import annotations

from typing import Any, Protocol

from shop_domain.ids import PaymentId
from shop_domain.payment import Payment


class PaymentReplies(Protocol):
    """Replies of payment providers, noted on the payments they answer.

    Called outside any unit of work: each operation is atomic by itself and kept at
    once, with no commit.
    """

    def note_reply(
        self, payment_id: PaymentId, *, external_ref: str, next_action: dict[str, Any] | None
    ) -> Payment | None:
        """A non-empty reference replaces the stored one, and the next action is stored
        only while the payment is open (a notification may have settled it meanwhile).
        Its status and history do not change. Returns the payment as stored, or None if
        there is none."""
        ...
