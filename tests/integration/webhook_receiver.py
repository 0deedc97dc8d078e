"""A tiny HTTP receiver on 127.0.0.1 for webhook tests: it answers from a script
("ok", "500", "redirect", "slow", "hold") and records every request it got."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    def __init__(self) -> None:
        self.script: list[str] = []
        self.requests: list[dict[str, Any]] = []
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.in_flight: dict[str, int] = {}
        self.most_at_once: dict[str, int] = {}
        self.lock = threading.Lock()
        self.url = ""
        self.slow_seconds = 2.0

    def next_action(self) -> str:
        with self.lock:
            return self.script.pop(0) if self.script else "ok"

    def ids(self) -> list[str]:
        return [r["headers"]["webhook-id"] for r in self.requests if r["path"] != "/elsewhere"]


@contextlib.contextmanager
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            msg_id = headers.get("webhook-id", "")
            with state.lock:
                state.requests.append({"path": self.path, "headers": headers, "body": body})
                state.in_flight[msg_id] = state.in_flight.get(msg_id, 0) + 1
                state.most_at_once[msg_id] = max(
                    state.most_at_once.get(msg_id, 0), state.in_flight[msg_id]
                )
            try:
                action = state.next_action()
                state.arrived.set()
                if action == "hold":  # until the test lets go (its worker is killed meanwhile)
                    state.release.wait(60)
                elif action == "slow":
                    time.sleep(state.slow_seconds)
                if action == "500":
                    self.send_response(500)
                elif action == "redirect":
                    self.send_response(302)
                    self.send_header("Location", f"{state.url}/elsewhere")
                else:
                    self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender went away
            finally:
                with state.lock:
                    state.in_flight[msg_id] -= 1

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
