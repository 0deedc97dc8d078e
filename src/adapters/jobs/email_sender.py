"""The e-mail sender over Django's e-mail framework (SHOP_EMAIL_URL chooses the backend:
SMTP, console, files)."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from shop_app.ports.email import OutgoingEmail


class _ShopMessage(EmailMultiAlternatives):
    def message(self) -> Any:
        msg = super().message()
        # A boundary chosen here: the stdlib's own compiles a fresh regex per message to
        # search the body for it (a fifth of building a message). Ours cannot
        # occur in an encoded body (base64 has no "-", quoted-printable writes "=" as
        # "=3D"), nor in a plain one unless it was guessed: checked all the same.
        boundary = f"==shop-{secrets.token_hex(16)}"
        if msg.is_multipart() and not any(boundary in str(body) for body in self._bodies()):
            msg.set_boundary(boundary)
        return msg

    def _bodies(self) -> list[Any]:
        return [self.body, *(content for content, _ in self.alternatives)]


class DjangoEmailSender:
    def send(self, message: OutgoingEmail) -> None:
        mail = _ShopMessage(
            subject=message.subject,
            body=message.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={"X-Shop-Email-Key": message.key},
        )
        mail.attach_alternative(message.html, "text/html")
        mail.send(fail_silently=False)
