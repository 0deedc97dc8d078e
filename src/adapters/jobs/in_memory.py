"""The e-mail sender in memory: records what would have been sent. Imports no Django."""

from __future__ import annotations

from shop_app.ports.email import OutgoingEmail


class InMemoryEmailSender:
    def __init__(self) -> None:
        self.sent: list[OutgoingEmail] = []

    def send(self, message: OutgoingEmail) -> None:
        self.sent.append(message)
