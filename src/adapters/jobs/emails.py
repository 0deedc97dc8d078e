"""E-mails to the customer, one per (order, kind) however often anything is retried:
the ``shop_sent_email`` row of the pair is inserted in the transaction that sends it,
and a unique key refuses the second (a concurrent one waits, then is refused)."""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.template import Context, Engine
from django.utils import timezone

from adapters.persistence.models import Customer, SentEmail
from shop_app.ports.email import EmailSender, OutgoingEmail

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates" / "emails"
_TEXT = Engine(dirs=[str(TEMPLATES)], autoescape=False)
_HTML = Engine(dirs=[str(TEMPLATES)], autoescape=True)

#: The e-mail an event type asks for (none for the others).
KIND_OF_EVENT = {
    "order.created": "order_confirmation",
    "order.paid": "payment_received",
    "order.returned": "order_canceled",
    "order.failed": "order_canceled",
    "order.shipped": "order_shipped",
    "refund.succeeded": "refund",
}
SUBJECTS = {
    "en": {
        "order_confirmation": "Your order {short}",
        "payment_received": "Payment received for order {short}",
        "order_canceled": "Order {short} canceled",
        "order_shipped": "Order {short} shipped",
        "refund": "Refund for order {short}",
    },
    "pl": {
        "order_confirmation": "Twoje zamówienie {short}",
        "payment_received": "Otrzymaliśmy płatność za zamówienie {short}",
        "order_canceled": "Zamówienie {short} anulowane",
        "order_shipped": "Zamówienie {short} wysłane",
        "refund": "Zwrot za zamówienie {short}",
    },
}
DELIVERY = {"en": "standard shipping (details follow)", "pl": "standardowa (szczegóły wkrótce)"}


def compose(
    kind: str, order: dict[str, Any], *, to: str, name: str, language: str
) -> OutgoingEmail:
    """The message of ``kind`` for an order as the API shows it (the event's data)."""
    transfer = None
    if kind == "order_confirmation" and order.get("payment") == "transfer":
        from adapters.payments.bank_transfer import transfer_title

        account = settings.SHOP["payments"]["transfer"]
        transfer = {
            "iban": account["iban"],
            "holder": account["holder"],
            "title": transfer_title(uuid.UUID(order["order_uuid"])),
            "amount": Decimal(order["sum"]),
        }
    context = {
        "order": order,
        "name": name,
        "transfer": transfer,
        "delivery": DELIVERY[language],
        "shop": settings.SHOP.get("public_url", ""),
    }
    text = _TEXT.get_template(f"{language}/{kind}.txt").render(Context(context))
    html = _HTML.get_template(f"{language}/{kind}.html").render(Context(context))
    subject = SUBJECTS[language][kind].format(short=order["order_uuid"][:8])
    return OutgoingEmail(
        key=f"{order['order_uuid']}:{kind}", to=to, subject=subject, text=text, html=html
    )


def send_for_event(event: dict[str, Any], sender: EmailSender) -> bool:
    """Send the e-mail an event asks for, unless its (order, kind) went already.
    True when one was sent now. A failure of the sender rolls the mark back and raises."""
    kind = KIND_OF_EVENT.get(event["type"])
    if kind is None:
        return False
    order = event["data"]
    customer = (
        Customer.objects.filter(pk=order["customer"])
        .only("email", "first_name", "username")
        .first()
    )
    if customer is None or not customer.email:
        return False
    message = compose(
        kind,
        order,
        to=customer.email,
        name=customer.first_name or customer.username,
        language=settings.SHOP.get("language", "en"),
    )
    with transaction.atomic():
        if not _mark_sent(
            order_id=uuid.UUID(order["order_uuid"]),
            kind=kind,
            recipient=customer.email,
            event_id=uuid.UUID(event["id"].removeprefix("evt_")),
            sent_at=timezone.now(),
        ):
            return False  # this order's e-mail of this kind went already
        # Sent while the mark is uncommitted: if sending fails, the mark goes too and a
        # retry sends it. A worker killed between the send and the commit sends it again
        # (the one case of a second e-mail: at least once beats never).
        sender.send(message)
    return True


def _mark_sent(**values: Any) -> bool:
    """The (order, kind) mark, unless one is there already: one statement (a concurrent
    mark of the same pair waits for the other transaction, then counts as there)."""
    meta = SentEmail._meta
    columns, params = [], []
    for name, value in values.items():
        field = meta.get_field(name)
        columns.append(field.column)
        params.append(field.get_db_prep_save(value, connection))
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {meta.db_table} ({', '.join(columns)}) VALUES ({marks}) "
            "ON CONFLICT (order_id, kind) DO NOTHING",
            params,
        )
        return bool(cursor.rowcount == 1)
