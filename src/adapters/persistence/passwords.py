"""Password hashing and policy through Django's auth (its hashers and validators)."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from adapters.persistence.models import Customer


class DjangoPasswordHasher:
    def hash(self, password: str) -> str:
        return make_password(password)

    def verify(self, password: str, hashed: str) -> bool:
        return check_password(password, hashed)

    def waste_time(self, password: str) -> None:
        make_password(password)  # as slow as a verify: unknown users are not told apart


class DjangoPasswordPolicy:
    def problems(self, password: str, *, username: str, email: str) -> list[str]:
        try:
            # an unsaved row: what UserAttributeSimilarityValidator compares against
            validate_password(password, user=Customer(username=username, email=email))
        except ValidationError as error:
            return [str(message) for message in error.messages]
        return []
