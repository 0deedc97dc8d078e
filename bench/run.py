"""`make bench`: the shop's checkout flow under load, beside the floor, in one run.

What it does, all on 127.0.0.1:
  1. PostgreSQL (127.0.0.1:5432, user postgres, trust auth): drops and recreates the
     shop's benchmark database (`shop_bench`), creates the floor's (`floor`) if missing.
  2. The shop: `shop manage migrate`, a benchmark catalog (bench/shop_seed.py: 24
     products x 10^6 units), then `shop serve` on a free port with a fresh SHOP_VAR_DIR,
     a SHOP_SECRET_KEY and full-strength password hashing (no SHOP_INSECURE_FAST_HASHER).
  3. The floor (bench/floor, a minimal raw-SQL Django shop): migrate, seed, gunicorn with
     the same worker model (WORKERS x gthread THREADS) on another free port.
  4. For each concurrency level, the load driver (bench/flow_load.py) against the floor and
     the shop in turn (the order alternates from level to level), with the same warm-up
     and duration: N customers log in once, then loop the checkout flow.
  5. A count run (driver mode `count`, PostgreSQL statement logging) for SQL statements
     per step, on one extra instance of each with one worker and one thread.
  6. Tables on stdout and in bench/results/<timestamp>.md, the raw results in
     bench/results/<timestamp>.json, server logs and per-step SQL in
     bench/results/<timestamp>/, the plot in docs/performance.png.
Both servers are stopped at the end, by the pids this script started, whatever happens.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent  # run with the project's venv python (make bench does)
DRIVER = HERE / "flow_load.py"
FLOOR_DIR = HERE / "floor"
SYSTEMS = ("floor", "shop")
STEPS = ("products", "add", "order", "pay", "confirm")
START_TIMEOUT = 90.0  # seconds for a server to answer after its start
HELPER_TIMEOUT = 300.0  # seconds for migrate / seed
DRAIN_TIMEOUT = 120.0  # seconds for the shop's job worker to empty its queue after a phase


def log(msg: str = "") -> None:
    print(msg, flush=True)


def parse_levels(text: str) -> list[int]:
    levels = [int(x) for x in re.split(r"[,\s]+", text.strip()) if x]
    if not levels or min(levels) < 1:
        raise SystemExit(f"bad --concurrency {text!r}: positive integers, e.g. '1 4 8 16 32'")
    return levels


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- PostgreSQL
class Postgres:
    def __init__(self, host: str, port: int, user: str):
        self.host, self.port, self.user = host, port, user

    def url(self, db: str) -> str:
        return f"postgres://{self.user}@{self.host}:{self.port}/{db}"

    def connect(self) -> Any:
        import psycopg

        try:
            return psycopg.connect(
                host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True
            )
        except psycopg.OperationalError as e:
            raise RuntimeError(
                f"PostgreSQL at {self.host}:{self.port} (user {self.user}) is unreachable: {e}"
            ) from None

    def recreate(self, db: str) -> None:
        with self.connect() as c:
            c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            c.execute(f'CREATE DATABASE "{db}"')

    def ensure(self, db: str) -> None:
        with self.connect() as c:
            if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db]).fetchone():
                c.execute(f'CREATE DATABASE "{db}"')

    def jobs_waiting(self, db: str) -> int:
        """The shop's jobs not yet done (ready or running) in its job table."""
        import psycopg

        with psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname=db, autocommit=True
        ) as c:
            row = c.execute(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult "
                "WHERE status = 'RUNNING' OR (status = 'READY' AND (run_after <= now() "
                "OR run_after >= '9999-01-01'))"  # django-tasks-db's "no run_after"
            ).fetchone()
            return int(row[0])

    def log_file(self) -> Path | None:
        """The server's log file, for the count run (log_statement=all per connection)."""
        with self.connect() as c:
            row = c.execute("SELECT pg_current_logfile()").fetchone()
            if row and row[0]:
                data_dir = c.execute("SHOW data_directory").fetchone()[0]
                path = Path(row[0]) if row[0].startswith("/") else Path(data_dir) / row[0]
                return path if os.access(path, os.R_OK) else None
            version = c.execute("SHOW server_version_num").fetchone()[0]
        # Debian/Ubuntu clusters without the logging collector: pg_ctlcluster's log file
        major = int(version) // 10000
        for path in sorted(Path("/var/log/postgresql").glob(f"postgresql-{major}-*.log")):
            if os.access(path, os.R_OK):
                return path
        return None


