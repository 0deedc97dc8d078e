"""Accounts: register, authenticate, read and update the profile, change the password."""

from __future__ import annotations

from shop_app.ports.id_source import IdSource
from shop_app.ports.passwords import PasswordHasher, PasswordPolicy
from shop_app.ports.unit_of_work import UnitOfWork
from shop_app.read_models import CustomerView
from shop_domain.customer import USERNAME_KEY_MAX_LENGTH, Customer, fold_username
from shop_domain.errors import (
    BadCredentials,
    ProfileNotFound,
    UsernameOrEmailTaken,
    ValidationFailed,
)
from shop_domain.ids import CustomerId


def _check_username(username: str) -> None:
    if len(fold_username(username)) > USERNAME_KEY_MAX_LENGTH:
        raise ValidationFailed(details={"username": ["This username is too long."]})


def _check_password(policy: PasswordPolicy, password: str, *, username: str, email: str) -> None:
    problems = policy.problems(password, username=username, email=email)
    if problems:
        raise ValidationFailed(details={"password": problems})


class RegisterCustomer:
    """Create an account. Registration does not log in."""

    def __init__(
        self, uow: UnitOfWork, ids: IdSource, hasher: PasswordHasher, policy: PasswordPolicy
    ):
        self._uow, self._ids, self._hasher, self._policy = uow, ids, hasher, policy

    def __call__(
        self, *, username: str, password: str, email: str, first_name: str = ""
    ) -> CustomerView:
        _check_username(username)
        _check_password(self._policy, password, username=username, email=email)
        customer = Customer(
            id=CustomerId(self._ids.new_id()),
            username=username,
            email=email,
            first_name=first_name,
            password_hash=self._hasher.hash(password),
        )
        with self._uow as uow:
            if uow.customers.taken(username=username, email=email):
                raise UsernameOrEmailTaken()
            uow.customers.add(customer)
            uow.commit()
        return CustomerView.of(customer)


class Authenticate:
    """Check a username and password; the same error for an unknown user and a wrong password."""

    def __init__(self, uow: UnitOfWork, hasher: PasswordHasher):
        self._uow, self._hasher = uow, hasher

    def __call__(self, *, username: str, password: str) -> CustomerView:
        with self._uow.read_only() as uow:
            customer = uow.customers.get_by_username(username)
        if customer is None:
            self._hasher.waste_time(password)
            raise BadCredentials()
        if not self._hasher.verify(password, customer.password_hash):
            raise BadCredentials()
        return CustomerView.of(customer)


class GetProfile:
    """The caller's own profile."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    def __call__(self, *, customer_id: CustomerId) -> CustomerView:
        with self._uow.read_only() as uow:
            customer = uow.customers.get(customer_id)
        if customer is None:
            raise ProfileNotFound()
        return CustomerView.of(customer)


class UpdateProfile:
    """Change the caller's own profile; another account's id answers not found."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    def __call__(
        self,
        *,
        customer_id: CustomerId,
        target_id: CustomerId,
        username: str,
        email: str,
        first_name: str = "",
        last_name: str = "",
        phone: str = "",
        city: str = "",
    ) -> CustomerView:
        if target_id != customer_id:
            raise ProfileNotFound()
        _check_username(username)
        with self._uow as uow:
            customer = uow.customers.get(customer_id)
            if customer is None:
                raise ProfileNotFound()
            if uow.customers.taken(username=username, email=email, exclude=customer_id):
                raise UsernameOrEmailTaken()
            customer.update_profile(
                username=username,
                email=email,
                first_name=first_name,
                last_name=last_name,
                phone=phone,
                city=city,
            )
            uow.customers.save(customer)
            uow.commit()
        return CustomerView.of(customer)


class ChangePassword:
    """Set a new password after checking the old one (the caller's own account only)."""

    def __init__(self, uow: UnitOfWork, hasher: PasswordHasher, policy: PasswordPolicy):
        self._uow, self._hasher, self._policy = uow, hasher, policy

    def __call__(
        self,
        *,
        customer_id: CustomerId,
        target_id: CustomerId,
        username: str,
        old_password: str,
        password: str,
    ) -> None:
        if target_id != customer_id:
            raise ProfileNotFound()
        with self._uow as uow:
            customer = uow.customers.get(customer_id)
            if (
                customer is None
                or fold_username(customer.username) != fold_username(username)
                or not self._hasher.verify(old_password, customer.password_hash)
            ):
                raise BadCredentials()
            _check_password(self._policy, password, username=username, email=customer.email)
            customer.password_hash = self._hasher.hash(password)
            uow.customers.save(customer)
            uow.commit()
