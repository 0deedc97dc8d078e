"""Password hashing and policy through Django's auth (its hashers and validators)."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError


class DjangoPasswordHasher:
    def hash(self, password: str) -> str:
        return make_password(password)

    def verify(self, password: str, hashed: str) -> bool:
        return check_password(password, hashed)

    def waste_time(self, password: str) -> None:
        make_password(password)  # as slow as a verify: unknown users are not told apart


class _Probe:
    """Just enough of a user for UserAttributeSimilarityValidator."""

    def __init__(self, username: str, email: str):
        self.username, self.email = username, email


class DjangoPasswordPolicy:
    def problems(self, password: str, *, username: str, email: str) -> list[str]:
        try:
            validate_password(password, user=_Probe(username, email))
        except ValidationError as error:
            return [str(message) for message in error.messages]
        return []