# --------------------------------------------------------------------------- servers
class Server:
    """One process this script started (a gunicorn master), stopped by its pid."""

    def __init__(self, name: str, port: int, log_path: Path):
        self.name, self.port, self.log_path = name, port, log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, argv: list[str], env: dict[str, str], cwd: Path, ready_path: str) -> None:
        self.log_file = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C at the terminal reaches us, not gunicorn
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}"
                )
            try:
                with urllib.request.urlopen(self.base + ready_path, timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        raise RuntimeError(
            f"{self.name} did not answer within {START_TIMEOUT:.0f}s:\n{self.tail()}"
        )

    def stop(self) -> None:
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of the workers
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)  # its own group (start_new_session)
                proc.wait(timeout=10)
        self.log_file.close()

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join("    " + line for line in text[-lines:])


def run_helper(argv: list[str], env: dict[str, str], cwd: Path, what: str) -> None:
    r = subprocess.run(
        argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=HELPER_TIMEOUT, check=False
    )
    if r.returncode != 0:
        raise RuntimeError(f"{what} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")


def clean_env() -> dict[str, str]:
    """The caller's environment without SHOP_*, PG* and bench settings that would skew a run."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SHOP_", "PG", "BENCH_", "DJANGO_")) and k != "PYTHONPATH"
    }


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.pg = Postgres(args.pg_host, args.pg_port, args.pg_user)
        self.stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        self.results_dir = Path(args.results_dir).resolve()
        self.run_dir = self.results_dir / self.stamp  # server logs, per-step SQL
        self.tmp = Path(tempfile.mkdtemp(prefix="shop-bench-"))
        self.servers: list[Server] = []
        self.secret = "bench-" + secrets.token_urlsafe(32)

    # ---- the two systems
    def shop_env(self, port: int, log_statements: bool = False) -> dict[str, str]:
        env = clean_env()
        env.update(
            SHOP_DATABASE_URL=self.pg.url(self.args.shop_db),
            SHOP_SECRET_KEY=self.secret,
            SHOP_VAR_DIR=str(self.tmp / "shop-var"),
            SHOP_PUBLIC_URL=f"http://127.0.0.1:{port}",
            # Production's shared cache: sessions and the login user come from Redis.
            SHOP_CACHE_URL=self.args.cache_url,
        )
        if log_statements:
            env["PGOPTIONS"] = "-c log_statement=all"
        return env

    def floor_env(self, log_statements: bool = False) -> dict[str, str]:
        env = clean_env()
        env.update(
            BENCH_DB_HOST=self.pg.host,
            BENCH_DB_PORT=str(self.pg.port),
            BENCH_DB_USER=self.pg.user,
            BENCH_DB_NAME=self.args.floor_db,
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.update(self.floor_sessions())
        if log_statements:
            env["PGOPTIONS"] = "-c log_statement=all"
        return env

    def floor_sessions(self) -> dict[str, str]:
        """Like for like: the floor keeps its sessions where the shop keeps them. With the
        shop's cache in Redis the floor runs Django's ``cached_db`` sessions on the same
        Redis server (its own database number); with ``--cache-url db`` both keep them in
        PostgreSQL."""
        url = self.args.cache_url
        if not url.startswith(("redis://", "rediss://")):
            return {"BENCH_SESSION": "db"}
        base, _, number = url.rpartition("/")
        floor_db = str((int(number) + 1) % 16) if number.isdigit() else "10"
        return {"BENCH_SESSION": "cached_db", "BENCH_CACHE_URL": f"{base}/{floor_db}"}

    def prepare(self) -> None:
        a = self.args
        log(
            f"== PostgreSQL {self.pg.host}:{self.pg.port}: recreate {a.shop_db}, ensure {a.floor_db}"
        )
        self.pg.recreate(a.shop_db)
        self.pg.ensure(a.floor_db)
        env = self.shop_env(0)
        log(f"== shop: migrate, benchmark catalog ({a.products} products x {a.stock} units)")
        run_helper([str(BIN / "shop"), "manage", "migrate", "-v0"], env, ROOT, "shop migrate")
        seed = [sys.executable, str(HERE / "shop_seed.py"), "--products", str(a.products)]
        run_helper([*seed, "--stock", str(a.stock)], env, ROOT, "shop catalog")
        users = max(64, max(a.levels))
        log(f"== floor: migrate, seed ({users} users)")
        fenv = self.floor_env()
        run_helper(
            [sys.executable, "manage.py", "migrate", "-v0"], fenv, FLOOR_DIR, "floor migrate"
        )
        run_helper(
            [sys.executable, "manage.py", "seed", "--users", str(users)],
            fenv,
            FLOOR_DIR,
            "floor seed",
        )

    def start_shop(
        self, workers: int, threads: int, tag: str, log_statements: bool = False
    ) -> Server:
        port = free_port()
        srv = Server(f"shop{tag}", port, self.run_dir / f"shop{tag}.log")
        self.servers.append(srv)
        argv = [str(BIN / "shop"), "serve", "--port", str(port)]
        argv += ["--workers", str(workers), "--threads", str(threads)]
        if log_statements or self.args.no_job_worker:
            # The count run counts what requests cost: the job worker's own polling and
            # jobs (events fanned out, e-mails) would be logged under the same database.
            argv.append("--no-worker")
        argv += shlex.split(self.args.shop_serve_args)
        srv.start(argv, self.shop_env(port, log_statements), ROOT, "/api/csrf")
        log(f"   shop{tag}: pid {srv.proc.pid} on {srv.base} ({workers} x {threads} threads)")
        return srv

    def start_floor(
        self, workers: int, threads: int, tag: str, log_statements: bool = False
    ) -> Server:
        port = free_port()
        srv = Server(f"floor{tag}", port, self.run_dir / f"floor{tag}.log")
        self.servers.append(srv)
        argv = [str(BIN / "gunicorn"), "floor.wsgi", "-b", f"127.0.0.1:{port}"]
        argv += ["-w", str(workers), "--log-level", "warning", "--graceful-timeout", "10"]
        argv += ["--no-control-socket"]  # gunicorn >= 27: else one shared ~/.gunicorn/gunicorn.ctl
        argv += ["-k", "gthread", "--threads", str(threads)] if threads > 1 else ["-k", "sync"]
        srv.start(argv, self.floor_env(log_statements), FLOOR_DIR, "/hello")
        log(f"   floor{tag}: pid {srv.proc.pid} on {srv.base} ({workers} x {threads} threads)")
        return srv

    def stop_all(self) -> None:
        for srv in reversed(self.servers):
            srv.stop()
        self.servers.clear()

    # ---- the driver
    def login_cap(self, customers: int) -> float:
        # full-strength hashing: ~0.4 s per hash here, 2 hashes per shop customer (register, login)
        return 30.0 + 1.5 * customers

    def phase_bound(self, customers: int) -> float:
        a = self.args
        return self.login_cap(customers) + a.warmup + a.duration + a.grace + 15.0

    def drive(self, system: str, srv: Server, customers: int, extra: list[str], label: str) -> dict:
        out = self.tmp / f"{label}.json"
        argv = [sys.executable, str(DRIVER), "--adapter", system, "--base", srv.base]
        argv += ["-c", str(customers), "--label", label, "--json", str(out)]
        argv += ["--login-timeout", str(self.login_cap(customers)), *extra]
        try:
            r = subprocess.run(
                argv,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
                timeout=self.phase_bound(customers),
                check=False,
                env=clean_env(),
            )
        except subprocess.TimeoutExpired:
            return {
                "aborted": f"driver exceeded {self.phase_bound(customers):.0f}s",
                "adapter": system,
            }
        if self.args.verbose:
            log(r.stdout)
        if not out.exists():
            return {"aborted": f"driver exited {r.returncode} without results", "adapter": system}
        res = json.loads(out.read_text())
        res["system"], res["level"] = system, customers
        return res

    def flow_phase(self, system: str, srv: Server, customers: int, i: int, n: int) -> dict:
        a = self.args
        log(
            f"-- [{i}/{n}] {system}, {customers} customers: login, {a.warmup:g}s warm-up, {a.duration:g}s measured"
        )
        extra = ["-d", str(a.duration), "--warmup", str(a.warmup), "--grace", str(a.grace)]
        extra += ["--progress", str(a.progress)]
        res = self.drive(system, srv, customers, extra, f"{system}-c{customers}")
        if system == "shop" and not a.no_job_worker:
            res["jobs_drain_s"] = self.drain_jobs()
        if res.get("aborted"):
            log(f"   {system}: ABORTED ({res['aborted']})")
        else:
            f, rq = res["flows"], res["requests"]
            log(
                f"   {system} c={customers}: {f['per_s']} flows/s, {rq['rps']} req/s, flow p50 "
                f"{f['p50_ms']} ms p99 {f['p99_ms']} ms, errors {rq['errors']}"
                + (f" {errors_text(res)}" if rq["errors"] or f["failed"] else "")
            )
        return res

    def drain_jobs(self) -> float | None:
        """After a shop phase, wait (up to DRAIN_TIMEOUT) until its job worker has done
        the work the phase queued (events fanned out, e-mails), so that none of it runs
        during the next phase (the floor's, say). Seconds waited; None past the bound."""
        start = time.monotonic()
        while time.monotonic() - start < DRAIN_TIMEOUT:
            if self.pg.jobs_waiting(self.args.shop_db) == 0:
                waited = time.monotonic() - start
                log(f"   shop's job worker: queue empty {waited:.1f}s after the phase")
                return round(waited, 1)
            time.sleep(0.5)
        log(f"   shop's job worker: jobs still waiting after {DRAIN_TIMEOUT:.0f}s")
        return None

    def count_phase(self, system: str, srv: Server, pg_log: Path) -> dict:
        a = self.args
        dump = self.run_dir / f"sql-{system}"
        extra = ["--mode", "count", "--flows", str(a.count_flows), "--pg-log", str(pg_log)]
        extra += ["--pg-dump", str(dump)]
        if system == "shop":
            extra += ["--user-offset", "100000"]  # a customer of its own
        res = self.drive(system, srv, 1, extra, f"{system}-count")
        per_flow = res.get("db_per_flow", {}).get("db_statements_pg")
        log(f"   {system}: {per_flow} SQL statements per flow (SQL per step in {dump})")
        return res

    # ---- the whole run
    def plan(self) -> float:
        a = self.args
        phases = 2 * sum(self.phase_bound(c) for c in a.levels)
        phases += 2 * (a.rounds - 1) * self.phase_bound(a.customers)
        starts = (2 + (0 if a.no_count else 2)) * START_TIMEOUT
        count = 0 if a.no_count else 2 * self.phase_bound(1)
        drains = 0 if a.no_job_worker else (len(a.levels) + a.rounds - 1) * DRAIN_TIMEOUT
        bound = phases + drains + starts + count + 2 * 2 * HELPER_TIMEOUT
        timed = 2 * (len(a.levels) + a.rounds - 1) * (a.warmup + a.duration)
        log(
            f"== make bench {self.stamp}: {os.cpu_count()} CPUs, {a.workers} workers x {a.threads} threads"
        )
        log(
            f"   levels {a.levels} customers ({a.rounds} round(s) at {a.customers}), floor and "
            f"shop each: {2 * (len(a.levels) + a.rounds - 1)} phases of "
            f"{a.warmup:g}s warm-up + {a.duration:g}s measured = {timed:.0f}s of load,"
        )
        log(
            f"   plus logins (full-strength hashing), start-ups and the count run: expect about "
            f"{timed + 2 * sum(0.4 * c for c in a.levels) + (30 if a.no_count else 60):.0f}s; hard bound {bound:.0f}s"
        )
        return bound

    def run(self) -> int:
        a = self.args
        self.plan()
        t0 = time.monotonic()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        runs: list[dict] = []
        counts: dict[str, dict] = {}
        try:
            self.prepare()
            log("== servers")
            srv = {
                "shop": self.start_shop(a.workers, a.threads, ""),
                "floor": self.start_floor(a.workers, a.threads, ""),
            }
            n = 2 * (len(a.levels) + a.rounds - 1)
            i = 0
            for k, customers in enumerate(a.levels):
                order = SYSTEMS if k % 2 == 0 else tuple(reversed(SYSTEMS))
                for system in order:
                    i += 1
                    runs.append(self.flow_phase(system, srv[system], customers, i, n))
            for r in range(1, a.rounds):  # more pairs at the headline level
                order = tuple(reversed(SYSTEMS)) if r % 2 else SYSTEMS
                for system in order:
                    i += 1
                    res = self.flow_phase(system, srv[system], a.customers, i, n)
                    runs.append({**res, "round": r})
            self.stop_all()
            if not a.no_count:
                counts = self.count_run()
        finally:
            self.stop_all()
            shutil.rmtree(self.tmp, ignore_errors=True)
            with contextlib.suppress(OSError):
                self.run_dir.rmdir()  # only if nothing was written (a failed start)
        result = {
            "meta": self.meta(time.monotonic() - t0),
            "runs": runs,
            "count": counts,
            "server_log_problems": self.scan_logs(),
            "sql_outline": {
                system: sql_outline(self.run_dir / f"sql-{system}")
                for system in SYSTEMS
                if (self.run_dir / f"sql-{system}").is_dir()
            },
        }
        self.report(result)
        return 0 if all(not r.get("aborted") for r in runs) else 1

    def count_run(self) -> dict[str, dict]:
        pg_log = Path(self.args.pg_log) if self.args.pg_log else self.pg.log_file()
        if pg_log is None or not os.access(pg_log, os.R_OK):
            log(
                "== count run skipped: no readable PostgreSQL log file (give --pg-log PATH); "
                "SQL per route is then left to the query-budget tests"
            )
            return {}
        log(f"== count run: {self.args.count_flows} flows, one customer, statements from {pg_log}")
        counts = {}
        for system in SYSTEMS:
            start = self.start_shop if system == "shop" else self.start_floor
            srv = start(1, 1, "-count", log_statements=True)
            try:
                counts[system] = self.count_phase(system, srv, pg_log)
            finally:
                self.stop_all()
        return counts

    def meta(self, wall: float) -> dict:
        a = self.args

        def git(*cmd: str) -> str:
            r = subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True, check=False)
            return r.stdout.strip()

        commit = git("rev-parse", "--short", "HEAD")
        if commit and git("status", "--porcelain", "--untracked-files=no", "--", "src"):
            commit += "+uncommitted changes in src/"
        return {
            "stamp": self.stamp,
            "date": datetime.now().astimezone().isoformat(timespec="seconds"),
            "nproc": os.cpu_count(),
            "machine": platform.platform(),
            "python": platform.python_version(),
            "commit": commit or None,
            "workers": a.workers,
            "threads": a.threads,
            "sessions": "redis" if a.cache_url.startswith(("redis://", "rediss://")) else "db",
            "job_worker": "none" if a.no_job_worker else "beside the server",
            "shop_serve_args": a.shop_serve_args,
            "levels": a.levels,
            "headline_customers": a.customers,
            "rounds": a.rounds,
            "duration_s": a.duration,
            "warmup_s": a.warmup,
            "products": a.products,
            "stock": a.stock,
            "wall_s": round(wall, 1),
        }

    def scan_logs(self) -> dict[str, dict]:
        """Tracebacks and 5xx lines the servers wrote (their logs are in the run folder)."""
        found = {}
        for path in sorted(self.run_dir.glob("*.log")):
            text = path.read_text(errors="replace")
            tracebacks = text.count("Traceback (most recent call last)")
            errors = len(
                re.findall(r"^(?:ERROR|\[.*\] \[ERROR\]|Internal Server Error)", text, re.M)
            )
            if tracebacks or errors:
                first = text[text.find("Traceback") :][:3000] if tracebacks else ""
                found[path.name] = {"tracebacks": tracebacks, "error_lines": errors, "first": first}
        return found

    # ---- output
    def report(self, result: dict) -> None:
        self.results_dir.mkdir(parents=True, exist_ok=True)
        json_path = self.results_dir / f"{self.stamp}.json"
        json_path.write_text(json.dumps(result, indent=2) + "\n")
        md = markdown(result)
        md_path = self.results_dir / f"{self.stamp}.md"
        md_path.write_text(md)
        log("")
        log(md)
        try:
            plot(result, Path(self.args.plot))
            log(f"plot: {self.args.plot}")
        except Exception as e:  # the figures above stand without it
            log(f"plot failed: {e!r}")
        log(
            f"results: {json_path.relative_to(ROOT) if json_path.is_relative_to(ROOT) else json_path}"
        )
        log(f"tables:  {md_path.relative_to(ROOT) if md_path.is_relative_to(ROOT) else md_path}")
        log(f"logs:    {self.run_dir}")
        for name, p in result["server_log_problems"].items():
            log(f"!! {name}: {p['tracebacks']} tracebacks, {p['error_lines']} error lines; first:")
            log(p["first"][:1500])
        log(f"done in {result['meta']['wall_s']:.0f}s")


