#!/usr/bin/env python3
# Copied from the project's shared benchmark kit (shared/bench/flow_load.py, the load
# driver used to measure the shop against "the floor"), so that `make bench` works from
# a fresh clone. Local change, marked "bench/ addition": --progress (a live progress
# line on stderr while a run goes on). Everything else is verbatim; ruff skips this file.
"""flow_load.py - closed-loop load driver for session-authenticated Django shop APIs.

N simulated customers (asyncio + aiohttp), each with its own cookie jar, log in ONCE
(untimed for the flow figures, reported separately as "login"), then repeat a
checkout flow against BASE_URL for a fixed warm-up + measured window.  Every run is
bounded by --duration/--warmup/--grace (time) and --max-requests (count).

Modes
  flow   (default) N customers loop the adapter's flow; per-step + whole-flow stats
  login  N customers loop "fresh cookie jar -> prepare (csrf) -> login": login throughput
  count  1 customer runs --flows flows sequentially and counts DB statements per step,
         from the X-DB-Queries response header (bench projects) and/or from a PostgreSQL
         log with log_statement=all (--pg-log; see count_queries.sh)

Adapters (endpoints differ per system) are small classes below; add one for a new
system or load one from a file with --adapter path/to/file.py:ClassName.

Only loopback targets are accepted (127.0.0.0/8, localhost, ::1).
"""
from __future__ import annotations

import argparse
import asyncio
import importlib.util
import ipaddress
import json
import os
import random
import re
import statistics
import sys
import time
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class StepError(Exception):
    def __init__(self, step, kind, detail=""):
        super().__init__(f"{step}: {kind} {detail}")
        self.step, self.kind, self.detail = step, kind, detail


