"""The folded product name (issue 17): ``name_folded`` = lower(name), generated and
stored, so that the name search on PostgreSQL is ``name_folded LIKE lower(term)``: the
covering name index holds it (a walk tests each name in the index, no ILIKE folding per
name) and the trigram index moves to it, with the statistics the planner estimates a
term's matches from. SQLite gets the column and the plain index only."""

import django.db.models.functions.text
from django.db import migrations, models

FORWARD = [
    "DROP INDEX IF EXISTS product_name_trgm",
    "CREATE INDEX IF NOT EXISTS product_name_folded_trgm ON shop_product "
    "USING gin (name_folded gin_trgm_ops)",
    "ALTER TABLE shop_product ALTER COLUMN name_folded SET STATISTICS 1000",
    "ANALYZE shop_product",
]
BACKWARD = [
    "DROP INDEX IF EXISTS product_name_folded_trgm",
    "CREATE INDEX IF NOT EXISTS product_name_trgm ON shop_product USING gin (name gin_trgm_ops)",
]


def on_postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0011_covering_name_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="name_folded",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Lower("name"),
                output_field=models.TextField(),
            ),
        ),
        migrations.RemoveIndex(model_name="product", name="product_name_id"),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                fields=["name", "id"], include=("active", "name_folded"), name="product_name_id"
            ),
        ),
        migrations.RunPython(on_postgres(FORWARD), on_postgres(BACKWARD)),
    ]
