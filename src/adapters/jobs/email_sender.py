"""The e-mail sender over Django's e-mail framework (SHOP_EMAIL_URL chooses the backend:
SMTP, console, files)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from shop_app.ports.email import OutgoingEmail


class DjangoEmailSender:
    def send(self, message: OutgoingEmail) -> None:
        mail = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={"X-Shop-Email-Key": message.key},
        )
        mail.attach_alternative(message.html, "text/html")
        mail.send(fail_silently=False)