# --------------------------------------------------------------------------- stats
class Recorder:
    """Collects samples; only requests/flows that *complete* inside the window count."""

    def __init__(self):
        self.t_start = None  # window start (monotonic)
        self.t_end = None  # window end
        self.steps: dict[str, list[float]] = {}
        self.step_errors: dict[str, dict[str, int]] = {}
        self.step_queries: dict[str, list[int]] = {}  # X-DB-Queries header
        self.step_pg: dict[str, list[int]] = {}  # statements seen in the PG log
        self.flows: list[float] = []
        self.flow_failures: dict[str, int] = {}
        self.requests_sent = 0
        self.max_requests = None
        self.stop = asyncio.Event()

    def in_window(self, t):
        return self.t_start is not None and self.t_start <= t and (self.t_end is None or t <= self.t_end)

    def add_step(self, step, t0, t1):
        if self.in_window(t1):
            self.steps.setdefault(step, []).append(t1 - t0)

    def add_error(self, step, kind, t1):
        if self.in_window(t1):
            d = self.step_errors.setdefault(step, {})
            d[kind] = d.get(kind, 0) + 1

    def add_flow(self, t0, t1):
        if self.in_window(t1):
            self.flows.append(t1 - t0)

    def add_flow_failure(self, where, t1):
        if self.in_window(t1):
            self.flow_failures[where] = self.flow_failures.get(where, 0) + 1


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    k = max(0, min(len(sorted_vals) - 1, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


def summarize(samples, window_s):
    s = sorted(samples)
    ms = lambda v: None if v is None else round(v * 1000, 2)  # noqa: E731
    return {
        "count": len(s),
        "per_s": round(len(s) / window_s, 2) if window_s > 0 else None,
        "mean_ms": ms(sum(s) / len(s)) if s else None,
        "p50_ms": ms(pct(s, 50)),
        "p95_ms": ms(pct(s, 95)),
        "p99_ms": ms(pct(s, 99)),
        "max_ms": ms(s[-1]) if s else None,
    }


def cpu_times():
    try:
        with open("/proc/stat") as f:
            vals = [int(x) for x in f.readline().split()[1:]]
        idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
        return sum(vals), idle
    except OSError:
        return None


# --------------------------------------------------------------------------- customer
class Customer:
    """One simulated customer: own aiohttp session + cookie jar; CSRF handled here."""

    def __init__(self, idx, base_url, rec: Recorder, args, adapter):
        self.idx = idx
        self.base = base_url.rstrip("/")
        self.rec = rec
        self.args = args
        self.adapter = adapter
        self.username = f"{args.user_prefix}{idx}"
        self.password = args.password
        self.rng = random.Random(args.seed * 100003 + idx)
        self.state: dict = {}  # adapter scratch space (product ids, basket url, ...)
        self.pg_log = None
        self._new_session()

    def _new_session(self):
        self.jar = aiohttp.CookieJar(unsafe=True)  # unsafe=True: accept cookies for 127.0.0.1
        self.http = aiohttp.ClientSession(
            cookie_jar=self.jar,
            timeout=aiohttp.ClientTimeout(total=self.args.timeout),
            connector=aiohttp.TCPConnector(limit=1, ttl_dns_cache=None),
            headers={"Accept": "application/json"},
        )

    async def reset_session(self):
        await self.http.close()
        self._new_session()
        self.state.clear()

    async def close(self):
        await self.http.close()

    def cookie(self, name):
        c = self.jar.filter_cookies(URL(self.base))
        return c[name].value if name in c else None

    def url(self, path):
        return path if path.startswith("http") else self.base + path

    async def request(self, step, method, path, json_body=None, expect=(200, 201), parse=True):
        """Send one request; record latency under `step`; return parsed JSON (or text)."""
        rec = self.rec
        if rec.max_requests is not None and rec.requests_sent >= rec.max_requests:
            rec.stop.set()
            raise StepError(step, "max_requests")
        rec.requests_sent += 1
        headers = {}
        if method in UNSAFE_METHODS:
            tok = self.cookie(self.adapter.csrf_cookie)
            if tok:
                headers[self.adapter.csrf_header] = tok
        pg_before = self.pg_log.tell_size() if self.pg_log else None
        t0 = time.monotonic()
        try:
            async with self.http.request(method, self.url(path), json=json_body, headers=headers) as r:
                body = await r.read()
                status = r.status
                qhdr = r.headers.get("X-DB-Queries")
        except asyncio.TimeoutError:
            t1 = time.monotonic()
            rec.add_error(step, "timeout", t1)
            raise StepError(step, "timeout")
        except aiohttp.ClientError as e:
            t1 = time.monotonic()
            rec.add_error(step, type(e).__name__, t1)
            raise StepError(step, type(e).__name__, str(e))
        t1 = time.monotonic()
        if status not in expect:
            rec.add_error(step, f"http_{status}", t1)
            raise StepError(step, f"http_{status}", body[:300].decode("utf-8", "replace"))
        rec.add_step(step, t0, t1)
        if qhdr is not None and self.args.mode == "count":
            rec.step_queries.setdefault(step, []).append(int(qhdr))
        if self.pg_log is not None:
            rec.step_pg.setdefault(step, []).append(self.pg_log.count_since(pg_before))
            if self.args.pg_dump and rec.in_window(t1):
                os.makedirs(self.args.pg_dump, exist_ok=True)
                with open(os.path.join(self.args.pg_dump, f"{step}.log"), "ab") as f:
                    f.write(f"-- {method} {path} -> {status}\n".encode() + self.pg_log.segment(pg_before) + b"\n")
        if not parse or not body:
            return None
        try:
            return json.loads(body)
        except ValueError:
            return body.decode("utf-8", "replace")


class PgLog:
    """Counts statements a PostgreSQL server logged (log_statement=all) since an offset."""

    PAT = re.compile(rb"LOG:  (statement|execute [^:]*):")

    def __init__(self, path):
        self.path = path

    def tell_size(self):
        return os.path.getsize(self.path)

    def segment(self, offset):
        with open(self.path, "rb") as f:
            f.seek(offset)
            return f.read()

    def count_since(self, offset, settle=0.0):
        if settle:
            time.sleep(settle)
        with open(self.path, "rb") as f:
            f.seek(offset)
            data = f.read()
        return sum(1 for line in data.splitlines() if self.PAT.search(line))


# --------------------------------------------------------------------------- adapters
def items(payload):
    """Product list payloads: a bare list, or a paginated dict with 'results'."""
    if isinstance(payload, dict):
        for key in ("results", "items", "products", "data"):
            if isinstance(payload.get(key), list):
                return payload[key]
        return []
    return payload if isinstance(payload, list) else []


class Adapter:
    """Base adapter.  Subclass per system; flows are methods named flow_<name>."""

    name = "base"
    csrf_cookie = "csrftoken"
    csrf_header = "X-CSRFToken"
    lines_per_order = 3

    def __init__(self, args):
        self.args = args

    async def prepare(self, cu: Customer):
        """Untimed setup before login (typically: obtain the csrftoken cookie)."""

    async def login(self, cu: Customer):
        raise NotImplementedError

    def pick_products(self, cu, products, key="id"):
        ids = [p[key] for p in products if p.get(key) is not None]
        if len(ids) < self.lines_per_order:
            raise StepError("products", "too_few_products", str(len(ids)))
        return cu.rng.sample(ids, self.lines_per_order)


class FloorAdapter(Adapter):
    """Anchor A (bench/floor) and bench/drf_plain: same URL scheme."""

    name = "floor"

    async def prepare(self, cu):
        await cu.request("csrf", "GET", "/api/csrf", parse=False)

    async def login(self, cu):
        await cu.request("login", "POST", "/api/login", {"username": cu.username, "password": cu.password})

    async def flow_checkout(self, cu):
        products = items(await cu.request("products", "GET", "/api/products"))
        for pid in self.pick_products(cu, products):
            await cu.request("add", "POST", "/api/cart", {"product": pid, "quantity": 1})
        order = await cu.request("order", "POST", "/api/orders", {})
        await cu.request("pay", "POST", f"/api/orders/{order['id']}/pay", {})

    async def flow_products(self, cu):
        await cu.request("products", "GET", "/api/products")

    async def flow_hello(self, cu):
        await cu.request("hello", "GET", "/hello", parse=False)


class DrfPlainAdapter(FloorAdapter):
    name = "drf_plain"

    async def flow_checkout(self, cu):
        products = items(await cu.request("products", "GET", "/api/products/"))
        for pid in self.pick_products(cu, products):
            await cu.request("add", "POST", "/api/cart/", {"product": pid, "quantity": 1})
        order = await cu.request("order", "POST", "/api/orders/", {})
        await cu.request("pay", "POST", f"/api/orders/{order['id']}/pay/", {})

    async def prepare(self, cu):
        await cu.request("csrf", "GET", "/api/csrf/", parse=False)

    async def login(self, cu):
        await cu.request("login", "POST", "/api/login/", {"username": cu.username, "password": cu.password})

    async def flow_products(self, cu):
        await cu.request("products", "GET", "/api/products/")


class OscarAdapter(Adapter):
    """Anchor B: django-oscar + django-oscar-api (bench/oscar)."""

    name = "oscar"
    address = {
        "title": "Mr",
        "first_name": "Bench",
        "last_name": "Customer",
        "line1": "1 Loopback Road",
        "line4": "Localhost",
        "postcode": "SW1A 1AA",
        "phone_number": "+44 20 7946 0000",
        "notes": "",
    }

    async def prepare(self, cu):
        await cu.request("csrf", "GET", "/api/csrf/", parse=False)

    async def login(self, cu):
        await cu.request("login", "POST", "/api/login/", {"username": cu.username, "password": cu.password})

    async def flow_checkout(self, cu):
        products = items(await cu.request("products", "GET", "/api/products/"))
        basket = None
        for url in self.pick_products(cu, products, key="url"):
            basket = await cu.request("add", "POST", "/api/basket/add-product/", {"url": url, "quantity": 1})
        addr = dict(self.address, country=cu.base + "/api/countries/GB/")
        order = await cu.request(
            "order", "POST", "/api/checkout/", {"basket": basket["url"], "shipping_address": addr}
        )
        # oscar-api's order carries payment_url -> the project's "api-payment" view
        await cu.request("pay", "POST", order["payment_url"], {"payment": "card"})

    async def flow_products(self, cu):
        await cu.request("products", "GET", "/api/products/")


class ShopAdapter(Adapter):
    """The shop project, per its HTTP contract (api-contract.md).

    GET  /api/csrf                                  -> csrftoken cookie
    POST /api/register {username,password,email}    (once per customer; 409 = already there)
    POST /api/login {username,password}
    GET  /api/products                              -> {"results": [{"uuid", ...}]}
    POST /api/bucket {product, quantity}
    POST /api/orders {payment: "card"}              -> {"order_uuid", ...}
    POST /api/orders/<uuid>/payment                 -> starts a card payment (sandbox provider)
    POST /api/orders/<uuid>/payment/confirm {card_token: "pm_card_visa"}
    The catalog must hold enough stock for the run (e.g. created through the staff API).
    """

    name = "shop"
    CSRF_PATH = "/api/csrf"
    REGISTER_PATH = "/api/register"
    LOGIN_PATH = "/api/login"
    PRODUCTS_PATH = "/api/products"
    BUCKET_PATH = "/api/bucket"
    ORDERS_PATH = "/api/orders"
    PAY_PATH = "/api/orders/{id}/payment"
    PAY_CONFIRM_PATH = "/api/orders/{id}/payment/confirm"
    PASSWORD = "Bench-pass-2026"

    async def prepare(self, cu):
        cu.password = self.PASSWORD
        await cu.request("csrf", "GET", self.CSRF_PATH, parse=False)
        await cu.request(
            "register", "POST", self.REGISTER_PATH,
            {"username": cu.username, "password": cu.password, "email": f"{cu.username}@bench.invalid"},
            expect=(201, 409),
        )

    async def login(self, cu):
        await cu.request("login", "POST", self.LOGIN_PATH, {"username": cu.username, "password": cu.password})

    async def flow_checkout(self, cu):
        products = items(await cu.request("products", "GET", self.PRODUCTS_PATH))
        for pid in self.pick_products(cu, products, key="uuid"):
            await cu.request("add", "POST", self.BUCKET_PATH, {"product": pid, "quantity": 1})
        order = await cu.request("order", "POST", self.ORDERS_PATH, {"payment": "card"})
        oid = order["order_uuid"]
        await cu.request("pay", "POST", self.PAY_PATH.format(id=oid), {})
        await cu.request("confirm", "POST", self.PAY_CONFIRM_PATH.format(id=oid), {"card_token": "pm_card_visa"})

    async def flow_products(self, cu):
        await cu.request("products", "GET", self.PRODUCTS_PATH)


ADAPTERS = {a.name: a for a in (FloorAdapter, DrfPlainAdapter, OscarAdapter, ShopAdapter)}


def load_adapter(spec):
    if spec in ADAPTERS:
        return ADAPTERS[spec]
    if ":" in spec:  # path/to/file.py:ClassName
        path, cls = spec.rsplit(":", 1)
        mod_spec = importlib.util.spec_from_file_location("bench_adapter_ext", path)
        mod = importlib.util.module_from_spec(mod_spec)
        sys.modules["bench_adapter_ext"] = mod
        mod_spec.loader.exec_module(mod)
        return getattr(mod, cls)
    raise SystemExit(f"unknown adapter {spec!r}; known: {', '.join(ADAPTERS)} or file.py:Class")


# --------------------------------------------------------------------------- runner
def check_loopback(base):
    host = urlsplit(base).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise SystemExit(f"refusing non-loopback target {host!r}: this driver only loads 127.0.0.0/8, ::1, localhost")


async def customer_loop(cu: Customer, adapter, flow_fn, rec: Recorder, mode):
    while not rec.stop.is_set():
        t0 = time.monotonic()
        try:
            if mode == "login":
                await cu.reset_session()
                await adapter.prepare(cu)
                await adapter.login(cu)
            else:
                await flow_fn(cu)
            rec.add_flow(t0, time.monotonic())
        except StepError as e:
            if e.kind == "max_requests":
                return
            rec.add_flow_failure(e.step, time.monotonic())
            if cu.args.verbose:
                print(f"[c{cu.idx}] {e} {e.detail[:200]}", file=sys.stderr)
            await asyncio.sleep(0.05)  # don't spin on a broken endpoint
        except (KeyError, TypeError, IndexError) as e:  # unexpected payload shape
            rec.add_flow_failure(f"bad_payload:{type(e).__name__}", time.monotonic())
            if cu.args.verbose:
                print(f"[c{cu.idx}] bad payload {e!r}", file=sys.stderr)
            await asyncio.sleep(0.05)


async def run(args):
    check_loopback(args.base)
    adapter = load_adapter(args.adapter)(args)
    flow_fn = getattr(adapter, f"flow_{args.flow}", None)
    if flow_fn is None and args.mode != "login":
        raise SystemExit(f"adapter {adapter.name} has no flow {args.flow!r}")
    rec = Recorder()
    rec.max_requests = args.max_requests
    n = 1 if args.mode == "count" else args.customers
    customers = [Customer(args.user_offset + i, args.base, rec, args, adapter) for i in range(n)]
    result = {
        "adapter": adapter.name,
        "flow": args.flow if args.mode != "login" else "login",
        "mode": args.mode,
        "base_url": args.base,
        "customers": n,
        "label": args.label,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    try:
        # ---- login phase: each customer logs in ONCE, outside the timed flow window
        needs_login = args.mode != "login" and args.flow not in ("hello",) and not args.no_login
        login_lat = []
        login_err = {}
        progress = None  # bench/ addition: live progress line while the run goes on
        if args.progress and args.mode != "count":
            rec.bench_logins = login_lat if needs_login else None
            progress = asyncio.create_task(show_progress(rec, args, n))
        if needs_login:
            sem = asyncio.Semaphore(n)

            async def do_login(cu):
                async with sem:
                    try:
                        await adapter.prepare(cu)
                        t0 = time.monotonic()
                        await adapter.login(cu)
                        login_lat.append(time.monotonic() - t0)
                    except StepError as e:
                        login_err[e.kind] = login_err.get(e.kind, 0) + 1
                        print(f"login failed for {cu.username}: {e} {e.detail[:300]}", file=sys.stderr)

            rec.t_start = 0.0  # record csrf/login steps of the login phase too
            t0 = time.monotonic()
            await asyncio.wait_for(asyncio.gather(*(do_login(c) for c in customers)), args.login_timeout)
            wall = time.monotonic() - t0
            result["login_phase"] = dict(summarize(login_lat, wall), errors=login_err, wall_s=round(wall, 3))
            rec.steps.clear()
            rec.step_errors.clear()
            rec.step_queries.clear()
            rec.step_pg.clear()
            rec.t_start = None
            if login_err:
                result["aborted"] = "login failures"
                if progress is not None:  # bench/ addition
                    progress.cancel()
                    progress_line(args, "", end=True)
                return result

        if args.mode == "count":
            cu = customers[0]
            if args.pg_log:
                cu.pg_log = PgLog(args.pg_log)
            for _ in range(2):  # uncounted: lets every worker open its DB connection first
                await flow_fn(cu)
            rec.t_start = time.monotonic()
            for _ in range(args.flows):
                t0 = time.monotonic()
                await flow_fn(cu)
                rec.add_flow(t0, time.monotonic())
            rec.t_end = time.monotonic()
            window = rec.t_end - rec.t_start
        else:
            tasks = [asyncio.create_task(customer_loop(c, adapter, flow_fn, rec, args.mode)) for c in customers]
            if args.warmup > 0:
                try:
                    await asyncio.wait_for(rec.stop.wait(), args.warmup)
                except asyncio.TimeoutError:
                    pass
            cpu0, proc0 = cpu_times(), time.process_time()
            rec.t_start = time.monotonic()
            try:
                await asyncio.wait_for(rec.stop.wait(), args.duration)
            except asyncio.TimeoutError:
                pass
            rec.t_end = time.monotonic()
            cpu1, proc1 = cpu_times(), time.process_time()
            rec.stop.set()
            window = rec.t_end - rec.t_start
            done, pending = await asyncio.wait(tasks, timeout=args.grace)
            for t in pending:
                t.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            if progress is not None:  # bench/ addition
                progress.cancel()
                await asyncio.gather(progress, return_exceptions=True)
                progress_line(args, "", end=True)
            result["truncated_by_max_requests"] = rec.requests_sent >= (args.max_requests or float("inf"))
            if cpu0 and cpu1 and window > 0.5:
                tot, idle = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
                result["cpu"] = {
                    "machine_busy_pct": round(100.0 * (tot - idle) / tot, 1) if tot else None,
                    "driver_cpu_s": round(proc1 - proc0, 2),
                    "driver_cpu_pct_of_one_core": round(100.0 * (proc1 - proc0) / window, 1),
                    "ncpu": os.cpu_count(),
                }
        result["window_s"] = round(window, 3)
        steps = {}
        for name in list(rec.steps) + [k for k in rec.step_errors if k not in rec.steps]:
            s = summarize(rec.steps.get(name, []), window)
            s["rps"] = s.pop("per_s")
            s["errors"] = rec.step_errors.get(name, {})
            # means over the counted flows (2 uncounted warm-up flows ran first)
            if name in rec.step_queries:
                s["db_queries_header"] = round(statistics.fmean(rec.step_queries[name]), 2)
            if name in rec.step_pg:
                s["db_statements_pg"] = round(statistics.fmean(rec.step_pg[name]), 2)
            steps[name] = s
        result["steps"] = steps
        fl = summarize(rec.flows, window)
        key = "logins" if args.mode == "login" else "flows"
        result[key] = dict(fl, failed=dict(rec.flow_failures))
        total_req = sum(s["count"] for s in steps.values())
        total_err = sum(sum(s["errors"].values()) for s in steps.values())
        result["requests"] = {"ok": total_req, "errors": total_err, "rps": round(total_req / window, 2) if window else None}
        if "cpu" in result and total_req:
            # machine-speed canary: the driver's own CPU per request is constant work, so when
            # it rises between runs the (virtual) CPU got slower, not the system under test
            result["cpu"]["driver_cpu_us_per_req"] = round(1e6 * result["cpu"]["driver_cpu_s"] / (total_req + total_err), 1)
        if args.mode == "count" and rec.flows:
            nflows = len(rec.flows)
            per_flow = {}
            for src in ("db_queries_header", "db_statements_pg"):
                if any(src in s for s in steps.values()):
                    per_flow[src] = round(
                        sum(s.get(src, 0) * s["count"] for s in steps.values()) / nflows, 2
                    )
            result["db_per_flow"] = per_flow
        return result
    finally:
        await asyncio.gather(*(c.close() for c in customers), return_exceptions=True)


# bench/ addition: a progress line on stderr (one line rewritten in place on a terminal,
# a new line each --progress seconds otherwise)
def progress_line(args, text, end=False):
    tty = sys.stderr.isatty()
    if end:
        if tty:
            print(file=sys.stderr, flush=True)
        return
    tag = f"  [{args.label or args.adapter} c={args.customers}]"
    if tty:
        print(f"\r\033[K{tag} {text}", end="", file=sys.stderr, flush=True)
    else:
        print(f"{tag} {text}", file=sys.stderr, flush=True)


async def show_progress(rec, args, n):
    t0 = time.monotonic()
    warm0 = None
    while True:
        await asyncio.sleep(args.progress)
        now = time.monotonic()
        logins = getattr(rec, "bench_logins", None)
        if rec.t_start == 0.0 and logins is not None:
            phase = f"logging in ({now - t0:.0f}s): {len(logins)}/{n} customers"
        elif rec.t_start is None:
            warm0 = warm0 or now - args.progress / 2
            phase = f"warm-up ({now - warm0:.0f}/{args.warmup:.0f}s, {rec.requests_sent} requests)"
        elif rec.t_end is None:
            el = now - rec.t_start
            errs = sum(sum(d.values()) for d in rec.step_errors.values())
            phase = (f"measuring {el:.0f}/{args.duration:.0f}s: {len(rec.flows)} flows "
                     f"({len(rec.flows) / el if el > 0 else 0:.1f}/s), {errs} errors")
        else:
            phase = f"waiting for in-flight flows ({now - rec.t_end:.0f}s)"
        progress_line(args, phase)


def print_table(res, out=sys.stdout):
    w = res.get("window_s")
    print(f"\n{res['adapter']}/{res['flow']} mode={res['mode']} customers={res['customers']} window={w}s "
          f"label={res.get('label') or '-'}", file=out)
    if "login_phase" in res:
        lp = res["login_phase"]
        print(f"  login phase (untimed for flows): {lp['count']} logins in {lp['wall_s']}s "
              f"p50={lp['p50_ms']}ms p99={lp['p99_ms']}ms errors={lp['errors']}", file=out)
    hdr = f"  {'step':<10}{'count':>8}{'rps':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}  errors"
    print(hdr, file=out)
    for name, s in res.get("steps", {}).items():
        q = ""
        if "db_queries_header" in s:
            q += f"  q/req(django)={s['db_queries_header']}"
        if "db_statements_pg" in s:
            q += f"  stmts/req(pg)={s['db_statements_pg']}"
        print(f"  {name:<10}{s['count']:>8}{s['rps']:>10}{str(s['p50_ms']):>10}{str(s['p95_ms']):>10}"
              f"{str(s['p99_ms']):>10}  {s['errors'] or ''}{q}", file=out)
    key = "logins" if res["mode"] == "login" else "flows"
    if key in res:
        f = res[key]
        print(f"  {key:<10}{f['count']:>8}{f['per_s']:>10}{str(f['p50_ms']):>10}{str(f['p95_ms']):>10}"
              f"{str(f['p99_ms']):>10}  {f['failed'] or ''}", file=out)
    if "requests" in res:
        print(f"  all requests: {res['requests']['rps']} req/s ok, {res['requests']['errors']} errors", file=out)
    if "cpu" in res:
        c = res["cpu"]
        print(f"  cpu: machine busy {c['machine_busy_pct']}% of {c['ncpu']} cores; driver used "
              f"{c['driver_cpu_pct_of_one_core']}% of one core ({c.get('driver_cpu_us_per_req')} us/req)", file=out)
    if "db_per_flow" in res:
        print(f"  DB per flow: {res['db_per_flow']}", file=out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", default="http://127.0.0.1:8001", help="base URL (loopback only)")
    p.add_argument("--adapter", default="floor", help=f"one of {', '.join(ADAPTERS)} or file.py:Class")
    p.add_argument("--flow", default="checkout", help="adapter flow: checkout, products, hello, ...")
    p.add_argument("--mode", choices=("flow", "login", "count"), default="flow")
    p.add_argument("-c", "--customers", type=int, default=16)
    p.add_argument("-d", "--duration", type=float, default=20.0, help="measured window, seconds")
    p.add_argument("--warmup", type=float, default=3.0, help="unmeasured warm-up, seconds")
    p.add_argument("--grace", type=float, default=5.0, help="max wait for in-flight flows after the window")
    p.add_argument("--max-requests", type=int, default=200_000, help="hard cap on requests in the whole run (login + warm-up + window); ends it early")
    p.add_argument("--timeout", type=float, default=30.0, help="per-request timeout, seconds")
    p.add_argument("--login-timeout", type=float, default=300.0, help="cap on the whole login phase")
    p.add_argument("--flows", type=int, default=5, help="count mode: flows to run")
    p.add_argument("--pg-log", help="count mode: PostgreSQL log file (log_statement=all)")
    p.add_argument("--pg-dump", help="count mode: append each step's logged SQL to DIR/<step>.log")
    p.add_argument("--user-prefix", default="bench")
    p.add_argument("--user-offset", type=int, default=0)
    p.add_argument("--password", default="benchpass")
    p.add_argument("--no-login", action="store_true", help="skip the login phase (anonymous flows)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-uvloop", action="store_true", help="use the stdlib asyncio loop even if uvloop is installed")
    p.add_argument("--json", help="write the result JSON here")
    p.add_argument("--label", default="")
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("--progress", type=float, default=0.0,
                   help="bench/ addition: print a progress line on stderr every SECONDS (0: off)")
    args = p.parse_args(argv)
    if args.duration > 600 or args.warmup > 120:
        raise SystemExit("runs are bounded: --duration <= 600, --warmup <= 120")
    if not args.no_uvloop:
        try:  # optional: cuts the driver's own CPU use, which shares the 2 cores with the server
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        except ImportError:
            pass
    res = asyncio.run(run(args))
    res["event_loop"] = type(asyncio.get_event_loop_policy()).__module__.split(".")[0]
    print_table(res)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)
    return 0 if not res.get("aborted") else 1


if __name__ == "__main__":
    sys.exit(main())
