"""The record of job runs, and "run now" requests: /admin/jobs writes a request row, the
scheduler process picks it up (the web process never runs a job itself)."""

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from ..database import serialized_writes
from ..extensions import db
from .models import JobRun, RunState

log = logging.getLogger(__name__)
KEEP_RUNS = 200  # per job and outcome; older ones are pruned
FAILURES_SHOWN = 5
JOBSTORE_TABLE = "apscheduler_jobs"


@dataclass
class Result:
    """What a run did (labelled counts) and the errors it met without failing outright."""

    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _begin(job_id: str, holder: str, now: datetime, request_id: int | None) -> int | None:
    with serialized_writes():
        if request_id is None:
            run = JobRun(job_id=job_id, holder=holder, requested_at=now, started_at=now)
            db.session.add(run)
            db.session.flush()
            run_id = run.id
        else:
            taken = db.session.execute(
                sa.update(JobRun)
                .where(JobRun.id == request_id, JobRun.state == RunState.REQUESTED)
                .values(state=RunState.RUNNING, holder=holder, started_at=now)
            )
            run_id = request_id if taken.rowcount == 1 else None
        db.session.commit()
    return run_id


def _finish(run_id: int, now: datetime, result: Result | None, error: str) -> None:
    failed = bool(error or (result and result.errors))
    with serialized_writes():
        db.session.execute(
            sa.update(JobRun)
            .where(JobRun.id == run_id)
            .values(
                state=RunState.FAILED if failed else RunState.OK,
                finished_at=now,
                counts=result.counts if result else {},
                error=error or "\n".join(result.errors if result else []),
            )
        )
        db.session.commit()


def record(
    job_id: str,
    run: Callable[[int], Result],
    now: Callable[[], datetime],
    holder: str,
    request_id: int | None = None,
) -> Result | None:
    """Run ``run(run_id)`` as one recorded run: its row says running, then ok or failed
    with the error. A crash leaves it running; the next scheduler marks it interrupted."""
    run_id = _begin(job_id, holder, now(), request_id)
    if run_id is None:
        return None
    try:
        result = run(run_id)
    except Exception as exc:
        db.session.rollback()
        log.exception("job %s failed", job_id)
        lines = traceback.format_exception_only(type(exc), exc)
        _finish(run_id, now(), None, "".join(lines).strip()[:4000])
        return None
    _finish(run_id, now(), result, "")
    _prune(job_id)
    return result


def _prune(job_id: str) -> None:
    """Keep the latest KEEP_RUNS successful runs of a job, and as many failed ones (so a
    frequent job does not push its failures out of sight)."""
    kinds = ([RunState.OK], [RunState.FAILED, RunState.INTERRUPTED])
    with serialized_writes():
        for states in kinds:
            ids = db.session.scalars(
                sa.select(JobRun.id)
                .where(JobRun.job_id == job_id, JobRun.state.in_(states))
                .order_by(JobRun.id.desc())
                .offset(KEEP_RUNS)
                .limit(1000)
            ).all()
            if ids:
                db.session.execute(sa.delete(JobRun).where(JobRun.id.in_(ids)))
        db.session.commit()


def requested_runs() -> list[tuple[int, str]]:
    """(run id, job id) of the runs requested from /admin/jobs, oldest first."""
    return list(
        db.session.execute(
            sa.select(JobRun.id, JobRun.job_id)
            .where(JobRun.state == RunState.REQUESTED)
            .order_by(JobRun.id)
        ).all()
    )


def interrupt_others(holder: str, now: datetime) -> int:
    """Runs left "running" by a scheduler that is gone were interrupted."""
    with serialized_writes():
        result = db.session.execute(
            sa.update(JobRun)
            .where(JobRun.state == RunState.RUNNING, JobRun.holder != holder)
            .values(state=RunState.INTERRUPTED, finished_at=now)
        )
        db.session.commit()
    return result.rowcount


# --- for the web process --------------------------------------------------------------------


def request_run(job_id: str, by) -> JobRun:
    """Ask the scheduler to run a job now (it polls every JOBS_POLL_SECONDS)."""
    run = JobRun(job_id=job_id, manual=True, state=RunState.REQUESTED, requested_by_id=by.id)
    db.session.add(run)
    db.session.commit()
    return run


@dataclass
class JobStatus:
    job_id: str
    next_run: datetime | None = None
    last: JobRun | None = None
    failures: list[JobRun] = field(default_factory=list)
    waiting: int = 0  # requests not picked up yet


def overview(job_ids: list[str]) -> dict[str, JobStatus]:
    statuses = {job_id: JobStatus(job_id) for job_id in job_ids}
    for job_id, when in next_run_times().items():
        if job_id in statuses:
            statuses[job_id].next_run = when
    for status in statuses.values():
        base = sa.select(JobRun).where(JobRun.job_id == status.job_id)
        status.last = db.session.scalar(
            base.where(JobRun.state != RunState.REQUESTED).order_by(JobRun.id.desc()).limit(1)
        )
        status.failures = list(
            db.session.scalars(
                base.where(JobRun.state.in_([RunState.FAILED, RunState.INTERRUPTED]))
                .order_by(JobRun.id.desc())
                .limit(FAILURES_SHOWN)
            )
        )
        status.waiting = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(JobRun)
            .where(JobRun.job_id == status.job_id, JobRun.state == RunState.REQUESTED)
        )
    return statuses


def next_run_times() -> dict[str, datetime | None]:
    """From APScheduler's job store table (only its plain columns are read)."""
    if not sa.inspect(db.engine).has_table(JOBSTORE_TABLE):
        return {}
    table = sa.table(JOBSTORE_TABLE, sa.column("id"), sa.column("next_run_time"))
    rows = db.session.execute(sa.select(table.c.id, table.c.next_run_time)).all()
    return {
        job_id: datetime.fromtimestamp(ts, UTC) if ts is not None else None for job_id, ts in rows
    }
