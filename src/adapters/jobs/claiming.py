"""django-tasks-db's worker, with its claims and its finishes batched on PostgreSQL.

Its own loop claims a job in a transaction of four statements (BEGIN, a locking SELECT,
an UPDATE through the ORM, COMMIT) and marks it done through a model save: for the
shop's short jobs (an event fanned out, an e-mail) that was about a third of the
worker's CPU, on the two cores it shares with the web workers. Here one statement
claims up to ``CLAIM_BATCH`` ready jobs, ``UPDATE ... WHERE id IN (SELECT ... FOR
UPDATE SKIP LOCKED) RETURNING``, in the same order, by the same partial index and with
the same row lock that lets several workers share the queue; they run one by one, and
one ``UPDATE`` marks those that succeeded. The events the batch's dispatch jobs fan out
are read for all of them in one statement too (``tasks.reading_ahead``). A batch is
held at most ``HOLD_SECONDS``: what is left then (a slow job, say a webhook to a slow
receiver) goes back to the queue for any worker, and so does what a stopping worker
has not started. A worker killed mid-batch leaves its jobs RUNNING, as the engine's own
loop does with its one job, and the ``requeue_stalled`` sweep gives them back (every
job here is safe to repeat). The job rows, their statuses and every other path
(SQLite, a failed job, the admin) stay django-tasks-db's own.
"""

from __future__ import annotations

import json
import random
import time
from functools import cached_property
from typing import Any

from django.db import close_old_connections, connection
from django.utils import timezone
from django_tasks_db.compat import TaskContext, TaskResultStatus, task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker, logger
from django_tasks_db.models import DBTaskResult, get_date_max

from adapters.jobs.tasks import reading_ahead

_TABLE = DBTaskResult._meta.db_table
_NO_RUN_AFTER = get_date_max()  # django-tasks-db's "run whenever"

#: Jobs one claim takes: a backlog (the worker yields the cores to the web workers
#: under load) is worked off with two statements per batch instead of two per job.
CLAIM_BATCH = 20
#: Claimed jobs not started this long after the claim go back to the queue.
HOLD_SECONDS = 0.5


def _column(name: str) -> str:
    return str(DBTaskResult._meta.get_field(name).column)


def _queue_order(row: DBTaskResult) -> tuple[int, Any, Any]:
    """django-tasks-db's order (RETURNING gives the claimed rows in none)."""
    return (-row.priority, row.run_after, row.enqueued_at)