def errors_text(res: dict) -> str:
    parts = []
    for step, errs in res.get("steps", {}).items():
        for kind, count in errs.get("errors", {}).items():
            parts.append(f"{step}:{kind}x{count}")
    for where, count in res.get("flows", {}).get("failed", {}).items():
        parts.append(f"failed@{where}x{count}")
    return " ".join(parts)


def fmt(v: Any, digits: int = 1) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def ratio(a: Any, b: Any) -> str:
    return f"{a / b:.2f}" if a and b else "-"


def by_level(result: dict) -> dict[int, dict[str, dict]]:
    table: dict[int, dict[str, dict]] = {}
    for r in result["runs"]:
        if "level" in r and not r.get("round"):
            table.setdefault(r["level"], {})[r["system"]] = r
    return table


def rounds(result: dict) -> list[tuple[float | None, float | None]]:
    """(floor, shop) flows/s of every pair at the headline level, the level's own first."""
    level = result["meta"]["headline_customers"]
    pairs: dict[int, dict[str, Any]] = {}
    for r in result["runs"]:
        if r.get("level") == level:
            pairs.setdefault(r.get("round", 0), {})[r["system"]] = r.get("flows", {}).get("per_s")
    return [(p.get("floor"), p.get("shop")) for _, p in sorted(pairs.items())]


