"""django-tasks-db's worker, with its claim and its finish as one statement each on
PostgreSQL.

Its own loop claims a job in a transaction of four statements (BEGIN, a locking SELECT,
an UPDATE through the ORM, COMMIT) and marks it done through a model save: for the
shop's short jobs (an event fanned out, an e-mail) that was about a third of the
worker's CPU, on the two cores it shares with the web workers. Here the claim is
``UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING``, in the same
order, by the same partial index and with the same row lock that lets several workers
share the queue, and the finish one ``UPDATE`` by key. The job rows, their statuses and
every other path (SQLite, a failed job, the admin) stay django-tasks-db's own.
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

_TABLE = DBTaskResult._meta.db_table


_NO_RUN_AFTER = get_date_max()  # django-tasks-db's "run whenever"


def _column(name: str) -> str:
    return str(DBTaskResult._meta.get_field(name).column)


class ShopWorker(Worker):
    """The worker `shop worker` runs (adapters/jobs/worker.py)."""

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
            row = self.claim_next()
            if row is not None:
                self.run_task(row)
            elif self.batch:
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            if self.running and row is None:
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
            f"WHERE id = (SELECT id FROM {_TABLE} "
            f"WHERE status = '{TaskResultStatus.READY}' AND {_column('backend_name')} = %s "
            f"{queues}AND ({run_after} = %s OR {run_after} <= %s) "
            f"ORDER BY priority DESC, {run_after} ASC, {_column('enqueued_at')} ASC "
            "LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING *"
        )

    def claim_next(self) -> DBTaskResult | None:
        """The next ready job of this worker's queues, marked RUNNING and committed."""
        now = timezone.now()
        queues = [] if self.process_all_queues else [self.queue_names]
        if self.excluded_queue_names:
            queues.append(self.excluded_queue_names)
        params = [now, json.dumps([self.worker_id]), self.backend_name, *queues, _NO_RUN_AFTER, now]
        found = list(DBTaskResult.objects.raw(self._claim_sql, params))
        return found[0] if found else None

    def run_task(self, db_task_result: DBTaskResult) -> None:
        if connection.vendor != "postgresql":
            super().run_task(db_task_result)
            return
        # django-tasks-db's run_task, with the finish as one UPDATE.
        try:
            self.running_task = True
            task = db_task_result.task
            task_result = db_task_result.task_result
            backend_type = task.get_backend()
            task_started.send(sender=backend_type, task_result=task_result)
            if task.takes_context:
                value = task.call(
                    TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs
                )
            else:
                value = task.call(*task_result.args, **task_result.kwargs)
            finish(db_task_result, value)
            task_finished.send(sender=backend_type, task_result=db_task_result.task_result)
        except BaseException as error:
            db_task_result.set_failed(error)  # rare: django-tasks-db's own save
            task_finished.send(
                sender=type(db_task_result.task.get_backend()),
                task_result=db_task_result.task_result,
            )
        finally:
            self.running_task = False
            self._run_tasks += 1


_FINISH_SQL = (
    f"UPDATE {_TABLE} SET status = %s, {_column('return_value')} = %s, "
    f"{_column('finished_at')} = %s, {_column('exception_class_path')} = '', "
    f"{_column('traceback')} = '' WHERE id = %s"
)


def finish(row: DBTaskResult, value: Any) -> None:
    """Mark a claimed job SUCCESSFUL with its return value, as ``set_successful`` does."""
    row.status = TaskResultStatus.SUCCESSFUL
    row.finished_at = timezone.now()
    row.return_value = value
    row.exception_class_path = row.traceback = ""
    prepared = DBTaskResult._meta.get_field("return_value").get_db_prep_save(value, connection)
    with connection.cursor() as cursor:
        cursor.execute(_FINISH_SQL, [row.status, prepared, row.finished_at, row.id])
