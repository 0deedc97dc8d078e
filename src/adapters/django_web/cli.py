"""The `shop` command: `shop serve` runs the API, `shop manage ...` any Django command."""

from __future__ import annotations

import argparse
import os
import sys


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adapters.django_web.settings")
    import django

    django.setup()


def default_workers() -> int:
    # Measured in docs/performance.md: one worker per core, each with threads.
    return max(2, os.cpu_count() or 1)


def serve(host: str, port: int, workers: int, threads: int) -> None:
    _setup()
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    # A bad payment provider name or credential stops the start here (system check),
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

        def load(self) -> object:
            from adapters.django_web.wsgi import application

            return application

    print(f"shop: serving on http://{host}:{port} ({workers} workers x {threads} threads)")
    Server().run()


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
    sub.add_parser("manage", help="run a Django management command")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.host, args.port, args.workers, args.threads)


if __name__ == "__main__":
    main()
