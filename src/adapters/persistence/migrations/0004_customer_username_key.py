"""One folding for usernames: `username_key` (the domain's fold_username) with a unique
index is the rule for look-up and uniqueness on every database, in place of the old
`lower(username)` index, which let `ı`/`ſ` spellings of one name make two accounts.

The backfill gives each account its folded name, oldest account first. An account whose
folded name an older account already holds (two spellings registered before this rule)
keeps NULL: it cannot log in by name until staff renames it, instead of login picking
either account. The migration says how many it set aside.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db import migrations, models

import adapters.persistence.models

MAX_KEY = 300


def _fold_once(text: str) -> str:
    return unicodedata.normalize("NFKC", text.casefold().replace("\u0131", "i"))


def _fold(username: str) -> str:
    # A frozen copy of shop_domain.customer.fold_username: a migration must not change
    # meaning when the code does.
    once = _fold_once(unicodedata.normalize("NFKC", username))
    for _ in range(4):
        again = _fold_once(once)
        if again == once:
            break
        once = again
    return once


def backfill(apps: Any, schema_editor: Any) -> None:
    Customer = apps.get_model("shop", "Customer")
    seen: set[str] = set()
    set_aside = 0
    rows = Customer.objects.order_by("date_joined", "id").values_list("id", "username")
    for pk, username in rows.iterator(chunk_size=2000):
        key = _fold(username)
        if key in seen or len(key) > MAX_KEY:
            set_aside += 1
            continue
        seen.add(key)
        Customer.objects.filter(pk=pk).update(username_key=key)
    if set_aside:
        print(f"\n  {set_aside} account(s) fold onto an older account's username: set aside")


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0003_hot_order_updates"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="username_key",
            field=models.CharField(editable=False, max_length=MAX_KEY, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="customer",
            constraint=models.UniqueConstraint(
                fields=("username_key",), name="customer_username_key_unique"
            ),
        ),
        migrations.RemoveConstraint(model_name="customer", name="customer_username_ci_unique"),
        # Django's own logins find accounts by username_key (CustomerManager).
        migrations.AlterModelManagers(
            name="customer",
            managers=[("objects", adapters.persistence.models.CustomerManager())],
        ),
    ]
