"""E-mails to the customer, one per (order, kind) however often anything is retried:
the ``shop_sent_email`` row of the pair is inserted in the transaction that sends it,
and a unique key refuses the second (a concurrent one waits, then is refused). A
refund's e-mail is one per refund (an order may have several): its mark carries the
refund's id where the others carry the order's."""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.template import Context, Engine
from django.utils import timezone

from adapters.persistence.models import Customer, Order, SentEmail
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
NO_DELIVERY = {"en": "none chosen", "pl": "nie wybrano"}
POINT = {"en": "point", "pl": "punkt"}


def delivery_text(order: dict[str, Any], language: str) -> str:
    """The order's delivery in one line: method, price, and the address or point."""
    delivery = order.get("delivery")
    if not delivery:
        return NO_DELIVERY[language]
    text = f"{delivery['name']}, {delivery['price']} {order['currency']}"
    if delivery.get("point_id"):
        text += f", {POINT[language]} {delivery['point_id']}"
    address = delivery.get("address")
    if address:
        text += (
            f" ({address['name']}, {address['street']}, {address['postal_code']} "
            f"{address['city']}, {address['country']})"
        )
    return text


def compose(
    kind: str,
    order: dict[str, Any],
    *,
    to: str,
    name: str,
    language: str,
    refund: dict[str, Any] | None = None,
) -> OutgoingEmail:
    """The message of ``kind`` for an order as the API shows it (the event's data), or
    for one of its refunds (``refund``, then ``order`` is the order it belongs to)."""
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
        "delivery": delivery_text(order, language),
        "fulfilment": order.get("fulfilment"),
        "shop": settings.SHOP.get("public_url", ""),
        "refund": refund,
    }
    text = _TEXT.get_template(f"{language}/{kind}.txt").render(Context(context))
    html = _HTML.get_template(f"{language}/{kind}.html").render(Context(context))
    subject = SUBJECTS[language][kind].format(short=order["order_uuid"][:8])
    about = refund["refund_uuid"] if refund is not None else order["order_uuid"]
    return OutgoingEmail(key=f"{about}:{kind}", to=to, subject=subject, text=text, html=html)


def _order_of_refund(refund: dict[str, Any]) -> dict[str, Any] | None:
    """What the e-mail templates read of a refund's order."""
    row = Order.objects.filter(pk=refund["order"]).prefetch_related("lines").first()
    if row is None:
        return None
    return {
        "order_uuid": str(row.pk),
        "customer": str(row.customer_id),
        "payment": row.payment_method,
        "sum": str(row.total),
        "currency": row.currency,
        "lines": [
            {"product_name": ln.product_name, "quantity": ln.quantity, "value": str(ln.unit_price)}
            for ln in row.lines.all()
        ],
    }


class Recipient(NamedTuple):
    """Whom an order's e-mails go to: its customer's address and names."""

    email: str
    first_name: str
    username: str


def send_for_event(
    event: dict[str, Any], sender: EmailSender, recipient: Recipient | None = None
) -> bool:
    """Send the e-mail an event asks for, unless its (order, kind) went already.
    ``recipient``: the order's customer, when the caller has read it already.
    True when one was sent now. A failure of the sender rolls the mark back and raises."""
    kind = KIND_OF_EVENT.get(event["type"])
    if kind is None:
        return False
    order, refund = event["data"], None
    if "refund_uuid" in order:  # a refund event: its data is the refund
        refund, found = order, _order_of_refund(order)
        if found is None:
            return False
        order = found
    if recipient is None:
        found = (
            Customer.objects.filter(pk=order["customer"])
            .values_list("email", "first_name", "username")
            .first()
        )
        recipient = Recipient(*found) if found is not None else None
    if recipient is None or not recipient.email:
        return False
    email, first_name, username = recipient
    message = compose(
        kind,
        order,
        to=email,
        name=first_name or username,
        language=settings.SHOP.get("language", "en"),
        refund=refund,
    )
    with transaction.atomic():
        if not _mark_sent(
            order_id=uuid.UUID(refund["refund_uuid"] if refund else order["order_uuid"]),
            kind=kind,
            recipient=email,
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
