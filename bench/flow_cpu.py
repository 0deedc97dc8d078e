"""The Python CPU of one checkout flow, in-process: a yardstick that a busy machine
does not move much (the load benchmark's ratio moves by 30 % with the machine's load).

Drives the benchmark's flow (bench/flow_load.py's ``ShopAdapter``: the catalog, three
bucket adds, an order, a card payment started and confirmed) N times through Django's
test client: the real middleware, views, use cases and PostgreSQL, no job worker (the
flow's jobs wait in the queue). Reports per flow: the CPU milliseconds of this process
(median and mean of the flows, and per step), the SQL statements sent, and with
``--profile FILE`` a cProfile dump of the measured flows.

The figure a busy machine cannot blur: instructions per flow, counted by callgrind
over the measured flows only (the set-up runs uninstrumented):

    SHOP_DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_cpu \\
    SHOP_CACHE_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/flow_cpu.py --flows 300
    FLOW_CPU_CALLGRIND=1 valgrind --tool=callgrind --instr-atstart=no \\
        --callgrind-out-file=/tmp/cg.%p .venv/bin/python bench/flow_cpu.py --flows 40
    # "Collected : N" at the end: N / 40 instructions per flow

``--src DIR`` measures another checkout's code (its own venv runs it, e.g. an old
commit's worktree) with this script. The database is migrated; its rows are left behind.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flows", type=int, default=300, help="measured flows")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--customers", type=int, default=16)
    parser.add_argument("--src", default=str(Path(__file__).resolve().parents[1] / "src"))
    parser.add_argument("--profile", help="write a cProfile dump of the measured flows here")
    parser.add_argument(
        "--jobs",
        action="store_true",
        help="then run the jobs the measured flows queued (as `shop worker` does) and "
        "report their CPU per flow too (the worker shares the benchmark's machine)",
    )
    parser.add_argument("--jobs-profile", help="with --jobs: a cProfile dump of the jobs' run")
    parser.add_argument(
        "--base-worker",
        action="store_true",
        help="with --jobs: run them with django-tasks-db's own worker loop (for comparison)",
    )
    args = parser.parse_args()

    sys.path.insert(0, args.src)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adapters.django_web.settings")
    os.environ.setdefault("SHOP_ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)  # for SHOP_CACHE_URL=db
    from adapters.django_web.containers import use_cases

    create = use_cases().create_product()
    products = [
        str(create(name=f"cpu {i}", price=Decimal("9.99") + i, stock=10**8).id) for i in range(24)
    ]
    # Logins are not part of the flow: a fast hasher keeps the set-up short.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    clients = []
    for _ in range(args.customers):
        name = f"cpu{uuid.uuid4().hex[:10]}"
        client = Client()
        pw = "Bench-pass-2026"
        body = {"username": name, "password": pw, "email": f"{name}@bench.invalid"}
        assert client.post("/api/register", body, content_type="application/json").status_code in (
            200,
            201,
        )
        answer = client.post(
            "/api/login", {"username": name, "password": pw}, content_type="application/json"
        )
        assert answer.status_code == 200, answer.content
        clients.append(client)

    count = {"n": 0}

    def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        count["n"] += 1
        return execute(sql, params, many, context)

    steps: dict[str, list[float]] = {}

    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    only = os.environ.get("FLOW_CPU_STEP")  # count this step alone under callgrind

    def step(name: str, call: Any, *a: Any, **kw: Any) -> Any:
        if only == name and measuring:
            callgrind("on", alone=True)
            if profiler:
                profiler.enable()
        start = time.process_time()
        response = call(*a, **kw)
        if only == name and measuring:
            if profiler:
                profiler.disable()
            callgrind("off", alone=True)
        steps.setdefault(name, []).append((time.process_time() - start) * 1000)
        assert response.status_code < 400, (name, response.status_code, response.content)
        return response.json()

    def flow(client: Client, k: int) -> None:
        step("products", client.get, "/api/products")
        for j in range(3):
            pid = products[(k * 3 + j) % len(products)]
            body = {"product": pid, "quantity": 1}
            step("add", client.post, "/api/bucket", body, content_type="application/json")
        order = step(
            "order",
            client.post,
            "/api/orders",
            {"payment": "card"},
            content_type="application/json",
        )
        path = f"/api/orders/{order['order_uuid']}/payment"
        step("pay", client.post, path, {}, content_type="application/json")
        body = {"card_token": "pm_card_visa"}
        step("confirm", client.post, path + "/confirm", body, content_type="application/json")

    measuring = False
    for k in range(args.warmup):
        flow(clients[k % len(clients)], k)
    steps.clear()
    cpu: list[float] = []
    sql: list[int] = []
    measuring = True
    callgrind("on")
    with connection.execute_wrapper(counter):
        for k in range(args.flows):
            count["n"] = 0
            if profiler and not only:
                profiler.enable()
            start = time.process_time()
            flow(clients[k % len(clients)], args.warmup + k)
            cpu.append((time.process_time() - start) * 1000)
            if profiler and not only:
                profiler.disable()
            sql.append(count["n"])
    callgrind("off")
    if profiler:
        profiler.dump_stats(args.profile)
    jobs = run_queued_jobs(args.jobs_profile, args.base_worker) if args.jobs else None

    print(f"{args.flows} checkout flows, one process, {connection.vendor}, src {args.src}")
    print(
        f"CPU ms per flow: median {statistics.median(cpu):.2f}, mean {statistics.mean(cpu):.2f}"
        f"; SQL statements per flow {statistics.mean(sql):.2f}"
    )
    print(
        "per step, CPU ms median: "
        + ", ".join(f"{name} {statistics.median(v):.2f}" for name, v in steps.items())
    )
    if jobs is not None:
        flows = args.flows + args.warmup
        print(
            f"jobs the flows queued (fan-out, e-mails), per flow: CPU ms {jobs[0] / flows:.2f}"
            f", SQL statements {jobs[1] / flows:.2f}"
        )


def callgrind(state: str, *, alone: bool = False) -> None:
    """Under ``valgrind --tool=callgrind --instr-atstart=no``, count the measured flows
    only (FLOW_CPU_CALLGRIND=1), or one step of them (FLOW_CPU_STEP=order, say):
    callgrind_control answers once callgrind has switched."""
    if os.environ.get("FLOW_CPU_CALLGRIND") and alone == bool(os.environ.get("FLOW_CPU_STEP")):
        subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], check=True)


def run_queued_jobs(profile: str | None = None, base: bool = False) -> tuple[float, int]:
    """Every ready job run as `shop worker` runs it (its loop, batch mode: until none is
    left); the CPU milliseconds it took and the SQL statements it sent."""
    from django_tasks_db.management.commands.db_worker import Worker

    from adapters.jobs.claiming import ShopWorker

    worker = (Worker if base else ShopWorker)(
        queue_names=["default"], interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id="flow-cpu", excluded_queue_names=[],
    )  # fmt: skip
    from django.db import connection

    count = {"n": 0}

    def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        count["n"] += 1
        return execute(sql, params, many, context)

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    start = time.process_time()
    with connection.execute_wrapper(counter):
        worker.run()
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    return (time.process_time() - start) * 1000, count["n"]


if __name__ == "__main__":
    main()
