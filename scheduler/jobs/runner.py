"""The scheduler process: APScheduler 3.x with its job store in the application database."""

import contextlib
import logging
import signal

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from ..extensions import db

log = logging.getLogger(__name__)


def build_scheduler(app: Flask) -> BlockingScheduler:
    jobstore = SQLAlchemyJobStore(engine=db.engine, tablename="apscheduler_jobs")
    return BlockingScheduler(
        jobstores={"default": jobstore},
        job_defaults={"coalesce": True, "misfire_grace_time": 3600, "max_instances": 1},
        timezone=app.config["TIMEZONE"],
    )


def run_scheduler(app: Flask) -> None:
    """Run until SIGINT/SIGTERM. Jobs are registered by the jobs area as it grows."""
    scheduler = build_scheduler(app)

    def stop(signum, frame):
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    log.info("scheduler started with %d job(s)", len(scheduler.get_jobs()))
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
