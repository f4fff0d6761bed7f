"""The scheduler process (`flask --app scheduler jobs`): APScheduler 3.x with its job store in
the application database. Web workers never run jobs.

The main thread holds the lease: it waits until it can take it, starts APScheduler, renews
the lease with a heartbeat, and stops the jobs if it ever loses it. A second process started
beside it waits, and takes over once the first has died and its lease has expired.
"""

import contextlib
import logging
import signal
import threading
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..notifications.mailer import MailSettings, recover
from . import lease as leases
from . import runs
from .clock import Clock
from .settings import JobSettings
from .tasks import JOBS, JobContext

log = logging.getLogger(__name__)
JOBSTORE_TABLE = runs.JOBSTORE_TABLE

_process: "SchedulerProcess | None" = None


def execute(job_id: str) -> None:
    """What the job store calls, by reference, for every scheduled run."""
    if _process is None:
        raise RuntimeError("jobs run only inside the scheduler process")
    _process.run_job(job_id)


class _Scheduler(BackgroundScheduler):
    """APScheduler guards only its first job store query against errors: another one failing
    (the database going away between two of them) would end its thread for good while the
    heartbeat kept the lease. Here the loop goes on and tries again."""

    def _process_jobs(self):
        try:
            return super()._process_jobs()
        except Exception as exc:
            log.warning("cannot reach the job store: %s", exc)
            return self.jobstore_retry_interval


def build_scheduler(settings: JobSettings) -> BackgroundScheduler:
    return _Scheduler(
        jobstores={
            "default": SQLAlchemyJobStore(engine=db.engine, tablename=JOBSTORE_TABLE),
            "internal": MemoryJobStore(),
        },
        executors={"default": ThreadPoolExecutor(4)},
        job_defaults={
            "coalesce": True,  # runs missed while down are caught up once, not once each
            "misfire_grace_time": settings.misfire_grace,
            "max_instances": 1,
        },
        timezone=settings.timezone,
        # After a database outage, look for due jobs again as soon as a heartbeat would.
        jobstore_retry_interval=min(settings.heartbeat, 10),
    )


def sync_jobs(scheduler: BackgroundScheduler, settings: JobSettings) -> None:
    """Put every job in the store. A job already there keeps its next run time (so a run
    missed while the scheduler was down is caught up), unless its schedule has changed."""
    defaults = {"coalesce": True, "misfire_grace_time": settings.misfire_grace}
    for spec in JOBS.values():
        trigger = spec.trigger(settings)
        job = scheduler.get_job(spec.id, "default")
        if job is None:
            first = {"next_run_time": datetime.now(UTC)} if spec.run_at_start else {}
            scheduler.add_job(
                execute, trigger, args=[spec.id], id=spec.id, name=spec.id, **defaults, **first
            )
            continue
        if str(job.trigger) != str(trigger):
            scheduler.reschedule_job(spec.id, "default", trigger=trigger)
        if job.misfire_grace_time != settings.misfire_grace or not job.coalesce:
            scheduler.modify_job(spec.id, "default", **defaults)
    for job in scheduler.get_jobs("default"):
        if job.id not in JOBS:
            job.remove()


