"""Address books and delivery methods in the database."""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction

from adapters.persistence import mappers
from adapters.persistence import models as m
from adapters.persistence.repositories import sql
from adapters.persistence.write_batch import WriteBatch
from shop_app.ports.paging import Page, PageRequest
from shop_domain.delivery import DeliveryMethod, SavedAddress
from shop_domain.errors import ValidationFailed
from shop_domain.ids import AddressId, CustomerId


class DjangoAddressRepository:
    def __init__(self, batch: WriteBatch):
        self._batch = batch

    def add(self, entry: SavedAddress) -> None:
        self._batch.before_write()
        m.Address.objects.create(
            id=entry.id,
            customer_id=entry.customer_id,
            created_at=entry.created_at,
            **mappers.address_fields(entry),
        )

    def get(self, address_id: AddressId, *, customer_id: CustomerId) -> SavedAddress | None:
        self._batch.read()
        row = m.Address.objects.filter(pk=address_id, customer_id=customer_id).first()
        return mappers.address_from_row(row) if row else None

    def list(self, page: PageRequest, *, customer_id: CustomerId) -> Page[SavedAddress]:
        self._batch.read()
        q = m.Address.objects.filter(customer_id=customer_id).order_by("created_at", "id")
        rows, count = sql.page_with_count(q, page)
        return Page([mappers.address_from_row(r) for r in rows], count)

    def save(self, entry: SavedAddress) -> None:
        self._batch.before_write()
        m.Address.objects.filter(pk=entry.id).update(**mappers.address_fields(entry))

    def remove(self, address_id: AddressId) -> None:
        self._batch.before_write()
        m.Address.objects.filter(pk=address_id).delete()

    def lock_book(self, customer_id: CustomerId) -> None:
        # The customer's row is the book's lock: changes of the default queue behind it
        # (the partial unique index would otherwise refuse the second with an error).
        self._batch.read(lock=True)
        list(m.Customer.objects.select_for_update().filter(pk=customer_id).values_list("pk"))

    def clear_default(self, customer_id: CustomerId, *, keep: AddressId) -> None:
        self._batch.before_write()
        m.Address.objects.filter(customer_id=customer_id, is_default=True).exclude(pk=keep).update(
            is_default=False
        )


class DjangoDeliveryMethodRepository:
    def __init__(self, currency: str, batch: WriteBatch):
        self._currency, self._batch = currency, batch

    def add(self, method: DeliveryMethod) -> None:
        self._batch.before_write()
        try:
            with transaction.atomic():
                m.DeliveryMethod.objects.create(
                    code=method.code, **mappers.delivery_method_fields(method)
                )
        except IntegrityError:
            raise ValidationFailed(
                details={"code": ["a delivery method with this code exists"]}
            ) from None

    def get(self, code: str) -> DeliveryMethod | None:
        self._batch.read()
        row = m.DeliveryMethod.objects.filter(pk=code).first()
        return mappers.delivery_method_from_row(row, self._currency) if row else None

    def list(self, page: PageRequest, *, active_only: bool) -> Page[DeliveryMethod]:
        self._batch.read()
        q = m.DeliveryMethod.objects.all()
        if active_only:
            q = q.filter(active=True)
        rows, count = sql.page_with_count(q.order_by("price", "code"), page)
        return Page([mappers.delivery_method_from_row(r, self._currency) for r in rows], count)

    def save(self, method: DeliveryMethod) -> None:
        self._batch.before_write()
        m.DeliveryMethod.objects.filter(pk=method.code).update(
            **mappers.delivery_method_fields(method)
        )

    def choose(
        self, code: str, *, address_id: AddressId | None, customer_id: CustomerId
    ) -> tuple[DeliveryMethod | None, SavedAddress | None]:
        self._batch.read()
        if address_id is None:
            return self.get(code), None
        # One statement for both: the method, and the address if it is the caller's
        # (either may be missing, so a full join of two one-row selections).
        method_cols = sql.columns(m.DeliveryMethod, "d")
        address_cols = sql.columns(m.Address, "a")
        query = (
            f"SELECT {method_cols}, {address_cols} FROM "
            f"(SELECT 1 AS one) k "
            f"LEFT JOIN {m.DeliveryMethod._meta.db_table} d ON d.code = %s "
            f"LEFT JOIN {m.Address._meta.db_table} a ON a.id = %s AND a.customer_id = %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(query, [code, sql.db(address_id), sql.db(customer_id)])
            row = cursor.fetchone()
        split = len(m.DeliveryMethod._meta.concrete_fields)
        method_row, address_row = row[:split], row[split:]
        method = (
            mappers.delivery_method_from_row(sql.read(m.DeliveryMethod, method_row), self._currency)
            if method_row[0] is not None
            else None
        )
        address = (
            mappers.address_from_row(sql.read(m.Address, address_row))
            if address_row[0] is not None
            else None
        )
        return method, address
