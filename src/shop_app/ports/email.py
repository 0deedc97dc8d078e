"""The e-mail port: a composed message to one customer, and who sends it."""

from __future__ import annotations

from typing import Protocol

import attrs


@attrs.frozen(kw_only=True)
class OutgoingEmail:
    """A message: plain text with an HTML alternative. ``key`` names it once per
    order and kind (``<order>:<kind>``): a second one with the same key is not sent."""

    key: str
    to: str
    subject: str
    text: str
    html: str


class EmailSender(Protocol):
    """Sends a composed message; raises on failure (the job retries later)."""

    def send(self, message: OutgoingEmail) -> None: ...
