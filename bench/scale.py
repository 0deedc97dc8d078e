"""`make bench-scale`: every route's cost as the data grows, in one run.

What it does, all on 127.0.0.1 (PostgreSQL on 5432, user postgres, trust auth):
  1. For each size (10^3, 10^5, 10^6 by default): drops and recreates the database
     `scale_<exponent>`, `shop manage migrate`, then fills it by bulk SQL
     (bench/scale_data.py: products, orders with lines and payments, events, webhook
     deliveries, idempotency records, 10^5 lapsed bucket lines), with progress bars.
  2. For each size, a child process (this script, --measure) runs the shop in-process
     (Django's test client: the whole request path without the network) and times each
     route: median and p99 over up to --requests requests or --seconds seconds, and its
     SQL statements. Then the reservation-expiry job over the 10^5 lapsed lines, with a
     customer adding to the bucket meanwhile (the longest add is what a batch can block).
  3. The table on stdout and in bench/results/scale-<timestamp>.md (raw figures in .json),
     the plot in docs/performance-scale.png, and with --docs the table in
     docs/performance.md between the `scale:begin` / `scale:end` markers.
  4. Drops the `scale_*` databases (unless --keep).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import scale_data  # noqa: E402

PG = "postgres://postgres@127.0.0.1:5432"
BEGIN, END = "<!-- scale:begin -->", "<!-- scale:end -->"


def log(msg: str = "") -> None:
    print(msg, flush=True)


def uid(tag: str, i: int) -> str:
    """The id scale_data gives row ``i`` of a table (md5 of tag || i)."""
    return str(uuid.UUID(hashlib.md5(f"{tag}{i}".encode()).hexdigest()))


# -- 1. the databases -------------------------------------------------------------------


def admin_connection() -> Any:
    import psycopg

    return psycopg.connect(f"{PG}/postgres", autocommit=True)


def build(size: int, db: str) -> float:
    import psycopg

    started = time.monotonic()
    with admin_connection() as c:
        c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{db}"')
    env = {**os.environ, "SHOP_DATABASE_URL": f"{PG}/{db}"}
    for command in (["migrate", "--verbosity", "0"], ["createcachetable"]):
        shop = str(Path(sys.executable).parent / "shop")
        subprocess.run([shop, "manage", *command], env=env, check=True, cwd=ROOT)
    with psycopg.connect(f"{PG}/{db}", autocommit=True) as conn:
        scale_data.fill(conn, size)
    return time.monotonic() - started


def drop(db: str) -> None:
    with admin_connection() as c:
        c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


# -- 2. the measurements (child process, one database) ----------------------------------


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(size: int, requests: int, seconds: float, with_expiry: bool) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adapters.django_web.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from adapters.persistence import models as m

    setup_test_environment()
    staff, buyer, big, typical = (
        Client(),
        Client(),
        Client(),
        Client(),
    )
    staff.force_login(m.Customer.objects.get(pk=uid("c", scale_data.STAFF)))
    buyer.force_login(m.Customer.objects.get(pk=uid("c", scale_data.BUYER)))
    big.force_login(m.Customer.objects.get(pk=uid("c", scale_data.BIG)))
    # The customer of the newest order: one order at 10^3, about 100 at 10^6.
    typical.force_login(
        m.Customer.objects.get(pk=uid("c", 1 + (size - 1) % (scale_data.CUSTOMERS - 1)))
    )
    anonymous = Client()
    typical_order = uid("o", size - 1)
    deep = max(1, int(0.9 * size / 20))
    routes: dict[str, Callable[[], Any]] = {
        "catalog, first page": lambda: anonymous.get("/api/products"),
        "catalog, deep page (page=90%)": lambda: anonymous.get(f"/api/products?page={deep}"),
        "catalog, ordering=-name": lambda: anonymous.get("/api/products?ordering=-name"),
        "catalog, ordering=price": lambda: anonymous.get("/api/products?ordering=price"),
        "catalog, ordering=-price": lambda: anonymous.get("/api/products?ordering=-price"),
        "catalog, name common": lambda: anonymous.get(
            f"/api/products?name={scale_data.COMMON_TERM.upper()}"
        ),
        "catalog, name rare": lambda: anonymous.get(f"/api/products?name={scale_data.RARE_TERM}"),
        "catalog, type filter": lambda: anonymous.get("/api/products?type=type-7"),
        "product detail": lambda: anonymous.get(f"/api/products/{uid('p', size // 2)}"),
        "my orders (typical customer)": lambda: typical.get("/api/orders"),
        "my orders (10^4-orders customer)": lambda: big.get("/api/orders"),
        "my orders, page 2 (10^4-orders)": lambda: big.get("/api/orders?page=2"),
        "my order detail": lambda: typical.get(f"/api/orders/{typical_order}"),
        "staff orders": lambda: staff.get("/api/admin/orders"),
        "staff orders, status=error (rare)": lambda: staff.get("/api/admin/orders?status=error"),
        "staff orders, status=paid": lambda: staff.get("/api/admin/orders?status=paid"),
        "staff events": lambda: staff.get("/api/admin/events"),
        "staff events, type filter": lambda: staff.get("/api/admin/events?type=order.created"),
        "staff webhook deliveries": lambda: staff.get(
            f"/api/admin/webhooks/{uid_endpoint()}/deliveries"
        ),
        "bucket": lambda: buyer.get("/api/bucket"),
    }
    # The deep page by cursor, where the shop has cursors (issue 17).
    cursor = deep_cursor(size)
    if cursor is not None:
        routes["catalog, deep page (cursor at 90%)"] = lambda: anonymous.get(
            f"/api/products?cursor={cursor}"
        )
    product = uid("p", 5)

    def place_order() -> Any:
        buyer.post(
            "/api/bucket",
            json.dumps({"product": product, "quantity": 1}),
            content_type="application/json",
        )
        return buyer.post(
            "/api/orders",
            json.dumps({"payment": "card"}),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        )

    routes["add to bucket + place an order (Idempotency-Key)"] = place_order
    results: dict[str, Any] = {}
    for name, call in routes.items():
        for _ in range(2):  # warm-up: caches, prepared plans, the connection
            response = call()
        if response.status_code >= 400:
            raise SystemExit(f"{name}: HTTP {response.status_code} {response.content[:300]!r}")
        times: list[float] = []
        deadline = time.monotonic() + seconds
        while len(times) < requests and (time.monotonic() < deadline or len(times) < 5):
            t0 = time.perf_counter()
            call()
            times.append(time.perf_counter() - t0)
        with CaptureQueriesContext(connection) as captured:
            call()
        statements = [
            q["sql"]
            for q in captured.captured_queries
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO"))
        ]
        results[name] = {
            "median_ms": statistics.median(times) * 1000,
            "p99_ms": _quantile(times, 0.99) * 1000,
            "requests": len(times),
            "statements": len(statements),
        }
        log(
            f"    {name:<38} median {results[name]['median_ms']:8.2f} ms  "
            f"p99 {results[name]['p99_ms']:8.2f} ms  {len(statements)} statements"
        )
    if with_expiry:
        results["reservation expiry"] = expiry(product_for_adds=uid("p", 1))
    return results


def uid_endpoint() -> str:
    return str(uuid.UUID(hashlib.md5(b"endpoint").hexdigest()))


def deep_cursor(size: int) -> str | None:
    try:
        from adapters.django_web.paging import cursor_after
    except ImportError:
        return None
    from django.db import connection

    with connection.cursor() as c:
        c.execute(
            "SELECT name, id FROM shop_product WHERE active ORDER BY name, id OFFSET %s LIMIT 1",
            [int(0.9 * size * 0.99)],
        )
        name, pk = c.fetchone()
    return str(cursor_after("name", name, pk))


def rearm(buyer: str) -> None:
    """The lapsed lines lapsed again (a database measured before has them released)."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute(
            "UPDATE shop_bucket_line SET reserved = quantity, "
            "reserved_until = now() - interval '1 hour' WHERE customer_id <> %s",
            [buyer],
        )
        c.execute(
            "UPDATE shop_product p SET reserved = h.held FROM (SELECT product_id, "
            "sum(reserved) AS held FROM shop_bucket_line GROUP BY product_id) h "
            "WHERE p.id = h.product_id AND p.reserved <> h.held"
        )
        c.execute("ANALYZE shop_bucket_line")