class ShopWorker(Worker):
    """The worker `shop worker` runs (adapters/jobs/worker.py)."""

    claim_batch = CLAIM_BATCH
    hold_seconds = HOLD_SECONDS

    def run(self) -> None:
        if connection.vendor != "postgresql":
            super().run()  # SQLite: django-tasks-db's exclusive transactions
            return
        logger.info(
            "Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names)
        )
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # workers started together spread out
        while self.running:
            close_old_connections()
            rows = self.claim_next_batch()
            if rows:
                self.run_batch(rows)
            elif self.batch:
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            if self.running and not rows:
                time.sleep(self.interval)

    @cached_property
    def _claim_sql(self) -> str:
        """The claim, built once per worker (only its times and names change)."""
        queue = _column("queue_name")
        queues = "" if self.process_all_queues else f"AND {queue} = ANY(%s) "
        if self.excluded_queue_names:
            queues += f"AND NOT ({queue} = ANY(%s)) "
        run_after = _column("run_after")
        return (
            f"UPDATE {_TABLE} SET status = '{TaskResultStatus.RUNNING}', "
            f"{_column('started_at')} = %s, "
            f"{_column('worker_ids')} = {_column('worker_ids')} || %s::jsonb "
            f"WHERE id IN (SELECT id FROM {_TABLE} "
            f"WHERE status = '{TaskResultStatus.READY}' AND {_column('backend_name')} = %s "
            f"{queues}AND ({run_after} = %s OR {run_after} <= %s) "
            f"ORDER BY priority DESC, {run_after} ASC, {_column('enqueued_at')} ASC "
            "LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING *"
        )

    def claim_next_batch(self, limit: int | None = None) -> list[DBTaskResult]:
        """Up to ``limit`` (``claim_batch``) ready jobs of this worker's queues, in the
        engine's order, marked RUNNING and committed."""
        limit = limit or self.claim_batch
        if self.max_tasks is not None:
            limit = max(1, min(limit, self.max_tasks - self._run_tasks))
        now = timezone.now()
        queues = [] if self.process_all_queues else [self.queue_names]
        if self.excluded_queue_names:
            queues.append(self.excluded_queue_names)
        params = [now, json.dumps([self.worker_id]), self.backend_name, *queues]
        params += [_NO_RUN_AFTER, now, limit]
        return sorted(DBTaskResult.objects.raw(self._claim_sql, params), key=_queue_order)

    def claim_next(self) -> DBTaskResult | None:
        """The next ready job, claimed alone."""
        found = self.claim_next_batch(1)
        return found[0] if found else None

    def run_batch(self, rows: list[DBTaskResult]) -> None:
        """Run claimed jobs in order, then mark those that succeeded in one statement
        (a failed one is marked at once, by the engine's own save). Whatever stops the
        batch (the hold time, a stop signal, an exception) gives back the jobs not yet
        started and marks those done."""
        deadline = time.monotonic() + self.hold_seconds
        done: list[tuple[DBTaskResult, str]] = []
        started = 0
        # While it holds a batch the worker counts as busy: a first stop signal ends
        # the batch after the current job instead of exiting at once.
        self.running_task = True
        try:
            with reading_ahead(rows):  # the batch's events, in one read
                for row in rows:
                    if not self.running or (started and time.monotonic() > deadline):
                        break
                    started += 1
                    value = self._run(row)
                    if value is not None:
                        done.append((row, value))
        finally:
            self.running_task = False
            release(rows[started:])
            finish_all([row for row, _ in done], [value for _, value in done])
            for row, _ in done:
                task_finished.send(sender=type(row.task.get_backend()), task_result=row.task_result)

    def _run(self, row: DBTaskResult) -> str | None:
        """Run one claimed job: its return value as JSON when it succeeded (marked with
        the batch); None when it failed (marked now, as django-tasks-db marks it)."""
        try:
            task = row.task
            task_result = row.task_result
            task_started.send(sender=task.get_backend(), task_result=task_result)
            if task.takes_context:
                value = task.call(
                    TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs
                )
            else:
                value = task.call(*task_result.args, **task_result.kwargs)
            # Encoded here, so that a value JSON cannot hold fails this job alone.
            encoded = json.dumps(value, cls=_RETURN_VALUE.encoder)
            row.return_value = value
            return encoded
        # Not BaseException: a forced exit mid-job leaves the job RUNNING, for
        # requeue_stalled to give back, instead of FAILED and never run again.
        except Exception as error:
            row.set_failed(error)  # rare: django-tasks-db's own save
            task_finished.send(sender=type(row.task.get_backend()), task_result=row.task_result)
            return None
        finally:
            self._run_tasks += 1

    def run_task(self, db_task_result: DBTaskResult) -> None:
        if connection.vendor != "postgresql":
            super().run_task(db_task_result)
            return
        self.run_batch([db_task_result])


_RETURN_VALUE = DBTaskResult._meta.get_field("return_value")

_FINISH_SQL = (
    f"UPDATE {_TABLE} t SET status = '{TaskResultStatus.SUCCESSFUL}', "
    f"{_column('return_value')} = d.value::jsonb, {_column('finished_at')} = %s, "
    f"{_column('exception_class_path')} = '', {_column('traceback')} = '' "
    "FROM unnest(%s::uuid[], %s::text[]) AS d(id, value) WHERE t.id = d.id"
)


def finish_all(rows: list[DBTaskResult], values: list[str]) -> None:
    """Mark claimed jobs SUCCESSFUL with their return values (``values``: JSON of
    each row's ``return_value``), as ``set_successful`` does, in one statement."""
    if not rows:
        return
    now = timezone.now()
    for row in rows:
        row.status = TaskResultStatus.SUCCESSFUL
        row.finished_at = now
        row.exception_class_path = row.traceback = ""
    with connection.cursor() as cursor:
        cursor.execute(_FINISH_SQL, [now, [row.id for row in rows], values])


# Back to READY as if never claimed: this worker's id comes off the end of worker_ids.
_RELEASE_SQL = (
    f"UPDATE {_TABLE} SET status = '{TaskResultStatus.READY}', {_column('started_at')} = NULL, "
    f"{_column('worker_ids')} = {_column('worker_ids')} - -1 "
    f"WHERE id = ANY(%s) AND status = '{TaskResultStatus.RUNNING}'"
)


def release(rows: list[DBTaskResult]) -> None:
    """Give claimed jobs that were not started back to the queue."""
    if rows:
        with connection.cursor() as cursor:
            cursor.execute(_RELEASE_SQL, [[row.id for row in rows]])
