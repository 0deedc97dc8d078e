"""`shop worker`: django-tasks-db's worker (rows claimed with SELECT ... FOR UPDATE
SKIP LOCKED on PostgreSQL, a batch per statement: claiming.py) plus a scheduler thread. Any
number may run."""

from __future__ import annotations

import logging
import os
import socket
import threading

from django.utils.crypto import get_random_string

from adapters.jobs import scheduler


def run(*, interval: float = 1.0, schedule_every: float = 5.0, worker_id: str = "") -> None:
    from adapters.jobs.claiming import ShopWorker

    logging.getLogger("django_tasks_db").setLevel(logging.INFO)
    worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{get_random_string(6)}"
    stop = threading.Event()
    thread = threading.Thread(
        target=scheduler.loop, args=(worker_id, stop, schedule_every), daemon=True
    )
    thread.start()
    worker = ShopWorker(
        queue_names=["default"],
        interval=interval,
        batch=False,
        backend_name="default",
        startup_delay=True,
        max_tasks=None,
        worker_id=worker_id[:64],
        excluded_queue_names=[],
    )
    worker.configure_signals()
    print(f"shop: worker {worker_id} started", flush=True)
    try:
        worker.run()
    finally:
        stop.set()
