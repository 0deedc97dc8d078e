"""Run the real `shop serve` (gunicorn) on a free 127.0.0.1 port for a test, on a
database of its own, and stop it (and only it) afterwards."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx


def redis_url(db: int) -> str:
    """A Redis database for a test: on SHOP_TEST_REDIS_URL's server (so that suites
    running side by side can each have their own server), else the machine's one."""
    base = os.environ.get("SHOP_TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
    return f"{base}/{db}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def scratch_database(base_url: str | None) -> Iterator[str]:
    """A new, empty database: a PostgreSQL database on the given server, else SQLite."""
    if not base_url or not base_url.startswith(("postgres://", "postgresql://")):
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'shop.sqlite3'}"
        return
    import psycopg

    name = f"shop_live_{uuid.uuid4().hex[:10]}"
    admin_url = base_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class LiveShop:
    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path):
        self.process, self.url, self.log = process, url, log
        self.var_dir = log.parent


@contextlib.contextmanager
def live_shop(
    database_url: str,
    *,
    workers: int = 2,
    threads: int = 2,
    env: dict[str, str] | None = None,
    startup_timeout: float = 60.0,
    worker: bool = False,
) -> Iterator[LiveShop]:
    """``worker``: also `shop serve`'s background job worker (off unless a test needs
    it: its polling would only add writes to the other tests' databases)."""
    port = free_port()
    with tempfile.TemporaryDirectory() as var_dir:
        log_path = Path(var_dir) / "server.log"
        full_env = {
            **os.environ,
            "SHOP_DATABASE_URL": database_url,
            "SHOP_VAR_DIR": var_dir,
            "SHOP_SECRET_KEY": "live-test-" + uuid.uuid4().hex,
            "SHOP_INSECURE_FAST_HASHER": "1",
            "SHOP_PUBLIC_URL": f"http://127.0.0.1:{port}",
            **(env or {}),
        }
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "adapters.django_web.cli", "serve", "--port", str(port),
                 "--workers", str(workers), "--threads", str(threads),
                 *([] if worker else ["--no-worker"])],
                env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(process, url, startup_timeout, log_path)
            yield LiveShop(process, url, log_path)
        finally:
            _stop(process)


def _wait_until_up(process: subprocess.Popen[bytes], url: str, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"shop serve exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"shop serve did not start in {timeout}s: {log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # gunicorn's master stops its workers
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


class Browser:
    """A client as a browser would be: a cookie jar and the CSRF header from the cookie."""

    def __init__(self, base_url: str):
        # Idle connections are dropped before gunicorn's 2-second keep-alive closes them
        # from its side, so a request never goes out on a connection being closed.
        self.http = httpx.Client(
            base_url=base_url, timeout=15, limits=httpx.Limits(keepalive_expiry=1.0)
        )

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, json: object = None, **kw: object) -> httpx.Response:
        headers = dict(kw.pop("headers", {}) or {})  # type: ignore[call-overload]
        if method not in ("GET", "HEAD"):
            token = self.http.cookies.get("csrftoken")
            if token is None:
                self.http.get("/api/csrf")
                token = self.http.cookies.get("csrftoken")
            headers["X-CSRFToken"] = token or ""
        return self.http.request(method, path, json=json, headers=headers, **kw)  # type: ignore[arg-type]

    def get(self, path: str, **kw: object) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: object = None, **kw: object) -> httpx.Response:
        return self.request("POST", path, json, **kw)