def median_ratio(result: dict) -> tuple[float, float, float] | None:
    """Median, lowest and highest shop/floor ratio of the headline level's pairs."""
    found = sorted(s / f for f, s in rounds(result) if f and s)
    if not found:
        return None
    return statistics.median(found), found[0], found[-1]


def markdown(result: dict) -> str:
    m = result["meta"]
    levels = by_level(result)
    out = [
        f"Run {m['stamp']} ({m['date']}), {m['nproc']} CPUs ({m['machine']}), commit {m['commit']}; "
        f"gunicorn {m['workers']} workers x {m['threads']} threads for both; "
        f"sessions in {m.get('sessions', 'redis')} for both; "
        f"shop's job worker: {m.get('job_worker', 'beside the server')}"
        + (f", `shop serve {m['shop_serve_args']}`" if m.get("shop_serve_args") else "")
        + "; "
        f"{m['warmup_s']:g}s warm-up + {m['duration_s']:g}s measured per phase.",
        "",
        "Whole checkout flow (shop: 7 requests, floor: 6; flows/s and latency of the whole flow):",
        "",
        "| customers | floor flows/s | shop flows/s | shop/floor | floor req/s | shop req/s "
        "| floor flow p50/p99 ms | shop flow p50/p99 ms | p99 shop/floor | errors floor/shop "
        "| CPU busy % floor/shop |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for level, rs in sorted(levels.items()):
        fl, sh = rs.get("floor", {}), rs.get("shop", {})
        ff, sf = fl.get("flows", {}), sh.get("flows", {})

        def errs(r: dict) -> str:
            if r.get("aborted"):
                return "ABORTED"
            e = r.get("requests", {}).get("errors", 0)
            return str(e) + (f" ({errors_text(r)})" if errors_text(r) else "")

        out.append(
            f"| {level} | {fmt(ff.get('per_s'))} | {fmt(sf.get('per_s'))} "
            f"| {ratio(sf.get('per_s'), ff.get('per_s'))} "
            f"| {fmt(fl.get('requests', {}).get('rps'))} | {fmt(sh.get('requests', {}).get('rps'))} "
            f"| {fmt(ff.get('p50_ms'))} / {fmt(ff.get('p99_ms'))} "
            f"| {fmt(sf.get('p50_ms'))} / {fmt(sf.get('p99_ms'))} "
            f"| {ratio(sf.get('p99_ms'), ff.get('p99_ms'))} | {errs(fl)} / {errs(sh)} "
            f"| {fmt(fl.get('cpu', {}).get('machine_busy_pct'), 0)} "
            f"/ {fmt(sh.get('cpu', {}).get('machine_busy_pct'), 0)} |"
        )
    pairs = rounds(result)
    if len(pairs) > 1:
        med, low, high = median_ratio(result) or (None, None, None)
        out += [
            "",
            f"Rounds at {m['headline_customers']} customers (floor and shop in turn, who goes "
            f"first alternating): median shop/floor **{fmt(med, 2)}** (lowest {fmt(low, 2)}, "
            f"highest {fmt(high, 2)}).",
            "",
            "| round | floor flows/s | shop flows/s | shop/floor |",
            "|---:|---:|---:|---:|",
        ]
        for n, (f, sh) in enumerate(pairs, 1):
            out.append(f"| {n} | {fmt(f)} | {fmt(sh)} | {ratio(sh, f)} |")
    out += [
        "",
        "Per step, p50 / p95 / p99 in ms; the ratio is shop/floor at p99. The floor pays in one "
        "request (`pay`); the shop starts a card payment (`pay`) and confirms it (`confirm`): "
        "both are compared with the floor's `pay`.",
        "",
    ]
    for level, rs in sorted(levels.items()):
        fl, sh = rs.get("floor", {}), rs.get("shop", {})
        out += [
            f"{level} customers:",
            "",
            "| step | floor p50/p95/p99 | shop p50/p95/p99 | p99 shop/floor | shop req/s | errors floor/shop |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for step in STEPS:
            f = fl.get("steps", {}).get("pay" if step == "confirm" else step, {})
            s = sh.get("steps", {}).get(step, {})

            def lat(x: dict) -> str:
                return f"{fmt(x.get('p50_ms'))} / {fmt(x.get('p95_ms'))} / {fmt(x.get('p99_ms'))}"

            fe = sum(f.get("errors", {}).values()) if step != "confirm" else "(pay)"
            out.append(
                f"| {step} | {lat(f)} | {lat(s)} | {ratio(s.get('p99_ms'), f.get('p99_ms'))} "
                f"| {fmt(s.get('rps'))} | {fe} / {sum(s.get('errors', {}).values())} |"
            )
        out.append("")
    if result.get("count"):
        out += [
            "SQL statements per request (PostgreSQL log, log_statement=all; one customer, "
            "means over the counted flows; includes BEGIN/COMMIT/SAVEPOINT and connection set-up "
            "statements the server saw):",
            "",
            "| step | floor | shop |",
            "|---|---:|---:|",
        ]
        fc = result["count"].get("floor", {}).get("steps", {})
        sc = result["count"].get("shop", {}).get("steps", {})
        for step in STEPS:
            f = fc.get(step, {}).get("db_statements_pg")
            s = sc.get(step, {}).get("db_statements_pg")
            out.append(f"| {step} | {fmt(f, 2) if step in fc else '-'} | {fmt(s, 2)} |")
        fpf = result["count"].get("floor", {}).get("db_per_flow", {}).get("db_statements_pg")
        spf = result["count"].get("shop", {}).get("db_per_flow", {}).get("db_statements_pg")
        out += [f"| **per flow** | **{fmt(fpf, 1)}** | **{fmt(spf, 1)}** |", ""]
        outline = result.get("sql_outline", {})
        if outline:
            out += [
                "The statements of one request of each step (the last counted flow; "
                "full SQL in the run folder, sql-<system>/<step>.log):",
                "",
                "| step | floor | shop |",
                "|---|---|---|",
            ]
            for step in STEPS:
                cells = [" · ".join(outline.get(sys_, {}).get(step, [])) or "-" for sys_ in SYSTEMS]
                out.append(f"| {step} | {cells[0]} | {cells[1]} |")
            out.append("")
    return "\n".join(out) + "\n"


STATEMENT = re.compile(r"LOG:  (?:statement|execute [^:]*): ?(.*)$")


def sql_label(sql: str) -> str:
    """A short name for one statement: its verb and main table."""
    s = " ".join(sql.replace('"', "").split())
    up = s.upper()
    for word in ("BEGIN", "COMMIT", "ROLLBACK", "RELEASE SAVEPOINT", "SAVEPOINT"):
        if up.startswith(word):
            return word
    if re.match(r"SELECT 1\b", up) and " FROM " not in up:
        return "SELECT 1"
    m = re.match(r"(WITH|SELECT|INSERT INTO|UPDATE|DELETE FROM)\b", up)
    if not m:
        return s[:30]
    verb = m.group(1)
    if verb == "WITH":  # writes (UPDATE ... INSERT ... ON CONFLICT) or locking reads
        kinds = dict.fromkeys(
            k.split()[0]
            for k in re.findall(r"\b(?:INSERT INTO|UPDATE\s+(?!SET\b)|DELETE FROM)", up)
        )
        tables = re.findall(r"\b(?:UPDATE|INSERT INTO|DELETE FROM)\s+(\w+)", s, re.I)
        tables = [t for t in tables if t.upper() != "SET"]  # not ON CONFLICT's DO UPDATE SET
        if not tables:  # only reads: name what it reads and whether it locks
            read = dict.fromkeys(re.findall(r"\bFROM\s+(\w+)", s, re.I))
            lock = " FOR UPDATE" if re.search(r"FOR (NO KEY )?UPDATE", up) else ""
            return "WITH SELECT " + "/".join(t for t in read if t not in ("l", "p")) + lock
        return f"WITH {'+'.join(kinds)} " + "/".join(dict.fromkeys(tables))
    where = re.search(rf"{verb}\s+(\w+)" if verb != "SELECT" else r"\bFROM\s+(\w+)", s, re.I)
    label = f"{verb.split()[0]} {where.group(1) if where else ''}".strip()
    for joined in re.findall(r"\bJOIN\s+(\w+)", s, re.I):
        label += f"+{joined}"
    if verb == "SELECT" and "COUNT(" in up:
        label += " COUNT"
    if re.search(r"FOR (NO KEY )?UPDATE", up):
        label += " FOR UPDATE"
    if verb == "UPDATE" and re.search(r"CASE WHEN \(?[\w.]*ID\b", up):  # bulk_update's
        label += " (bulk)"
    return label


def sql_outline(dump_dir: Path) -> dict[str, list[str]]:
    """Per step, the statement labels of the last request the count run logged."""
    outline = {}
    for path in sorted(dump_dir.glob("*.log")):
        blocks = path.read_text(errors="replace").split("\n-- ")
        labels: list[str] = []
        current: list[str] | None = None
        for line in blocks[-1].splitlines()[1:]:
            m = STATEMENT.search(line)
            if m:
                if current is not None:
                    labels.append(sql_label(" ".join(current)))
                current = [m.group(1)]
            elif current is not None and line.startswith(("\t", " ")):
                current.append(line)
        if current is not None:
            labels.append(sql_label(" ".join(current)))
        outline[path.stem] = labels
    return outline


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    levels = by_level(result)
    xs = sorted(levels)
    m = result["meta"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
    for system, style in (("floor", "s--"), ("shop", "o-")):
        pts = [
            (x, levels[x][system])
            for x in xs
            if system in levels[x] and "flows" in levels[x][system]
        ]
        cx = [x for x, _ in pts]
        ax1.plot(cx, [r["flows"]["per_s"] for _, r in pts], style, label=system)
        ax2.plot(cx, [r["flows"]["p99_ms"] for _, r in pts], style, label=system)
    for ax, title, unit in (
        (ax1, "checkout flows/s", "flows/s"),
        (ax2, "p99 of the whole flow", "ms"),
    ):
        ax.set_xscale("log", base=2)
        ax.set_xticks(xs)
        ax.set_xticklabels([str(x) for x in xs])
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel("concurrent customers")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.suptitle(
        f"shop vs floor, {m['nproc']} CPUs, gunicorn {m['workers']}x{m['threads']} threads, "
        f"{m['duration_s']:g}s per point ({m['date'][:10]})",
        fontsize=10,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--customers", type=int, default=16, help="the headline level (always run)")
    p.add_argument("--concurrency", default="1 4 8 16 32", help="levels, e.g. '1 4 8 16 32'")
    p.add_argument("--duration", type=float, default=20.0, help="measured seconds per phase")
    p.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds per phase")
    p.add_argument("--grace", type=float, default=5.0, help="max wait for in-flight flows")
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="floor/shop pairs at the headline level (alternating who goes first); the "
        "median of their ratios is reported, which the machine's noise moves less",
    )
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers (both systems)")
    p.add_argument("--threads", type=int, default=4, help="threads per worker (1: sync workers)")
    p.add_argument("--products", type=int, default=24, help="shop benchmark catalog size (>= 20)")
    p.add_argument("--stock", type=int, default=1_000_000, help="units of each product")
    p.add_argument("--count-flows", type=int, default=5, help="flows in the SQL count run")
    p.add_argument("--no-count", action="store_true", help="skip the SQL count run")
    p.add_argument(
        "--no-job-worker",
        action="store_true",
        help="start the shop with --no-worker: its jobs (events fanned out, e-mails) wait in "
        "the queue, as when workers run on other machines; the floor has no background work",
    )
    p.add_argument(
        "--shop-serve-args",
        default="",
        help="more `shop serve` options for an A/B run, e.g. '--worker-not-idle'",
    )
    p.add_argument("--pg-log", help="PostgreSQL log file for the count run (default: found)")
    p.add_argument("--pg-host", default="127.0.0.1")
    p.add_argument("--pg-port", type=int, default=5432)
    p.add_argument("--pg-user", default="postgres")
    p.add_argument("--shop-db", default="shop_bench", help="dropped and recreated each run")
    p.add_argument(
        "--cache-url",
        default="redis://127.0.0.1:6379/9",
        help="the shop's SHOP_CACHE_URL ('db' for the database cache table)",
    )
    p.add_argument("--floor-db", default="floor")
    p.add_argument("--progress", type=float, default=2.0, help="seconds between progress lines")
    p.add_argument("--results-dir", default=str(HERE / "results"))
    p.add_argument("--plot", default=str(ROOT / "docs" / "performance.png"))
    p.add_argument("-v", "--verbose", action="store_true", help="show the driver's own tables")
    a = p.parse_args(argv)
    a.levels = sorted(set(parse_levels(a.concurrency)) | {a.customers})
    if a.pg_host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(
            "the benchmark stays on this machine: --pg-host must be a loopback address"
        )
    if a.duration > 600 or a.warmup > 120 or a.products < 20:
        raise SystemExit("bounded runs: --duration <= 600, --warmup <= 120; --products >= 20")

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # so `finally` stops the servers

    signal.signal(signal.SIGTERM, on_term)
    try:
        return Bench(a).run()
    except KeyboardInterrupt:
        log("interrupted: servers stopped")
        return 130
    except RuntimeError as e:  # a server or helper that would not start: its output says why
        log(f"bench failed: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
