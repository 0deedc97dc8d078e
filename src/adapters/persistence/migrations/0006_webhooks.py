# Webhook endpoints and deliveries.

import uuid

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0005_events"),
    ]

    operations = [
        migrations.CreateModel(
            name="WebhookEndpoint",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("url", models.URLField(max_length=2000)),
                ("events", models.JSONField(default=list)),
                ("description", models.CharField(blank=True, default="", max_length=500)),
                ("active", models.BooleanField(default=True)),
                ("secret", models.CharField(max_length=100)),
                ("created_at", models.DateTimeField()),
            ],
            options={
                "db_table": "shop_webhook_endpoint",
                "ordering": ["created_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="WebhookDelivery",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("event_id", models.CharField(max_length=64)),
                ("event_type", models.CharField(max_length=64)),
                ("payload", models.JSONField()),
                ("order_key", models.CharField(blank=True, default="", max_length=64)),
                ("sequence", models.BigIntegerField(blank=True, null=True)),
                ("status", models.CharField(default="pending", max_length=16)),
                ("attempts", models.IntegerField(default=0)),
                ("last_status_code", models.IntegerField(blank=True, null=True)),
                ("last_error", models.TextField(blank=True, default="")),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                ("delivered_at", models.DateTimeField(blank=True, null=True)),
                ("leased_until", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField()),
                (
                    "endpoint",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="shop.webhookendpoint",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "webhook deliveries",
                "db_table": "shop_webhook_delivery",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(
                        fields=["endpoint", "order_key", "sequence"], name="delivery_order_seq"
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("endpoint", "event_id"), name="one_delivery_per_event"
                    )
                ],
            },
        ),
    ]
