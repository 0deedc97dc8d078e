"""Customer accounts in the database."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q

from adapters.persistence import mappers
from adapters.persistence import models as m
from adapters.persistence.auth_backend import forget_user
from adapters.persistence.write_batch import WriteBatch
from shop_domain.customer import Customer, fold_username
from shop_domain.errors import UsernameOrEmailTaken
from shop_domain.ids import CustomerId


class DjangoCustomerRepository:
    def __init__(self, batch: WriteBatch):
        self._batch = batch

    def add(self, customer: Customer) -> None:
        # Sent at once: the unique indexes' verdict is the use case's answer (2001).
        self._batch.before_write()
        try:
            with transaction.atomic():
                m.Customer.objects.create(id=customer.id, **mappers.customer_fields(customer))
        except IntegrityError:
            raise UsernameOrEmailTaken() from None

    def get(self, customer_id: CustomerId) -> Customer | None:
        self._batch.read()
        row = m.Customer.objects.filter(pk=customer_id).first()
        return mappers.customer_from_row(row) if row else None

    def get_by_username(self, username: str) -> Customer | None:
        # One folding (the domain's) for look-up and uniqueness, on every database: a
        # spelling reaches the account whose folded name it shares, and no other.
        self._batch.read()
        key = fold_username(username)
        row = m.Customer.objects.filter(username_key=key, is_active=True).first()
        return mappers.customer_from_row(row) if row else None

    def taken(self, *, username: str, email: str, exclude: CustomerId | None = None) -> bool:
        """A friendly early answer only: the unique index on ``username_key`` decides,
        and ``add``/``save`` turn its refusal of a concurrent duplicate into 2001."""
        self._batch.read()
        key = fold_username(username)
        q = m.Customer.objects.filter(Q(username_key=key) | Q(email__iexact=email))
        if exclude is not None:
            q = q.exclude(pk=exclude)
        return q.exists()

    def save(self, customer: Customer) -> None:
        self._batch.before_write()
        try:
            with transaction.atomic():
                m.Customer.objects.filter(pk=customer.id).update(
                    **mappers.customer_fields(customer)
                )
        except IntegrityError:
            raise UsernameOrEmailTaken() from None
        # A changed password must end other sessions at once: drop the cached login now,
        # and again after commit in case a concurrent request cached the old row.
        forget_user(customer.id)
        transaction.on_commit(lambda: forget_user(customer.id))
