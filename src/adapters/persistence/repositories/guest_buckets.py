"""Guest buckets in the database: the row one guest's changes lock, and its lapse."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection

from adapters.persistence import models as m
from adapters.persistence.repositories import sql
from adapters.persistence.write_batch import WriteBatch
from shop_domain.ids import GuestBucketId


class DjangoGuestBucketRepository:
    def __init__(self, batch: WriteBatch):
        self._batch = batch

    def start_or_lock(self, guest_id: GuestBucketId, *, lapses_at: datetime) -> None:
        self._batch.before_write()
        table = m.GuestBucket._meta.db_table
        now = datetime.now(lapses_at.tzinfo)
        # One statement either way: the insert, or (the row exists) the update, which
        # locks the row until the transaction ends, as a SELECT ... FOR UPDATE would.
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (id, created_at, lapses_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (id) DO UPDATE SET lapses_at = EXCLUDED.lapses_at",
                [sql.db(guest_id), _when(now), _when(lapses_at)],
            )

    def lock(self, guest_id: GuestBucketId) -> bool:
        self._batch.read(lock=True)
        return bool(sql.raw(m.GuestBucket, "id = %s", [sql.db(guest_id)], lock=True))

    def lapsed(self, now: datetime, limit: int) -> list[GuestBucketId]:
        self._batch.read(lock=True)
        q = (
            m.GuestBucket.objects.filter(lapses_at__lte=now)
            .order_by("lapses_at")
            .select_for_update(skip_locked=True, no_key=sql.no_key())
            .values_list("id", flat=True)[:limit]
        )
        return [GuestBucketId(i) for i in q]

    def remove(self, guest_ids: Iterable[GuestBucketId]) -> None:
        ids = [sql.db(i) for i in guest_ids]
        if ids:
            marks = ", ".join(["%s"] * len(ids))
            self._batch.write(
                (f"DELETE FROM {m.GuestBucket._meta.db_table} WHERE id IN ({marks})", ids),
                rows=sql.rows_of(m.GuestBucket, ids),
            )


def _when(value: datetime) -> object:
    return m.GuestBucket._meta.get_field("lapses_at").get_db_prep_save(value, connection)
