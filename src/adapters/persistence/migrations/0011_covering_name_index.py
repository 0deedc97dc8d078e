# The catalog's name index covers the name search's walk (issue 17): (name, id) with
# ``active`` included, so PostgreSQL tests each name in the index alone (an index-only
# scan). The new index is built before the old one goes, so the catalog always has one.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0010_scale_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="product",
            index=models.Index(fields=["name", "id"], include=("active",), name="product_name_id"),
        ),
        migrations.RemoveIndex(
            model_name="product",
            name="shop_produc_name_a2070e_idx",
        ),
    ]
