"""A card provider's own 3-D Secure page, for providers that have no bank behind them
(the card sandbox): the customer passes or fails the check on a page the shop serves,
and the provider reports the outcome as a real one would, by a signed notification."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from shop_domain.ids import PaymentId
from shop_domain.money import Money
from shop_domain.payment import PaymentStatus


class CardChallengePage(Protocol):
    """The check a challenge (a signed token in the page's address) stands for."""

    provider: str  # the provider whose notifications the answers are

    def read_challenge(self, challenge: str) -> tuple[PaymentId, Money]:
        """The payment and amount the challenge is about; a forged, tampered or expired
        challenge raises InvalidNotificationSignature."""
        ...

    def complete_challenge(self, challenge: str, succeeded: bool) -> tuple[bytes, dict[str, str]]:
        """The signed notification (body, headers) the cardholder's answer produces, to
        be applied as any notification of ``provider`` is."""
        ...

    def render_challenge_page(self, challenge: str, csrf_token: str) -> str:
        """The HTML page asking the cardholder to pass or fail the check."""
        ...

    def render_result_page(
        self, challenge: str, *, status: PaymentStatus, order_id: UUID, already: bool = False
    ) -> str:
        """The HTML page saying how the payment ended (``already``: before this visit)."""
        ...
