"""The `shop` command: `shop serve` runs the API (and one background worker unless
`--no-worker`), `shop worker` a worker, `shop manage ...` any Django command."""

from __future__ import annotations

import argparse
import errno
import os
import socket
import subprocess
import sys
from typing import Any


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adapters.django_web.settings")
    import django

    django.setup()


def default_workers() -> int:
    # Measured in docs/performance.md: one worker per core, each with threads.
    return max(2, os.cpu_count() or 1)


def ensure_port_free(host: str, port: int) -> None:
    """Stops the start (exit 2, naming the address) when host:port cannot be listened on.

    The workers bind with SO_REUSEPORT, so a second `shop serve` would silently share the
    port with the first, and a port held by another program made every worker fail and
    be restarted forever. A bind without SO_REUSEPORT fails if any socket listens there,
    reuse-port or not; SO_REUSEADDR only lets it past connections left in TIME_WAIT."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
            probe.listen(1)
    except OSError as error:
        why = (
            "is in use (by another program or another `shop serve`); choose another with --port"
            if error.errno == errno.EADDRINUSE
            else f"cannot be listened on: {error.strerror or error}"
        )
        print(f"shop: not starting: {host}:{port} {why}", file=sys.stderr)
        raise SystemExit(2) from None


def _halt_if_unbound(arbiter: Any, worker: Any) -> None:
    """gunicorn's `worker_exit` hook, in the worker: a worker that could not bind its
    socket (the port taken after ensure_port_free) exits with gunicorn's boot-error code,
    so the master stops with it instead of starting new workers that fail the same way."""
    if not worker.booted and not worker.sockets:
        where = ", ".join(f"{a[0]}:{a[1]}" for a in arbiter.cfg.address)
        print(f"shop: stopping: {where} is in use; choose another with --port", file=sys.stderr)
        os._exit(arbiter.WORKER_BOOT_ERROR)


#: The CPU priority `shop serve` lowers its job worker by: the web workers beside it on
#: the same cores come first (measured in docs/performance.md); jobs wait, never lost.
BACKGROUND_NICE = 19


def start_worker(nice: int = 0, idle: bool = False) -> subprocess.Popen[bytes]:
    """A `shop worker` beside the server, in its process group (stopped with it)."""
    argv = [sys.executable, "-m", "adapters.django_web.cli", "worker", "--nice", str(nice)]
    return subprocess.Popen(argv + (["--idle"] if idle else []))


def run_when_idle() -> bool:
    """Put this process in Linux's SCHED_IDLE class: it runs only on a core nothing else
    wants. Lowest nice is not enough: a nice-19 task may finish its time slice before a
    web worker that a database reply has just woken gets the core back, while a
    SCHED_IDLE task gives it up at once. False where the platform has no such class."""
    policy = getattr(os, "SCHED_IDLE", None)
    if policy is None or not hasattr(os, "sched_setscheduler"):
        return False
    try:
        os.sched_setscheduler(0, policy, os.sched_param(0))
    except OSError:  # e.g. a container that forbids it: the nice level still applies
        return False
    return True


def stop_worker(worker: subprocess.Popen[bytes] | None) -> None:
    if worker is None or worker.poll() is not None:
        return
    worker.terminate()  # the worker finishes the job it is running, then exits
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=5)


def serve(
    host: str,
    port: int,
    workers: int,
    threads: int,
    *,
    with_worker: bool = True,
    worker_nice: int = BACKGROUND_NICE,
    worker_idle: bool = True,
) -> None:
    ensure_port_free(host, port)  # before the migrations: a busy port fails in a moment
    _setup()
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from django.db import connections
    from gunicorn.app.base import BaseApplication
    from gunicorn.errors import HaltServer

    # A bad configuration (a payment provider's name or credential, SHOP_BUCKET_MERGE,
    # SHOP_COUNTRY) stops the start here (system checks),
    # with the check's own message rather than a traceback.
    try:
        call_command("check", fail_level="ERROR")
    except SystemCheckError as error:
        print(f"shop: not starting: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("seed_demo")
    call_command("ensure_admin")
    connections.close_all()  # never share a connection with forked workers
    ensure_port_free(host, port)  # again: the migrations took a while

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread" if threads > 1 else "sync")
            # Every worker listens on a socket of its own (SO_REUSEPORT; gunicorn opens
            # them in the workers), and the kernel spreads new connections over them.
            # With one shared socket, a burst of keep-alive connections all went to one
            # of two workers here and stayed there: one GIL did the work of both.
            self.cfg.set("reuse_port", True)
            # ...so the arbiter has no socket to name: this logger names the address.
            self.cfg.set("logger_class", "adapters.django_web.server_log.ShopLogger")
            self.cfg.set("accesslog", os.environ.get("SHOP_ACCESS_LOG") or None)
            self.cfg.set("graceful_timeout", 10)
            self.cfg.set("timeout", 60)
            # gunicorn's control socket is one path per user: several shops would collide
            self.cfg.set("control_socket_disable", True)
            self.cfg.set("worker_exit", _halt_if_unbound)

        def load(self) -> object:
            from adapters.django_web.wsgi import application

            return application

    job_worker = start_worker(worker_nice, worker_idle) if with_worker else None
    print(f"shop: serving on http://{host}:{port} ({workers} workers x {threads} threads)")
    try:
        Server().run()
    except HaltServer as halt:  # another worker failing the same way, reaped while stopping
        print(f"shop: stopped: {halt.reason}", file=sys.stderr)
        raise SystemExit(halt.exit_status) from None
    finally:
        stop_worker(job_worker)


def worker(interval: float, nice: int = 0, worker_id: str = "", idle: bool = False) -> None:
    if nice:
        os.nice(nice)
    if idle:
        run_when_idle()  # before any thread starts: the scheduler thread inherits it
    _setup()
    from adapters.django_web.containers import run_worker

    run_worker(interval, worker_id)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["manage"]:
        _setup()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["shop manage", *argv[1:]])
        return
    parser = argparse.ArgumentParser(prog="shop")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="migrate, load the demo catalog, serve the API")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, default=default_workers())
    s.add_argument("--threads", type=int, default=4)
    s.add_argument(
        "--no-worker", action="store_true", help="run no background job worker beside the server"
    )
    s.add_argument(
        "--worker-nice",
        type=int,
        default=BACKGROUND_NICE,
        help=f"lower the background worker's CPU priority by N (default {BACKGROUND_NICE})",
    )
    s.add_argument(
        "--worker-not-idle",
        action="store_true",
        help="let the background worker compete for the cores (default: it runs only on a "
        "core the web workers leave idle, Linux's SCHED_IDLE)",
    )
    w = sub.add_parser("worker", help="run a job worker (e-mails, webhooks, scheduled work)")
    w.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
    w.add_argument("--nice", type=int, default=0, help="lower the worker's CPU priority by N")
    w.add_argument("--worker-id", default="", help="the name its jobs record (default: host-pid)")
    w.add_argument(
        "--idle",
        action="store_true",
        help="run only on a core nothing else wants (Linux SCHED_IDLE; elsewhere ignored)",
    )
    sub.add_parser("manage", help="run a Django management command")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(
            args.host,
            args.port,
            args.workers,
            args.threads,
            with_worker=not args.no_worker,
            worker_nice=args.worker_nice,
            worker_idle=not args.worker_not_idle,
        )
    elif args.command == "worker":
        worker(args.interval, args.nice, args.worker_id, args.idle)


if __name__ == "__main__":
    main()
