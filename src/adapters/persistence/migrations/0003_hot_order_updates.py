"""Fewer indexes on the checkout's hot tables.

`status` leaves the order's indexes so PostgreSQL can update an order in place (HOT) when
it is paid; the staff list walks `order_newest_idx`. The single-column foreign-key
indexes go where a composite index already leads with the same column.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0002_idempotency"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="order",
            name="shop_order_status_65feda_idx",
        ),
        migrations.AlterField(
            model_name="bucketline",
            name="customer",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="order",
            name="customer",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="orders",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="payment",
            name="order",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="payments",
                to="shop.order",
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["-created_at"], name="order_newest_idx"),
        ),
    ]
