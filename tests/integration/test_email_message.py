"""The e-mail sender's messages: what leaves is a well-formed multipart/alternative,
whatever the bodies hold."""

from __future__ import annotations

import email
import email.policy
from typing import Any

import pytest
from django.core import mail

from adapters.jobs import email_sender
from shop_app.ports.email import OutgoingEmail


def sent(text: str, html: str) -> email.message.Message:
    email_sender.DjangoEmailSender().send(
        OutgoingEmail(key="k:order_confirmation", to="ann@example.com", subject="Zamówienie",
                      text=text, html=html)
    )  # fmt: skip
    [message] = mail.outbox
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)


def bodies(message: email.message.Message) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_content()
        for part in message.walk()
        if part.get_content_maintype() == "text"
    }


@pytest.fixture
def outbox(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []


def test_the_sender_chooses_the_boundary_and_the_parts_read_back(outbox: None) -> None:
    message = sent("Dzień dobry\n", "<p>Dzień dobry</p>\n")
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_boundary().startswith("==shop-")
    assert bodies(message) == {"text/plain": "Dzień dobry\n", "text/html": "<p>Dzień dobry</p>\n"}


def test_a_body_that_holds_the_chosen_boundary_gets_another(outbox: None, monkeypatch: Any) -> None:
    monkeypatch.setattr(email_sender.secrets, "token_hex", lambda n: "0" * (2 * n))
    guessed = "==shop-" + "0" * 32
    message = sent(f"--{guessed}\nnot a part\n", "<p>fine</p>\n")
    assert message.get_boundary() != guessed  # the stdlib chose one
    assert bodies(message) == {
        "text/plain": f"--{guessed}\nnot a part\n",
        "text/html": "<p>fine</p>\n",
    }