def expiry(product_for_adds: str) -> dict[str, Any]:
    """The expiry job over the lapsed lines, one customer adding to the bucket meanwhile."""
    from django.db import connections
    from django.test import Client

    from adapters.django_web.containers import use_cases
    from adapters.persistence import models as m
    from adapters.persistence.repositories import buckets

    batch_started: list[float] = []
    lapsed = buckets.DjangoBucketRepository.lapsed

    def timed_lapsed(self: Any, *args: Any, **kwargs: Any) -> Any:
        batch_started.append(time.perf_counter())
        return lapsed(self, *args, **kwargs)

    buckets.DjangoBucketRepository.lapsed = timed_lapsed  # type: ignore[method-assign]
    adds: list[float] = []
    done = threading.Event()

    def customer() -> None:
        client = Client()
        client.force_login(m.Customer.objects.get(pk=uid("c", scale_data.BUYER)))
        while not done.is_set():
            t0 = time.perf_counter()
            r = client.post(
                "/api/bucket",
                json.dumps({"product": product_for_adds, "quantity": 1}),
                content_type="application/json",
            )
            adds.append(time.perf_counter() - t0)
            if r.status_code < 300:
                client.delete(f"/api/bucket/{r.json()['bucket_uuid']}")
            time.sleep(0.01)
        connections.close_all()

    rearm(uid("c", scale_data.BUYER))
    before = m.BucketLine.objects.filter(reserved__gt=0).count()
    adder = threading.Thread(target=customer)
    adder.start()
    t0 = time.perf_counter()
    released = use_cases().expire_reservations()(batch=500)
    total = time.perf_counter() - t0
    done.set()
    adder.join()
    buckets.DjangoBucketRepository.lapsed = lapsed  # type: ignore[method-assign]
    marks = [*batch_started, t0 + total]
    batches = [b - a for a, b in itertools.pairwise(marks) if b > a]
    figures = {
        "lapsed_lines": before,
        "released": released,
        "seconds": total,
        "batches": len(batches),
        "longest_batch_ms": max(batches, default=0.0) * 1000,
        "adds_meanwhile": len(adds),
        "longest_add_ms": max(adds, default=0.0) * 1000,
        "median_add_ms": statistics.median(adds) * 1000 if adds else 0.0,
    }
    log(
        f"    reservation expiry: {released} of {before} lines in {total:.1f} s, "
        f"{len(batches)} batches (longest {figures['longest_batch_ms']:.0f} ms); "
        f"{len(adds)} adds meanwhile, longest {figures['longest_add_ms']:.0f} ms"
    )
    return figures