class SchedulerProcess:
    def __init__(self, app: Flask, clock: Clock | None = None):
        self.app = app
        self.settings = JobSettings.from_config(app.config)
        self.mail = MailSettings.from_config(app.config)
        self.clock = clock or Clock.from_config(app.config)
        self.holder = leases.new_holder_id()
        self.stopping = threading.Event()
        self.lease: leases.Lease | None = None

    # --- the lease, in the main thread ---------------------------------------------------

    def run(self) -> None:
        global _process
        _process = self
        with self.app.app_context():
            while not self.stopping.is_set():
                try:
                    if self._wait_for_lease():
                        self._lead()
                except SQLAlchemyError as exc:  # the database went away as the jobs started
                    with contextlib.suppress(SQLAlchemyError):
                        db.session.rollback()
                    log.warning("cannot reach the database to start the jobs: %s", exc)
                    self.stopping.wait(self.settings.heartbeat)

    def stop(self, *_args) -> None:
        self.stopping.set()

    def _wait_for_lease(self) -> bool:
        told = False
        while not self.stopping.is_set():
            try:
                self.lease = leases.try_acquire(self.holder, self.clock.now(), self.settings.lease)
                if self.lease is not None:
                    return True
                if not told:
                    row = leases.current()
                    log.info("waiting: %s holds the scheduler lease", row.holder if row else "?")
                    db.session.rollback()
                    told = True
            except SQLAlchemyError as exc:
                db.session.rollback()
                log.warning("cannot reach the database for the lease: %s", exc)
            self.stopping.wait(self.settings.heartbeat)
        return False

    def _lead(self) -> None:
        now = self.clock.now()
        log.info("%s holds the scheduler lease (epoch %s)", self.holder, self.lease.epoch)
        runs.interrupt_others(self.holder, now)
        recover(self.holder)
        scheduler = build_scheduler(self.settings)
        scheduler.start(paused=True)
        try:
            sync_jobs(scheduler, self.settings)
            scheduler.add_job(
                self.poll_requests,
                "interval",
                seconds=self.settings.poll,
                id="poll_requests",
                jobstore="internal",
                next_run_time=datetime.now(UTC),
            )
            scheduler.resume()
            log.info("scheduler started with %d job(s)", len(scheduler.get_jobs("default")))
            self._heartbeat()
        finally:
            scheduler.shutdown(wait=True)
            self._release()
            # Lead again as someone else: what this lead's jobs left claimed (a run that lost
            # the database) is then recovered like a dead scheduler's.
            self.holder = leases.new_holder_id()

    def _heartbeat(self) -> None:
        while not self.stopping.wait(self.settings.heartbeat):
            now = self.clock.now()
            try:
                renewed = leases.renew(self.lease, now, self.settings.lease)
            except SQLAlchemyError as exc:
                db.session.rollback()
                log.warning("could not renew the lease: %s", exc)
                if self.lease.valid(now):
                    continue
                renewed = None
            if renewed is None:
                log.error("lost the scheduler lease; stopping the jobs")
                self.lease = None
                return
            self.lease = renewed

    def _release(self) -> None:
        if self.lease is not None and self.stopping.is_set():
            with contextlib.suppress(SQLAlchemyError):
                leases.release(self.lease, self.clock.now())
        self.lease = None

    def may_send(self) -> bool:
        """Whether a job may still hand something over: we hold the lease, with a margin
        for clocks that differ between hosts, and are not stopping."""
        lease = self.lease
        margin = timedelta(seconds=self.settings.heartbeat)
        return (
            lease is not None
            and lease.valid(self.clock.now(), margin)
            and not self.stopping.is_set()
        )

    # --- the jobs, in APScheduler's threads ------------------------------------------------

    def run_job(self, job_id: str, request_id: int | None = None) -> None:
        spec = JOBS.get(job_id)
        if spec is None:
            log.warning("unknown job %s", job_id)
            return
        with self.app.app_context():

            def run(run_id: int):
                return spec.run(self._context(run_id, manual=request_id is not None))

            runs.record(job_id, run, self.clock.now, self.holder, request_id)

    def poll_requests(self) -> None:
        """Run the jobs requested from /admin/jobs."""
        with self.app.app_context():
            requests = runs.requested_runs()
            db.session.rollback()
        for request_id, job_id in requests:
            if self.may_send():
                self.run_job(job_id, request_id)

    def _context(self, run_id: int, manual: bool) -> JobContext:
        return JobContext(
            settings=self.settings,
            mail=self.mail,
            now=self.clock.now,
            holder=self.holder,
            run_id=run_id,
            manual=manual,
            may_send=self.may_send,
        )


def run_scheduler(app: Flask) -> None:
    """Run until SIGINT/SIGTERM; a bad configuration raises JobsConfigError first."""
    process = SchedulerProcess(app)
    signal.signal(signal.SIGTERM, process.stop)
    signal.signal(signal.SIGINT, process.stop)
    process.run()
