"""The data of `make bench-scale`: a migrated PostgreSQL database filled by bulk SQL.

``fill(conn, size)`` writes, with ``INSERT ... SELECT generate_series`` in chunks of
``CHUNK`` rows (one tqdm bar per table):

- ``size`` products (names of a brand, a noun and a material from short word lists:
  "steel" is in 10 % of them, "zircon" in exactly 10 at every size), 20 product types,
  1 % inactive;
- 10^4 customers, one staff account and one buyer;
- ``size`` orders, two lines and one payment each; customer 0 has min(10^4, size / 2)
  of them, the rest go round the others; status ``error`` in 0.1 % of them (the rare
  status), else mostly ``paid``;
- ``size`` events (one per order), webhook deliveries (one endpoint) and idempotency
  records;
- 10^5 lapsed bucket lines (10 products per customer) and the products' ``reserved``
  counters that match them.

Then ``VACUUM ANALYZE``, as after any bulk load.
"""

from __future__ import annotations

from typing import Any

from tqdm import tqdm

CHUNK = 100_000
CUSTOMERS = 10_000
LAPSED_LINES = 100_000
BIG_CUSTOMER_ORDERS = 10_000
# Customer numbers: 0 has the many orders, 1..10^4 the lapsed lines (and the other
# orders), then the staff account and the buyer the benchmark places its orders as.
BIG, STAFF, BUYER = 0, CUSTOMERS + 1, CUSTOMERS + 2
COMMON_TERM, RARE_TERM = "steel", "zircon"
PASSWORD_HASH = "!"  # unusable: the benchmark logs its customers in with force_login

BRANDS = [
    "Acme", "Borealis", "Cobalt", "Dunmore", "Elmwood", "Fjord", "Granite", "Harbor",
    "Ivory", "Juniper", "Kestrel", "Lumen", "Meridian", "Northway", "Orchard", "Pinecrest",
    "Quarry", "Redwood", "Summit", "Tidewater", "Umber", "Vantage", "Willow", "Yarrow",
]  # fmt: skip
NOUNS = [
    "chair", "table", "lamp", "shelf", "stool", "bench", "desk", "mirror", "rug", "vase",
    "clock", "basket", "tray", "bowl", "mug", "jug", "kettle", "pan", "board", "box",
]  # fmt: skip
MATERIALS = [
    "bamboo", "ceramic", "copper", "cotton", "glass", "leather", "linen", "oak", "steel", "wool",
]  # fmt: skip


