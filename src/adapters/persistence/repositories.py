"""Django ORM repositories. Reads that precede a change lock their rows
(``select_for_update``); every write is one statement, however many rows."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q

from adapters.persistence import mappers
from adapters.persistence import models as m
from shop_app.ports.paging import Page, PageRequest
from shop_app.ports.repositories import ProductFilter
from shop_domain.bucket import BucketLine
from shop_domain.customer import Customer
from shop_domain.errors import ProductAlreadyInBucket, UsernameOrEmailTaken
from shop_domain.ids import BucketLineId, CustomerId, OrderId, PaymentId, ProductId
from shop_domain.order import Order, OrderStatus
from shop_domain.payment import Payment
from shop_domain.product import Product

_PRODUCT_ORDERING = {"name": "name", "-name": "-name", "price": "price", "-price": "-price"}


class DjangoCustomerRepository:
    def add(self, customer: Customer) -> None:
        try:
            with transaction.atomic():
                m.Customer.objects.create(id=customer.id, **mappers.customer_fields(customer))
        except IntegrityError:
            raise UsernameOrEmailTaken() from None

    def get(self, customer_id: CustomerId) -> Customer | None:
        row = m.Customer.objects.filter(pk=customer_id).first()
        return mappers.customer_from_row(row) if row else None

    def get_by_username(self, username: str) -> Customer | None:
        # usernames are unique regardless of case, so any spelling finds the one account
        row = m.Customer.objects.filter(username__iexact=username, is_active=True).first()
        return mappers.customer_from_row(row) if row else None

    def taken(self, *, username: str, email: str, exclude: CustomerId | None = None) -> bool:
        q = m.Customer.objects.filter(Q(username__iexact=username) | Q(email__iexact=email))
        if exclude is not None:
            q = q.exclude(pk=exclude)
        return q.exists()

    def save(self, customer: Customer) -> None:
        try:
            with transaction.atomic():
                m.Customer.objects.filter(pk=customer.id).update(
                    **mappers.customer_fields(customer)
                )
        except IntegrityError:
            raise UsernameOrEmailTaken() from None


class DjangoProductRepository:
    def __init__(self, currency: str):
        self._currency = currency

    def _entity(self, row: m.Product) -> Product:
        return mappers.product_from_row(row, self._currency)

    def add(self, product: Product) -> None:
        m.Product.objects.create(id=product.id, **mappers.product_fields(product))

    def get(self, product_id: ProductId) -> Product | None:
        row = m.Product.objects.filter(pk=product_id).first()
        return self._entity(row) if row else None

    def lock(self, product_ids: Iterable[ProductId]) -> dict[ProductId, Product]:
        ids = sorted(set(product_ids))
        rows = m.Product.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        return {ProductId(r.id): self._entity(r) for r in rows}

    def save(self, products: Iterable[Product]) -> None:
        products = list(products)
        if len(products) == 1:
            p = products[0]
            m.Product.objects.filter(pk=p.id).update(**mappers.product_fields(p))
        elif products:
            rows = [m.Product(id=p.id, **mappers.product_fields(p)) for p in products]
            m.Product.objects.bulk_update(rows, list(mappers.product_fields(products[0])))

    def names(self, product_ids: Iterable[ProductId]) -> dict[ProductId, str]:
        rows = m.Product.objects.filter(pk__in=list(product_ids)).values_list("id", "name")
        return {ProductId(pid): name for pid, name in rows}

    def list(self, filter: ProductFilter, page: PageRequest) -> Page[Product]:
        q = m.Product.objects.all()
        if filter.active_only:
            q = q.filter(active=True)
        if filter.name:
            q = q.filter(name__icontains=filter.name)
        if filter.product_type:
            q = q.filter(product_type=filter.product_type)
        q = q.order_by(_PRODUCT_ORDERING.get(filter.ordering, "name"), "id")
        rows = list(q[page.offset : page.offset + page.size])
        count = (
            page.offset + len(rows)
            if len(rows) < page.size and (rows or page.offset == 0)
            else q.count()
        )
        return Page([self._entity(r) for r in rows], count)


class DjangoBucketRepository:
    def __init__(self, currency: str):
        self._currency = currency

    def _entity(self, row: m.BucketLine) -> BucketLine:
        return mappers.line_from_row(row, self._currency)

    def add(self, line: BucketLine) -> None:
        try:
            with transaction.atomic():
                mappers.line_row(line).save(force_insert=True)
        except IntegrityError:
            raise ProductAlreadyInBucket() from None

    def get(
        self, line_id: BucketLineId, customer_id: CustomerId, *, for_update: bool = False
    ) -> BucketLine | None:
        q = m.BucketLine.objects.filter(pk=line_id, customer_id=customer_id)
        if for_update:
            q = q.select_for_update()
        row = q.first()
        return self._entity(row) if row else None

    def find(self, customer_id: CustomerId, product_id: ProductId) -> BucketLine | None:
        row = m.BucketLine.objects.filter(customer_id=customer_id, product_id=product_id).first()
        return self._entity(row) if row else None

    def list_for(self, customer_id: CustomerId, *, for_update: bool = False) -> list[BucketLine]:
        q = m.BucketLine.objects.filter(customer_id=customer_id).order_by("created_at", "id")
        if for_update:
            q = q.select_for_update()
        return [self._entity(r) for r in q]

    def save(self, lines: Iterable[BucketLine]) -> None:
        rows = [mappers.line_row(line) for line in lines]
        fields = ["quantity", "unit_price", "reserved", "reserved_until"]
        if len(rows) == 1:
            row = rows[0]
            m.BucketLine.objects.filter(pk=row.pk).update(**{f: getattr(row, f) for f in fields})
        elif rows:
            m.BucketLine.objects.bulk_update(rows, fields)

    def remove(self, line_ids: Iterable[BucketLineId]) -> None:
        m.BucketLine.objects.filter(pk__in=list(line_ids)).delete()

    def lapsed(
        self, now: datetime, limit: int, product_ids: Iterable[ProductId] | None = None
    ) -> list[BucketLine]:
        q = m.BucketLine.objects.filter(reserved__gt=0, reserved_until__lte=now)
        if product_ids is not None:
            q = q.filter(product_id__in=list(product_ids))
        q = q.select_for_update(skip_locked=True).order_by("reserved_until")[:limit]
        return [self._entity(r) for r in q]


class DjangoOrderRepository:
    def add(self, order: Order) -> None:
        m.Order.objects.create(
            id=order.id,
            customer_id=order.customer_id,
            status=order.status.value,
            payment_method=order.payment_method.value,
            total=order.total.amount,
            currency=order.total.currency,
            created_at=order.created_at,
            paid_at=order.paid_at,
            paid_by=order.paid_by,
        )
        m.OrderLine.objects.bulk_create(
            m.OrderLine(
                id=ln.id,
                order_id=order.id,
                product_id=ln.product_id,
                product_name=ln.product_name,
                quantity=ln.quantity,
                unit_price=ln.unit_price.amount,
                position=i,
            )
            for i, ln in enumerate(order.lines)
        )

    def get(
        self,
        order_id: OrderId,
        *,
        customer_id: CustomerId | None = None,
        for_update: bool = False,
    ) -> Order | None:
        q = m.Order.objects.filter(pk=order_id)
        if customer_id is not None:
            q = q.filter(customer_id=customer_id)
        if for_update:
            q = q.select_for_update()
        row = q.first()
        if row is None:
            return None
        return mappers.order_from_row(row, list(m.OrderLine.objects.filter(order_id=row.id)))

    def save(self, order: Order) -> None:
        m.Order.objects.filter(pk=order.id).update(
            status=order.status.value,
            payment_method=order.payment_method.value,
            paid_at=order.paid_at,
            paid_by=order.paid_by,
        )

    def list(
        self,
        page: PageRequest,
        *,
        customer_id: CustomerId | None = None,
        status: OrderStatus | None = None,
    ) -> Page[Order]:
        q = m.Order.objects.all()
        if customer_id is not None:
            q = q.filter(customer_id=customer_id)
        if status is not None:
            q = q.filter(status=status.value)
        q = q.order_by("-created_at", "-id")
        rows = list(q.prefetch_related("lines")[page.offset : page.offset + page.size])
        count = (
            page.offset + len(rows)
            if len(rows) < page.size and (rows or page.offset == 0)
            else q.count()
        )
        return Page([mappers.order_from_row(r, list(r.lines.all())) for r in rows], count)


class DjangoPaymentRepository:
    def add(self, payment: Payment) -> None:
        m.Payment.objects.create(
            id=payment.id,
            order_id=payment.order_id,
            customer_id=payment.customer_id,
            method=payment.method.value,
            provider=payment.provider,
            amount=payment.amount.amount,
            currency=payment.amount.currency,
            status=payment.status.value,
            external_ref=payment.external_ref,
            next_action=payment.next_action,
            created_at=payment.created_at,
            seq=time.time_ns(),
        )
        self._write_history(payment)

    def _write_history(self, payment: Payment) -> None:
        if payment.history:
            m.PaymentEvent.objects.bulk_create(mappers.event_rows(payment, payment.history))
            payment.history.clear()  # written: the next save appends only what is new

    def _one(self, q: object, for_update: bool) -> Payment | None:
        if for_update:
            q = q.select_for_update()  # type: ignore[attr-defined]
        row = q.first()  # type: ignore[attr-defined]
        return mappers.payment_from_row(row) if row else None

    def get(self, payment_id: PaymentId, *, for_update: bool = False) -> Payment | None:
        return self._one(m.Payment.objects.filter(pk=payment_id), for_update)

    def latest_for(self, order_id: OrderId, *, for_update: bool = False) -> Payment | None:
        return self._one(m.Payment.objects.filter(order_id=order_id).order_by("-seq"), for_update)

    def find_by_external_ref(
        self, provider: str, external_ref: str, *, for_update: bool = False
    ) -> Payment | None:
        if not external_ref:
            return None
        q = m.Payment.objects.filter(provider=provider, external_ref=external_ref)
        return self._one(q.order_by("-seq"), for_update)

    def save(self, payment: Payment) -> None:
        m.Payment.objects.filter(pk=payment.id).update(
            status=payment.status.value,
            external_ref=payment.external_ref,
            next_action=payment.next_action,
        )
        self._write_history(payment)

    def for_orders(self, order_ids: Sequence[OrderId]) -> dict[OrderId, Payment]:
        rows = m.Payment.objects.filter(order_id__in=list(order_ids)).order_by("order_id", "seq")
        return {OrderId(r.order_id): mappers.payment_from_row(r) for r in rows}
