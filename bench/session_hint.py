"""Does the ``shop_uid`` hint cookie pay? One process, the same run, alternating.

Two Django test clients share one logged-in session in Redis: one goes through the
production middleware with the hint (session and user entry in one MGET), the other
through plain ``cached_db`` sessions without the hint middleware (a GET for the
session, then the user backend's MGET of entry and stamp). Rounds alternate between
them so that the machine's load falls on both alike. Reported per request: CPU ms of
this process, wall ms, Redis round trips and SQL statements.

    SHOP_CACHE_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/session_hint.py -n 2000
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="requests per variant")
    parser.add_argument("--rounds", type=int, default=20, help="alternations")
    parser.add_argument("--path", default="/api/bucket")
    args = parser.parse_args()

    os.environ.setdefault("SHOP_CACHE_URL", "redis://127.0.0.1:6379/5")
    tmp = tempfile.mkdtemp(prefix="shop-hint-")
    os.environ.setdefault("SHOP_DATABASE_URL", f"sqlite:///{tmp}/shop.sqlite3")
    os.environ.setdefault("SHOP_VAR_DIR", tmp)
    os.environ["DJANGO_SETTINGS_MODULE"] = "adapters.django_web.settings"
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

    import django

    django.setup()
    import redis.connection
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    if not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        sys.exit("needs SHOP_CACHE_URL=redis://...: the hint exists only with Redis")
    call_command("migrate", verbosity=0)
    cache.clear()
    user = get_user_model().objects.create_user(username=f"hint{os.getpid()}", password="x")

    trips = 0
    original = redis.connection.AbstractConnection.send_packed_command

    def counted(self: Any, *a: Any, **kw: Any) -> Any:
        nonlocal trips
        trips += 1
        return original(self, *a, **kw)

    redis.connection.AbstractConnection.send_packed_command = counted  # type: ignore[method-assign]

    hint_middleware = "adapters.django_web.sessions.ReadAheadMiddleware"
    with_hint = Client(SERVER_NAME="127.0.0.1")
    with_hint.force_login(user)
    with_hint.cookies["shop_uid"] = str(user.pk)
    plain_middleware = [m for m in settings.MIDDLEWARE if m != hint_middleware]
    without_hint = Client(SERVER_NAME="127.0.0.1")
    without_hint.cookies = with_hint.cookies.__class__(with_hint.cookies)
    without_hint.cookies.pop("shop_uid")
    # Each client's handler builds its middleware (and session engine) at its first
    # request: build the plain one under the plain settings.
    with override_settings(
        MIDDLEWARE=plain_middleware,
        SESSION_ENGINE="django.contrib.sessions.backends.cached_db",
    ):
        assert without_hint.get(args.path).status_code == 200
    variants = [("no hint", without_hint)]
    if hint_middleware in settings.MIDDLEWARE:
        assert with_hint.get(args.path).status_code == 200
        variants.append(("hint", with_hint))
    else:  # the hint was removed on these figures (/work/notes/12b-figures.md)
        print("no hint middleware at this commit: measuring what remains only")

    per = max(1, args.n // args.rounds)
    results: dict[str, dict[str, list[float]]] = {
        name: {"cpu": [], "wall": [], "trips": [], "sql": []} for name, _ in variants
    }
    for round_ in range(args.rounds):
        order = variants if round_ % 2 else variants[::-1]
        for name, client in order:
            trips = 0
            with CaptureQueriesContext(connection) as queries:
                cpu0, wall0 = time.process_time(), time.perf_counter()
                for _ in range(per):
                    response = client.get(args.path)
                    assert response.status_code == 200, response.content
                cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            r = results[name]
            r["cpu"].append(cpu * 1000 / per)
            r["wall"].append(wall * 1000 / per)
            r["trips"].append(trips / per)
            r["sql"].append(len(queries) / per)

    print(f"GET {args.path}, {per * args.rounds} requests per variant, {args.rounds} rounds")
    print(
        "| variant | CPU ms/req (median of rounds) | wall ms/req | Redis round trips/req | SQL/req |"
    )
    print("|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {statistics.median(r['cpu']):.3f} | {statistics.median(r['wall']):.3f} "
            f"| {statistics.mean(r['trips']):.2f} | {statistics.mean(r['sql']):.2f} |"
        )
    cache.clear()


if __name__ == "__main__":
    main()
