"""One behaviour suite for the ``IdempotencyStore`` port, run over the Django store and
the in-memory one, so that the fake stays honest."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.persistence.in_memory_idempotency import InMemoryIdempotencyStore
from shop_app.ports.idempotency import KEEP_FOR, Claim, IdempotencyStore
from shop_domain.ids import CustomerId

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture(params=["in_memory", "django"])
def store(request: pytest.FixtureRequest) -> IdempotencyStore:
    if request.param == "in_memory":
        return InMemoryIdempotencyStore()
    request.getfixturevalue("db")
    from adapters.persistence.idempotency import DjangoIdempotencyStore

    return DjangoIdempotencyStore()


@pytest.fixture
def new_customer(store: IdempotencyStore) -> Callable[[], CustomerId]:
    def make() -> CustomerId:
        if isinstance(store, InMemoryIdempotencyStore):
            return CustomerId(uuid.uuid4())
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.create_user(username=f"k{uuid.uuid4().hex[:10]}")
        return CustomerId(user.pk)

    return make


def test_the_first_claim_is_mine_and_a_repeat_sees_it_running(
    store: IdempotencyStore, new_customer: Callable[[], CustomerId]
) -> None:
    alice = new_customer()
    assert store.claim(alice, "k1", "fp-a", NOW) == Claim(mine=True)
    assert store.claim(alice, "k1", "fp-b", NOW) == Claim(mine=False, fingerprint="fp-a")


def test_a_completed_claim_replays_its_answer(
    store: IdempotencyStore, new_customer: Callable[[], CustomerId]
) -> None:
    alice = new_customer()
    store.claim(alice, "k1", "fp-a", NOW)
    store.complete(alice, "k1", 201, {"payment_uuid": "p1", "amount": "9.99"})
    assert store.claim(alice, "k1", "fp-a", NOW + timedelta(minutes=1)) == Claim(
        mine=False,
        fingerprint="fp-a",
        status_code=201,
        response={"payment_uuid": "p1", "amount": "9.99"},
    )


def test_keys_are_per_customer(
    store: IdempotencyStore, new_customer: Callable[[], CustomerId]
) -> None:
    alice, bob = new_customer(), new_customer()
    assert store.claim(alice, "k1", "fp-a", NOW).mine
    assert store.claim(bob, "k1", "fp-b", NOW).mine


def test_a_released_claim_runs_afresh_but_a_completed_one_is_never_released(
    store: IdempotencyStore, new_customer: Callable[[], CustomerId]
) -> None:
    alice = new_customer()
    store.claim(alice, "k1", "fp-a", NOW)
    store.release(alice, "k1")
    assert store.claim(alice, "k1", "fp-b", NOW) == Claim(mine=True)

    store.complete(alice, "k1", 200, {"ok": True})
    store.release(alice, "k1")
    assert store.claim(alice, "k1", "fp-b", NOW).status_code == 200


def test_a_key_older_than_its_keeping_time_is_forgotten(
    store: IdempotencyStore, new_customer: Callable[[], CustomerId]
) -> None:
    alice = new_customer()
    store.claim(alice, "old", "fp-a", NOW)
    store.complete(alice, "old", 201, {"n": 1})
    store.claim(alice, "young", "fp-a", NOW + KEEP_FOR)
    later = NOW + KEEP_FOR + timedelta(seconds=1)
    assert store.claim(alice, "old", "fp-b", later) == Claim(mine=True)
    store.claim(alice, "older", "fp-c", NOW - timedelta(days=2))
    assert store.purge(later) == 1  # "older"; "old" was claimed afresh, "young" is young
    assert store.claim(alice, "young", "fp-x", later).fingerprint == "fp-a"


def test_of_concurrent_claims_of_one_key_exactly_one_is_mine() -> None:
    """The in-memory store's lock stands for the database's unique row (the Django
    store's races are the HTTP idempotency tests' on PostgreSQL)."""
    store = InMemoryIdempotencyStore()
    alice = CustomerId(uuid.uuid4())
    results: list[Any] = []
    start = threading.Barrier(8)

    def claim(n: int) -> None:
        start.wait()
        results.append(store.claim(alice, "k", f"fp-{n}", NOW))

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    mine = [c for c in results if c.mine]
    assert len(mine) == 1 and len(results) == 8
    assert len({c.fingerprint for c in results if not c.mine}) == 1
