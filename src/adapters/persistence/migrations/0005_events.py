from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0004_customer_username_key")]

    operations = [
        migrations.CreateModel(
            name="Event",
            fields=[
                ("id", models.UUIDField(editable=False, primary_key=True, serialize=False)),
                ("type", models.CharField(max_length=32)),
                ("order_id", models.UUIDField()),
                ("sequence", models.IntegerField(help_text="grows per order")),
                ("created_at", models.DateTimeField()),
                ("data", models.JSONField()),
            ],
            options={
                "db_table": "shop_event",
                "indexes": [
                    models.Index(fields=["created_at", "id"], name="shop_event_created_1f1eec_idx"),
                    models.Index(fields=["type", "created_at"], name="shop_event_type_34e304_idx"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("order_id", "sequence"), name="event_sequence_per_order"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="SentEmail",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("order_id", models.UUIDField()),
                ("kind", models.CharField(max_length=32)),
                ("recipient", models.CharField(max_length=254)),
                ("event_id", models.UUIDField()),
                ("sent_at", models.DateTimeField()),
            ],
            options={
                "db_table": "shop_sent_email",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("order_id", "kind"), name="one_email_per_order_and_kind"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ScheduledJob",
            fields=[
                ("name", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("next_due_at", models.DateTimeField()),
                ("last_claimed_at", models.DateTimeField(blank=True, null=True)),
                ("last_claimed_by", models.CharField(blank=True, default="", max_length=64)),
            ],
            options={"db_table": "shop_scheduled_job"},
        ),
    ]