# -- 3. the report ----------------------------------------------------------------------


def label(size: int) -> str:
    return f"10^{len(str(size)) - 1}"


def table(results: dict[int, dict[str, Any]]) -> str:
    sizes = sorted(results)
    head = ["route"] + [f"{label(s)} median / p99 ms (stmts)" for s in sizes]
    head.append(f"{label(sizes[-1])} / {label(sizes[0])}")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    names = [n for n in results[sizes[-1]] if n != "reservation expiry"]
    for name in names:
        cells = [name]
        for s in sizes:
            r = results[s].get(name)
            cells.append(
                f"{r['median_ms']:.1f} / {r['p99_ms']:.1f} ({r['statements']})" if r else "-"
            )
        first, last = results[sizes[0]].get(name), results[sizes[-1]].get(name)
        cells.append(f"{last['median_ms'] / first['median_ms']:.2f}x" if first and last else "-")
        lines.append("| " + " | ".join(cells) + " |")
    if any("reservation expiry" not in results[s] for s in sizes):
        return "\n".join(lines)
    lines.append("")
    lines.append("| reservation expiry | " + " | ".join(label(s) for s in sizes) + " |")
    lines.append("|---|" + "---|" * len(sizes))
    for key, text in [
        ("released", "lines released"),
        ("seconds", "seconds in all"),
        ("batches", "batches (transactions)"),
        ("longest_batch_ms", "longest batch, ms"),
        ("adds_meanwhile", "a customer's adds meanwhile"),
        ("median_add_ms", "median add, ms"),
        ("longest_add_ms", "longest add, ms"),
    ]:
        values = [results[s]["reservation expiry"][key] for s in sizes]
        lines.append(
            f"| {text} | "
            + " | ".join(f"{v:.1f}" if isinstance(v, float) else str(v) for v in values)
            + " |"
        )
    return "\n".join(lines)


