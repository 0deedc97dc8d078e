"""Database tables of the shop. Rows, not entities: mappers.py converts between them."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from shop_domain.customer import USERNAME_KEY_MAX_LENGTH, fold_username
from shop_domain.delivery import METHOD_CODE
from shop_domain.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS


class CustomerManager(UserManager):
    def get_by_natural_key(self, username: str | None) -> Customer:
        # Django's own logins (the admin's) find the account as the API does.
        return self.get(username_key=fold_username(username or ""))


class Customer(AbstractUser):
    """The auth user (AUTH_USER_MODEL): a UUID key and the profile fields of the contract."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    phone = models.CharField(max_length=32, blank=True, default="")
    city = models.CharField(max_length=100, blank=True, default="")
    # fold_username(username), kept by save() and the repository; its unique index is
    # the one rule for "this username is taken". NULL only for accounts migration 0004
    # found folding onto an older account's name (they cannot log in until renamed).
    username_key = models.CharField(max_length=USERNAME_KEY_MAX_LENGTH, null=True, editable=False)

    objects = CustomerManager()

    class Meta:
        db_table = "shop_customer"
        constraints = [
            models.UniqueConstraint(fields=["username_key"], name="customer_username_key_unique"),
            models.UniqueConstraint(
                Lower("email"), name="customer_email_ci_unique", condition=~Q(email="")
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.username_key = fold_username(self.username)
        fields = kwargs.get("update_fields")
        if fields is not None and "username" in fields:
            kwargs["update_fields"] = {*fields, "username_key"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """Forms (the admin's) refuse a username that folds onto another account's."""
        super().clean()
        key = fold_username(self.username)
        if len(key) > USERNAME_KEY_MAX_LENGTH:
            raise ValidationError({"username": "This username is too long."})
        if Customer.objects.filter(username_key=key).exclude(pk=self.pk).exists():
            raise ValidationError({"username": "A user with that username already exists."})


class Product(models.Model):
    STATUSES = [("new", "new"), ("promotions", "promotions"), ("sales", "sales")]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    price = models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
    product_type = models.CharField(max_length=100, blank=True, default="")
    status = models.CharField(max_length=16, choices=STATUSES, default="new")
    active = models.BooleanField(default=True)
    # The name search's column on PostgreSQL (LIKE on it, served by a trigram index):
    # folded once when the name is written, not by ILIKE for every name a search tests.
    name_folded = models.GeneratedField(
        expression=Lower("name"), output_field=models.TextField(), db_persist=True
    )
    stock = models.IntegerField(default=0, help_text="units on hand, not yet sold")
    reserved = models.IntegerField(default=0, help_text="part of stock held by buckets")

    class Meta:
        db_table = "shop_product"
        indexes = [
            # The catalog's default order; ``active`` and the folded name included so
            # that a name search walking it tests each name in the index alone
            # (PostgreSQL's index-only scan), without a heap read per product it passes.
            models.Index(
                fields=["name", "id"], include=["active", "name_folded"], name="product_name_id"
            ),
            models.Index(fields=["price"]),
            # The type filter in each ordering (0010; name search: a trigram index there).
            models.Index(fields=["product_type", "name"], name="product_type_name"),
            models.Index(fields=["product_type", "price"], name="product_type_price"),
        ]
        constraints = [
            # The database itself refuses to oversell, whatever the code does.
            models.CheckConstraint(condition=Q(stock__gte=0), name="product_stock_gte_0"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="product_reserved_gte_0"),
            models.CheckConstraint(
                condition=Q(reserved__lte=models.F("stock")), name="product_reserved_lte_stock"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_gte_0"),
        ]

    def __str__(self) -> str:
        return self.name


class GuestBucket(models.Model):
    """A guest's bucket (its id lives in the guest's session). Its row is what one
    guest's changes and the merge at login lock; the expiry job removes it, with its
    lines, once it lapses."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    lapses_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "shop_guest_bucket"


class BucketLine(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: the unique (customer, product) key leads with it. NULL on a
    # guest's line, which has a guest bucket instead.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False, null=True
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.IntegerField()
    unit_price = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES
    )
    reserved = models.IntegerField(default=0)
    reserved_until = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Last column: the hot paths' hand-written SQL names every column in model order.
    guest_bucket = models.ForeignKey(
        GuestBucket, on_delete=models.CASCADE, related_name="+", db_index=False, null=True
    )

    class Meta:
        db_table = "shop_bucket_line"
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "product"], name="bucket_one_line_per_product"
            ),
            # Leads with the guest bucket: also its lines' index.
            models.UniqueConstraint(
                fields=["guest_bucket", "product"], name="guest_bucket_one_line_per_product"
            ),
            models.CheckConstraint(
                condition=Q(customer__isnull=True) ^ Q(guest_bucket__isnull=True),
                name="bucket_line_one_owner",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="bucket_quantity_gte_1"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="bucket_reserved_gte_0"),
        ]
        indexes = [
            models.Index(
                fields=["reserved_until"], name="bucket_holding_idx", condition=Q(reserved__gt=0)
            )
        ]


class Order(models.Model):
    STATUSES = [(s, s) for s in ("new", "to_pay", "paid", "error", "returned")]
    METHODS = [(m, m) for m in ("card", "transfer", "payu")]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: (customer, -created_at) leads with it.
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="orders", db_index=False
    )
    status = models.CharField(max_length=16, choices=STATUSES, default="new")
    payment_method = models.CharField(max_length=16, choices=METHODS)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.UUIDField(null=True, blank=True, help_text="the payment that paid it")
    # The delivery as placed (a copy: the method and the address may change later);
    # delivery_method '' means none. `total` is the items plus delivery_price.
    delivery_method = models.CharField(max_length=32, blank=True, default="", db_default="")
    delivery_name = models.CharField(max_length=200, blank=True, default="", db_default="")
    delivery_kind = models.CharField(max_length=16, blank=True, default="", db_default="")
    delivery_price = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, null=True, blank=True
    )
    delivery_address = models.JSONField(null=True, blank=True)
    delivery_point_id = models.CharField(max_length=32, blank=True, default="", db_default="")
    # Fulfilment: shipped_at is set when staff mark the order shipped.
    shipped_at = models.DateTimeField(null=True, blank=True)
    carrier = models.CharField(max_length=100, blank=True, default="", db_default="")
    tracking_number = models.CharField(max_length=100, blank=True, default="", db_default="")
    # Refund counters, kept by the refunds under the order's row lock and checked here
    # too: refunds that have not failed never hold more than the order's sum.
    refund_held = models.DecimalField(
        max_digits=14, decimal_places=2, db_default=0, help_text="refunds not failed"
    )
    refunded = models.DecimalField(
        max_digits=14, decimal_places=2, db_default=0, help_text="refunds succeeded"
    )
    refund_count = models.IntegerField(db_default=0, help_text="refunds made, failed ones too")
    refund_account = models.CharField(
        max_length=34, blank=True, db_default="", help_text="customer's IBAN for refunds"
    )

    class Meta:
        db_table = "shop_order"
        constraints = [
            models.CheckConstraint(
                condition=Q(refund_held__lte=F("total")), name="order_refunds_within_sum"
            ),
            models.CheckConstraint(
                condition=Q(refunded__gte=0) & Q(refunded__lte=F("refund_held")),
                name="order_refunded_within_held",
            ),
            models.CheckConstraint(
                condition=Q(refund_count__gte=0), name="order_refund_count_gte_0"
            ),
        ]
        # No index holds `status`: an order changes status twice on its way to paid, and
        # PostgreSQL can update a row in place (HOT, no new index entries) only when no
        # indexed column changes. The staff list by status walks the newest orders.
        indexes = [
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["-created_at"], name="order_newest_idx"),
        ]

    def __str__(self) -> str:
        return f"order {self.id} ({self.status})"


# Statuses few orders ever have: the staff list filters on them through OrderRareStatus.
RARE_ORDER_STATUSES = ("error", "returned")


class OrderRareStatus(models.Model):
    """The orders whose status is a rare one (RARE_ORDER_STATUSES), newest first by the
    index: what the staff list by such a status reads instead of walking every order.

    On PostgreSQL triggers on shop_order keep it (migration 0010): no index of
    shop_order holds ``status``, so paying an order stays a HOT update. On SQLite it
    stays empty and the list filters shop_order itself."""

    order = models.OneToOneField(
        Order, on_delete=models.CASCADE, primary_key=True, related_name="rare_status"
    )
    status = models.CharField(max_length=16)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "shop_order_rare_status"
        indexes = [
            models.Index(
                fields=["status", "-created_at", "-order"], name="order_rare_status_newest"
            )
        ]


class OrderLine(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    product_name = models.CharField(max_length=200)
    quantity = models.IntegerField()
    unit_price = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES
    )
    position = models.IntegerField(default=0)
    # The database fills the new columns in when the shop's own INSERTs leave them out.
    returned = models.IntegerField(db_default=0, help_text="units given back by refunds")

    class Meta:
        db_table = "shop_order_line"
        ordering = ["position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(returned__gte=0) & Q(returned__lte=F("quantity")),
                name="order_line_returned_within_bought",
            ),
        ]

    def __str__(self) -> str:  # the admin's label of the row
        return f"{self.quantity} x {self.product_name} at {self.unit_price}"


class Payment(models.Model):
    STATUSES = [
        (s, s)
        for s in (
            "pending",
            "requires_action",
            "succeeded",
            "failed",
            "canceled",
            "refunded",
            "partially_refunded",
        )
    ]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: (order, -seq) leads with it.
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="payments", db_index=False
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=16, choices=Order.METHODS)
    provider = models.CharField(max_length=32)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=24, choices=STATUSES, default="pending")
    external_ref = models.CharField(max_length=128, blank=True, default="")
    next_action = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    seq = models.BigIntegerField(default=0, help_text="orders attempts of one order")

    class Meta:
        db_table = "shop_payment"
        indexes = [
            models.Index(fields=["order", "-seq"]),
            models.Index(fields=["provider", "external_ref"]),
        ]

    def __str__(self) -> str:
        return f"{self.method}/{self.provider} {self.amount} {self.currency} ({self.status})"


class Refund(models.Model):
    """Money (and maybe goods) given back for part or all of a paid order."""

    STATUSES = [(s, s) for s in ("pending", "succeeded", "failed")]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: (order, created_at) leads with it.
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="refunds", db_index=False
    )
    payment = models.ForeignKey(
        "Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    provider = models.CharField(max_length=32)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=STATUSES, default="pending")
    reason = models.CharField(max_length=500, blank=True, default="")
    #: [{"line": order line uuid, "quantity": n, "restock": bool}, ...]
    lines = models.JSONField(default=list, blank=True)
    delivery = models.BooleanField(default=False)
    external_ref = models.CharField(
        max_length=128, blank=True, default="", help_text="the provider's id of the refund"
    )
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "shop_refund"
        indexes = [
            models.Index(fields=["order", "created_at"]),
            models.Index(fields=["provider", "external_ref"]),
            models.Index(
                fields=["created_at"], name="refund_pending_idx", condition=Q(status="pending")
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "succeeded", "failed"]),
                name="refund_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"refund {self.amount} {self.currency} ({self.status})"


class PaymentEvent(models.Model):
    """One status change of a payment: when, who said so, old -> new."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    source = models.CharField(max_length=16)
    old_status = models.CharField(max_length=24, blank=True, default="")
    new_status = models.CharField(max_length=24)  # "partially_refunded" needs 18
    note = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        db_table = "shop_payment_event"
        ordering = ["at", "id"]

    def __str__(self) -> str:  # the admin's label of the row
        return f"{self.old_status or 'start'} -> {self.new_status} ({self.source})"


class IdempotencyRecord(models.Model):
    """A request made with an Idempotency-Key, and the response it got (kept 24 hours)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.IntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "shop_idempotency"
        constraints = [
            models.UniqueConstraint(fields=["customer", "key"], name="idempotency_key_per_customer")
        ]
        indexes = [models.Index(fields=["created_at"])]


class Event(models.Model):
    """The outbox and event log: one row per change a shop integrates with, written in
    the transaction of the change (see adapters/persistence/events.py)."""

    id = models.UUIDField(primary_key=True, editable=False)  # shown as "evt_" + uuid
    type = models.CharField(max_length=32)
    # No foreign key: the log outlives what it tells of, and refers to orders by id.
    order_id = models.UUIDField()
    sequence = models.IntegerField(help_text="grows per order")
    created_at = models.DateTimeField()
    data = models.JSONField()

    class Meta:
        db_table = "shop_event"
        constraints = [
            models.UniqueConstraint(
                fields=["order_id", "sequence"], name="event_sequence_per_order"
            )
        ]
        indexes = [
            models.Index(fields=["created_at", "id"]),
            models.Index(fields=["type", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.sequence} of {self.order_id}"


class SentEmail(models.Model):
    """One row per (order, kind) of e-mail sent: the unique key stops a second one,
    whatever is retried or replayed."""

    order_id = models.UUIDField()
    kind = models.CharField(max_length=32)
    recipient = models.CharField(max_length=254)
    event_id = models.UUIDField()
    sent_at = models.DateTimeField()

    class Meta:
        db_table = "shop_sent_email"
        constraints = [
            models.UniqueConstraint(
                fields=["order_id", "kind"], name="one_email_per_order_and_kind"
            )
        ]


class ScheduledJob(models.Model):
    """One row per periodic job and when it is next due; a worker claims a period with a
    conditional UPDATE, so each period runs once however many workers look."""

    name = models.CharField(max_length=64, primary_key=True)
    next_due_at = models.DateTimeField()
    last_claimed_at = models.DateTimeField(null=True, blank=True)
    last_claimed_by = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        db_table = "shop_scheduled_job"


class WebhookEndpoint(models.Model):
    """A staff-registered receiver of events, with the secret its deliveries are signed with."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)
    description = models.CharField(max_length=500, blank=True, default="")
    active = models.BooleanField(default=True)
    secret = models.CharField(max_length=100)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "shop_webhook_endpoint"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:  # the admin's label of the row
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: the delivery log, and the state its job works from.

    ``status`` and ``next_attempt_at`` say what is due; ``leased_until`` is set while a
    worker sends it (another worker leaves it alone until then, and a job scheduled for
    that moment sends it again if that worker died)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    order_key = models.CharField(max_length=64, blank=True, default="")
    sequence = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, default="pending")
    attempts = models.IntegerField(default=0)
    last_status_code = models.IntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "shop_webhook_delivery"
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="one_delivery_per_event")
        ]
        indexes = [
            models.Index(fields=["endpoint", "order_key", "sequence"], name="delivery_order_seq"),
            # An endpoint's delivery log, newest first (0010).
            models.Index(fields=["endpoint", "-created_at", "-id"], name="delivery_newest"),
        ]

    def __str__(self) -> str:  # the admin's label of the row
        return f"{self.event_type} {self.event_id} ({self.status})"


class DeliveryMethod(models.Model):
    KINDS = [(k, k) for k in ("courier", "pickup_point", "store_pickup")]

    # The admin's checks; the API's are the domain's (DeliveryMethod.ensure_valid).
    code = models.CharField(
        max_length=32, primary_key=True, validators=[RegexValidator(METHOD_CODE.pattern)]
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=KINDS)
    price = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        validators=[MinValueValidator(0)],
    )
    free_from = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        null=True,
        blank=True,
        help_text="an items total from which delivery costs nothing",
    )
    active = models.BooleanField(default=True)

    class Meta:
        db_table = "shop_delivery_method"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Address(models.Model):
    """An entry of a customer's address book. Orders keep their own copies."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: (customer, created_at) leads with it.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    name = models.CharField(max_length=200)
    street = models.CharField(max_length=300)
    postal_code = models.CharField(max_length=16)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=2)
    phone = models.CharField(max_length=32, blank=True, default="")
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "shop_address"
        indexes = [models.Index(fields=["customer", "created_at"])]
        constraints = [
            # At most one default address per customer, whatever races.
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_default=True), name="one_default_address"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.street}, {self.postal_code} {self.city} ({self.country})"
