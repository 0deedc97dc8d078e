"""The real server: `shop serve` on a free local port, walked over HTTP as a browser
client would (cookie jar, CSRF header)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.live_server import Browser, LiveShop, live_shop, scratch_database


@pytest.fixture(scope="module")
def server() -> Iterator[LiveShop]:
    from tests.integration.conftest import configured_database_url

    with scratch_database(configured_database_url()) as url, live_shop(url) as shop:
        yield shop


def test_a_customer_walks_the_flow_over_http(server: LiveShop) -> None:
    browser = Browser(server.url)
    try:
        name = f"walker_{uuid.uuid4().hex[:8]}"
        password = "Walk-the-shop-2026"
        assert browser.get("/api/csrf").status_code == 200
        registered = browser.post(
            "/api/register", {"username": name, "password": password, "email": f"{name}@ex.com"}
        )
        assert registered.status_code == 201, registered.text
        before = browser.http.cookies.get("csrftoken")
        login = browser.post("/api/login", {"username": name, "password": password})
        assert login.status_code == 200, login.text
        assert login.json()["user"] == registered.json()["uuid"]
        assert browser.http.cookies.get("csrftoken") != before, "login rotates the CSRF token"

        products = browser.get("/api/products").json()
        assert products["count"] >= 20, "shop serve loads the demo catalog"
        chosen = products["results"][:2]
        for product in chosen:
            added = browser.post("/api/bucket", {"product": product["uuid"], "quantity": 1})
            assert added.status_code == 201, added.text
        bucket = browser.get("/api/bucket/").json()
        assert bucket["count"] == 2

        order = browser.post("/api/orders/", {"payment": "card"})
        assert order.status_code == 201, order.text
        expected = sum(float(p["price"]) for p in chosen)
        assert float(order.json()["sum"]) == pytest.approx(expected)
        detail = browser.get(f"/api/orders/{order.json()['order_uuid']}")
        assert detail.status_code == 200 and detail.json()["status"] == "new"
        assert browser.get("/api/bucket").json()["count"] == 0

        assert browser.get("/api/logout").status_code == 200
        # Part 2: logged out, the browser has a new, empty guest bucket; orders need a login.
        assert browser.get("/api/bucket").json()["count"] == 0
        assert browser.get("/api/orders").status_code == 403
    finally:
        browser.close()


def test_the_server_answers_json_errors_and_health(server: LiveShop) -> None:
    browser = Browser(server.url)
    try:
        assert browser.get("/healthz").json() == {"status": "ok", "database": "ok"}
        missing = browser.get("/no/such/route")
        assert missing.status_code == 404 and missing.json()["code"] == 1004
        forged = browser.http.post("/api/login", json={"username": "x", "password": "y"})
        assert forged.status_code == 403 and forged.json()["code"] == 3003
        assert browser.get("/api/docs").status_code == 200
    finally:
        browser.close()


def test_answers_carry_their_length_instead_of_chunks(server: LiveShop) -> None:
    # A chunked answer costs gunicorn a second write (the closing chunk) and the client
    # the chunk framing, on every request.
    browser = Browser(server.url)
    try:
        for answer in (
            browser.get("/api/products"),
            browser.get("/no/such/route"),
            browser.http.post("/api/login", json={"username": "x", "password": "y"}),
        ):
            assert "chunked" not in answer.headers.get("transfer-encoding", "")
            assert int(answer.headers["content-length"]) == len(answer.content)
    finally:
        browser.close()


def test_a_chunked_body_is_read_and_the_size_limit_applies(server: LiveShop) -> None:
    # Django read a chunked body (no Content-Length) as empty: a valid add answered
    # "field required", and a 1 MB body slipped past the 413.
    browser = Browser(server.url)
    try:
        name = f"chunky_{uuid.uuid4().hex[:8]}"
        password = "Walk-the-shop-2026"
        body = {"username": name, "password": password, "email": f"{name}@ex.com"}
        assert browser.post("/api/register", body).status_code == 201
        assert (
            browser.post("/api/login", {"username": name, "password": password}).status_code == 200
        )
        product = browser.get("/api/products").json()["results"][0]["uuid"]
        headers = {
            "X-CSRFToken": browser.http.cookies["csrftoken"],
            "Content-Type": "application/json",
        }

        def chunked(raw: bytes, size: int) -> httpx.Response:
            parts = iter([raw[i : i + size] for i in range(0, len(raw), size)])
            return browser.http.post("/api/bucket", content=parts, headers=headers)

        valid = json.dumps({"product": product, "quantity": 2}).encode()
        added = chunked(valid, 7)
        assert added.request.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in added.request.headers
        assert added.status_code == 201, added.text
        assert added.json()["quantity"] == 2

        huge = json.dumps({"product": product, "quantity": 1, "pad": "x" * 2**20}).encode()
        too_big = chunked(huge, 64 * 1024)
        assert too_big.status_code == 413, too_big.text
        assert too_big.json()["code"] == 1007
        # The same body with a Content-Length: answered as surely (the body is read
        # and dropped first, so the connection is not reset under a client still sending).
        for _ in range(3):
            sized = browser.http.post("/api/bucket", content=huge, headers=headers)
            assert sized.status_code == 413 and sized.json()["code"] == 1007
        assert browser.get("/api/bucket").json()["count"] == 1, "nothing changed"
    finally:
        browser.close()


def test_the_start_up_line_names_the_address(server: LiveShop) -> None:
    # With a socket per worker (SO_REUSEPORT), gunicorn's arbiter has none to name: the
    # line read "Listening at:  (pid)".
    log = server.log.read_text()
    line = next(row for row in log.splitlines() if "Listening at:" in row)
    assert f"Listening at: {server.url} (" in line, line


def _sockets_on_port(server: LiveShop, state: str) -> int:
    """Sockets on the shop's port in a TCP state of Linux's /proc/net/tcp (0A: listening)."""
    port, count = int(server.url.rsplit(":", 1)[1]), 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as f:
            for row in f.read().splitlines()[1:]:
                cols = row.split()
                count += int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == state
    return count


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")
def test_each_worker_listens_on_a_socket_of_its_own(server: LiveShop) -> None:
    # One shared listening socket let a burst of new keep-alive connections all land on
    # one worker (one GIL) and stay there: each worker has its own (SO_REUSEPORT).
    assert _sockets_on_port(server, "0A") == 2, "one listening socket per worker"
    clients = [httpx.Client(base_url=server.url, timeout=15) for _ in range(32)]
    try:
        answers = [client.get("/api/csrf").status_code for client in clients]
        assert answers == [200] * 32, "every connection is accepted"
    finally:
        for client in clients:
            client.close()


def _serve_on_busy_port(port: int, *, probe: bool = True) -> tuple[int, str]:
    """`shop serve` on a port something already listens on: its exit code and output.
    probe=False stands for a port taken after the start-up check (gunicorn's workers then
    fail to bind). The bound on the wait is what "fails instead of looping" means."""
    code = (
        "import sys; import adapters.django_web.cli as cli\n"
        + ("" if probe else "cli.ensure_port_free = lambda host, port: None\n")
        + "cli.main(sys.argv[1:])"
    )
    with tempfile.TemporaryDirectory() as var_dir:
        env = {
            **os.environ,
            "SHOP_DATABASE_URL": f"sqlite:///{Path(var_dir) / 'shop.sqlite3'}",
            "SHOP_VAR_DIR": var_dir,
            "SHOP_SECRET_KEY": "busy-port-" + uuid.uuid4().hex,
        }
        process = subprocess.Popen(
            [sys.executable, "-c", code, "serve", "--port", str(port), "--workers", "2"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            output, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            pytest.fail(f"shop serve on a busy port did not stop: {output.decode()[-2000:]}")
        return process.returncode, output.decode()


def test_a_port_held_by_another_program_stops_the_start() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        code, output = _serve_on_busy_port(port)
    assert code != 0
    assert f"127.0.0.1:{port} is in use" in output
    assert "serving on" not in output, "nothing was started"


def test_a_port_held_by_another_shop_is_not_shared(server: LiveShop) -> None:
    # Both would listen with SO_REUSEPORT, and the kernel would share the port out.
    port = int(server.url.rsplit(":", 1)[1])
    code, output = _serve_on_busy_port(port)
    assert code != 0
    assert f"127.0.0.1:{port} is in use" in output
    assert httpx.get(server.url + "/healthz", timeout=15).status_code == 200
    if Path("/proc/net/tcp").exists():
        assert _sockets_on_port(server, "0A") == 2, "only the first shop's workers listen"


def test_workers_that_cannot_bind_stop_the_server_instead_of_respawning() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        code, output = _serve_on_busy_port(port, probe=False)
    assert code != 0
    assert f"127.0.0.1:{port} is in use" in output


def test_shop_serve_runs_a_worker_that_writes_the_emails_into_var_mail() -> None:
    """`shop serve` alone (no --no-worker): its background worker sends the order
    confirmation, by default as a file in <SHOP_VAR_DIR>/mail, and stops with it."""
    import time

    from tests.integration.conftest import configured_database_url

    with scratch_database(configured_database_url()) as url, live_shop(url, worker=True) as shop:
        browser = Browser(shop.url)
        try:
            name = f"mailed_{uuid.uuid4().hex[:8]}"
            body = {"username": name, "password": "Mail-the-shop-2026", "email": f"{name}@ex.com"}
            assert browser.post("/api/register", body).status_code == 201
            assert browser.post("/api/login", body).status_code == 200
            product = browser.get("/api/products").json()["results"][0]
            assert (
                browser.post("/api/bucket", {"product": product["uuid"], "quantity": 1}).status_code
                == 201
            )
            order = browser.post("/api/orders", {"payment": "transfer"}).json()
        finally:
            browser.close()
        mail = shop.var_dir / "mail"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list(mail.glob("*.log")):
            time.sleep(0.5)
        files = list(mail.glob("*.log"))
        assert files, f"no e-mail in {mail}: {shop.log.read_text()[-2000:]}"
        text = "".join(f.read_text() for f in files)
        assert f"To: {name}@ex.com" in text and order["order_uuid"] in text
        pid = shop.process.pid
        # The background worker runs at the lowest CPU priority: the web workers first.
        found = subprocess.run(["pgrep", "-P", str(pid), "-f", "cli worker"], capture_output=True)
        (worker,) = [int(p) for p in found.stdout.split()]
        server_nice = os.getpriority(os.PRIO_PROCESS, pid)
        assert os.getpriority(os.PRIO_PROCESS, worker) == min(19, server_nice + 19)
        # ...and, on Linux, only on a core the web workers leave idle (SCHED_IDLE).
        if hasattr(os, "SCHED_IDLE"):
            assert os.sched_getscheduler(worker) == os.SCHED_IDLE
    assert subprocess.run(["pgrep", "-P", str(pid)], capture_output=True).stdout == b""