def _array(words: list[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{w}'" for w in words) + "]"


def _hash(expr: str, salt: int) -> str:
    """A well-spread non-negative integer from ``expr`` (so words do not cluster by id)."""
    return f"abs(hashint4(({expr})::int + {salt}))"


def _word(words: list[str], expr: str, salt: int) -> str:
    return f"({_array(words)})[1 + {_hash(expr, salt)} % {len(words)}]"


def _chunks(conn: Any, label: str, total: int, sql: str) -> None:
    """Run ``sql`` (with %(lo)s and %(hi)s, 0-based and inclusive) chunk by chunk."""
    with tqdm(total=total, desc=f"  {label:<22}", unit="row", unit_scale=True, leave=True) as bar:
        for lo in range(0, total, CHUNK):
            hi = min(total, lo + CHUNK) - 1
            # No parameters: the SQL is ours, and its % stays the modulo operator.
            conn.execute(sql.replace("%(lo)s", str(lo)).replace("%(hi)s", str(hi)))
            bar.update(hi - lo + 1)


TABLES = [
    "shop_product", "shop_customer", "shop_order", "shop_order_line", "shop_payment",
    "shop_event", "shop_webhook_delivery", "shop_idempotency", "shop_bucket_line",
]  # fmt: skip


def fill(conn: Any, size: int) -> None:
    """Fill the migrated, empty database of ``conn`` (autocommit) for ``size``: as a
    bulk load is done, with the secondary indexes dropped and built again after it, and
    no per-row trigger (foreign-key checks: the ids are made to match)."""
    conn.execute("SET session_replication_role = replica")
    conn.execute("SET maintenance_work_mem = '256MB'")
    conn.execute("SET synchronous_commit = off")
    indexes = conn.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        [TABLES],
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    _load(conn, size)
    for _name, definition in tqdm(indexes, desc="  indexes", unit="index", leave=True):
        conn.execute(definition)
    # The triggers that keep it were off for the load (the table exists from issue 17 on).
    if conn.execute("SELECT to_regclass('shop_order_rare_status')").fetchone()[0]:
        conn.execute(
            "INSERT INTO shop_order_rare_status (order_id, status, created_at) "
            "SELECT id, status, created_at FROM shop_order WHERE status IN ('error', 'returned')"
        )
    conn.execute("SET session_replication_role = DEFAULT")
    with tqdm(total=1, desc="  vacuum analyze", leave=True) as bar:
        conn.execute("VACUUM ANALYZE")
        bar.update(1)


def _load(conn: Any, size: int) -> None:
    rare_every = max(size // 10, 1)
    material = (
        f"CASE WHEN i % 10 = 8 THEN '{COMMON_TERM}' "
        f"ELSE {_word([w for w in MATERIALS if w != COMMON_TERM], 'i', 3)} END"
    )
    _chunks(
        conn,
        "products",
        size,
        f"""
        INSERT INTO shop_product
            (id, name, description, price, product_type, status, active, stock, reserved)
        SELECT md5('p' || i)::uuid,
               {_word(BRANDS, "i", 1)} || ' ' || {_word(NOUNS, "i", 2)} || ' ' || {material}
                 || ' ' || i
                 || CASE WHEN i % {rare_every} = 7 THEN ' {RARE_TERM}' ELSE '' END,
               'bulk catalog', 1 + ({_hash("i", 4)} % 100000) / 100.0, 'type-' || (i % 20),
               'new', i % 100 <> 99, 1000000, 0
        FROM generate_series(%(lo)s, %(hi)s) AS i
        """,
    )
    _chunks(
        conn,
        "customers",
        CUSTOMERS + 3,
        """
        INSERT INTO shop_customer
            (id, password, is_superuser, username, first_name, last_name, email, is_staff,
             is_active, date_joined, phone, city, username_key)
        SELECT md5('c' || i)::uuid, %(hash)s, i = {STAFF}, 'scale' || i, '', '',
               'scale' || i || '@example.com', i = {STAFF}, TRUE, now(), '', '', 'scale' || i
        FROM generate_series(%(lo)s, %(hi)s) AS i
        """.replace("%(hash)s", f"'{PASSWORD_HASH}'").replace("{STAFF}", str(STAFF)),
    )
    big = min(BIG_CUSTOMER_ORDERS, size // 2)
    customer = f"CASE WHEN i < {big} THEN 0 ELSE 1 + i % {CUSTOMERS - 1} END"
    status = (
        "CASE WHEN i % 1000 = 500 THEN 'error' WHEN i % 50 = 1 THEN 'to_pay' "
        "WHEN i % 50 = 2 THEN 'new' ELSE 'paid' END"
    )
    created = f"now() - interval '1 second' * ({size} - i) - interval '1 hour'"
    _chunks(
        conn,
        "orders",
        size,
        f"""
        INSERT INTO shop_order
            (id, customer_id, status, payment_method, total, currency, created_at, paid_at,
             paid_by)
        SELECT md5('o' || i)::uuid, md5('c' || ({customer}))::uuid, {status}, 'card',
               20.00, 'PLN', {created}, NULL, NULL
        FROM generate_series(%(lo)s, %(hi)s) AS i
        """,
    )
    _chunks(
        conn,
        "order lines",
        2 * size,
        f"""
        INSERT INTO shop_order_line
            (id, order_id, product_id, product_name, quantity, unit_price, position)
        SELECT md5('l' || j)::uuid, md5('o' || (j / 2))::uuid,
               md5('p' || ({_hash("j", 5)} % {size}))::uuid, 'a product', 1, 10.00, j % 2
        FROM generate_series(%(lo)s, %(hi)s) AS j
        """,
    )
    _chunks(
        conn,
        "payments",
        size,
        f"""
        INSERT INTO shop_payment
            (id, order_id, customer_id, method, provider, amount, currency, status,
             external_ref, next_action, created_at, seq)
        SELECT md5('y' || i)::uuid, md5('o' || i)::uuid, md5('c' || ({customer}))::uuid,
               'card', 'card_sandbox', 20.00, 'PLN', 'succeeded', 'pi_' || i, NULL,
               {created}, 1
        FROM generate_series(%(lo)s, %(hi)s) AS i
        """,
    )
    _chunks(
        conn,
        "events",
        size,
        f"""
        INSERT INTO shop_event (id, type, order_id, sequence, created_at, data)
        SELECT md5('e' || i)::uuid, 'order.created', md5('o' || i)::uuid, 1, {created},
               jsonb_build_object('order_uuid', md5('o' || i)::uuid)
        FROM generate_series(%(lo)s, %(hi)s) AS i
        """,
    )
    conn.execute(
        """
        INSERT INTO shop_webhook_endpoint (id, url, events, description, active, secret,
                                           created_at)
        VALUES (md5('endpoint')::uuid, 'http://127.0.0.1:9/hook', '[]', 'scale', FALSE,
                'whsec_c2NhbGU=', now())
        """
    )
    _chunks(
        conn,
        "webhook deliveries",
        size,
        f"""
        INSERT INTO shop_webhook_delivery
            (id, endpoint_id, event_id, event_type, payload, order_key, sequence, status,
             attempts, last_status_code, last_error, next_attempt_at, delivered_at,
             leased_until, created_at)
        SELECT md5('d' || i)::uuid, md5('endpoint')::uuid, 'evt_' || md5('e' || i)::uuid,
               'order.created', '{{}}', md5('o' || i), 1, 'succeeded', 1, 200, '', NULL,
               {created}, NULL, {created}
        FROM generate_series(%(lo)s, %(hi)s) AS i
        """,
    )
    _chunks(
        conn,
        "idempotency records",
        size,
        f"""
        INSERT INTO shop_idempotency
            (customer_id, key, fingerprint, status_code, response, created_at)
        SELECT md5('c' || ({customer}))::uuid, 'key-' || i, md5('f' || i), 201, '{{}}',
               now() - interval '1 second' * (({size} - i) % 72000)
        FROM generate_series(%(lo)s, %(hi)s) AS i
        """,
    )
    # 10 lines per customer (customers 1..10^4), each holding 2 units, lapsed an hour ago.
    products = min(size, 1000)
    _chunks(
        conn,
        "lapsed bucket lines",
        LAPSED_LINES,
        f"""
        INSERT INTO shop_bucket_line
            (id, customer_id, product_id, quantity, unit_price, reserved, reserved_until,
             created_at, guest_bucket_id)
        SELECT md5('b' || k)::uuid, md5('c' || (1 + k / 10))::uuid,
               md5('p' || ((k % 10) * {products // 10} + (k / 10) % {products // 10}))::uuid,
               2, 10.00, 2, now() - interval '1 hour', now() - interval '2 hours', NULL
        FROM generate_series(%(lo)s, %(hi)s) AS k
        """,
    )
    conn.execute(
        """
        UPDATE shop_product p SET reserved = h.held
        FROM (SELECT product_id, sum(reserved) AS held FROM shop_bucket_line
              GROUP BY product_id) h
        WHERE p.id = h.product_id
        """
    )