def plot(results: dict[int, dict[str, Any]], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing (pip install -e '.[bench]'): no plot")
        return False
    sizes = sorted(results)
    names = [n for n in results[sizes[-1]] if n != "reservation expiry"]
    fig, ax = plt.subplots(figsize=(10, 6))
    for name in names:
        ys = [results[s][name]["median_ms"] if name in results[s] else None for s in sizes]
        ax.plot(sizes, ys, marker="o", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("products and orders in the database")
    ax.set_ylabel("median latency per request, ms (in-process)")
    ax.set_title("Each route's median as the data grows (make bench-scale)")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    return True


def write_docs(text: str) -> None:
    doc = ROOT / "docs" / "performance.md"
    body = doc.read_text()
    if BEGIN not in body:
        raise SystemExit(f"docs/performance.md has no {BEGIN} marker")
    head, rest = body.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="3 5 6", help="exponents of 10 (default: 3 5 6)")
    parser.add_argument("--requests", type=int, default=50, help="at most, per route and size")
    parser.add_argument("--seconds", type=float, default=4.0, help="at most, per route and size")
    parser.add_argument("--keep", action="store_true", help="keep the scale_* databases")
    parser.add_argument("--reuse", action="store_true", help="measure databases kept before")
    parser.add_argument("--docs", action="store_true", help="write docs/performance.md")
    parser.add_argument("--no-expiry", action="store_true", help="skip the expiry job's run")
    parser.add_argument("--db-prefix", default="scale_", help="database names (default scale_)")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)  # the child
    args = parser.parse_args()
    if args.measure:
        figures = measure(args.measure, args.requests, args.seconds, not args.no_expiry)
        print(json.dumps(figures), file=sys.stderr)
        return
    started = time.monotonic()
    sizes = [10 ** int(e) for e in args.sizes.split()]
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    results: dict[int, dict[str, Any]] = {}
    builds: dict[int, float] = {}
    try:
        for size in sizes:
            db = f"{args.db_prefix}{len(str(size)) - 1}"
            if not args.reuse:
                log(f"== {db}: {size} products and orders (bulk SQL)")
                builds[size] = build(size, db)
                log(f"   built in {builds[size]:.0f} s")
        for size in sizes:
            db = f"{args.db_prefix}{len(str(size)) - 1}"
            log(f"== measuring {db}")
            env = {**os.environ, "SHOP_DATABASE_URL": f"{PG}/{db}"}
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--measure",
                    str(size),
                    "--requests",
                    str(args.requests),
                    "--seconds",
                    str(args.seconds),
                    *(["--no-expiry"] if args.no_expiry else []),
                ],
                env=env,
                cwd=ROOT,
                stderr=subprocess.PIPE,
                text=True,
                check=False,
            )
            if child.returncode != 0:
                raise SystemExit(f"measuring {db} failed:\n{child.stderr[-3000:]}")
            results[size] = json.loads(child.stderr.strip().splitlines()[-1])
    finally:
        if not args.keep:
            for size in sizes:
                drop(f"{args.db_prefix}{len(str(size)) - 1}")
    elapsed = time.monotonic() - started
    text = table(results)
    note = (
        f"make bench-scale, {datetime.now():%Y-%m-%d %H:%M}, commit {git_head()}: "
        f"{elapsed / 60:.1f} min in all (databases built in "
        + ", ".join(f"{label(s)} {t:.0f} s" for s, t in builds.items())
        + f"); medians over up to {args.requests} requests or {args.seconds:.0f} s per route."
    )
    log("")
    log(text)
    log("")
    log(note)
    (out / f"scale-{stamp}.json").write_text(
        json.dumps({"results": results, "builds": builds, "elapsed": elapsed}, indent=1)
    )
    (out / f"scale-{stamp}.md").write_text(f"{text}\n\n{note}\n")
    plotted = plot(results, ROOT / "docs" / "performance-scale.png")
    if args.docs:
        image = "\n\n![each route's median against the data size](performance-scale.png)"
        write_docs(f"{note}\n\n{text}{image if plotted else ''}")
        log("docs/performance.md: section 'As the data grows' written")


def git_head() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


if __name__ == "__main__":
    main()
