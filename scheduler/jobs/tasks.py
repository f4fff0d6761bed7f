"""The jobs: what each one does, when it runs, and what it reports.

Every job reads "now" from the context's clock and is safe to run again at any moment (after
a crash, as a catch-up, or by "run now"): what it sends is recorded in the same transaction
as the message itself.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from ..calendar_sync import service as sync
from ..enums import EventStatus
from ..events import workflow
from ..events.models import Event, Occurrence
from ..extensions import db
from ..notifications.mailer import Courier, MailSettings
from . import notices, reminders
from .failpoints import failpoint
from .runs import Result
from .settings import JobSettings


@dataclass(frozen=True)
class JobContext:
    settings: JobSettings
    mail: MailSettings
    now: Callable[[], datetime]
    holder: str
    run_id: int
    manual: bool = False
    may_send: Callable[[], bool] = lambda: True

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)


def host_reminders(ctx: JobContext) -> Result:
    now = ctx.now()
    plan = reminders.plan_reminders(now, ctx.settings.reminder_offsets)
    queued = reminders.queue_due(
        now, ctx.settings.batch_size, lambda: failpoint("reminders_queued")
    )
    return Result(
        {
            "planned": len(plan.create),
            "reanchored": len(plan.move),
            "dropped": len(plan.drop),
            "queued": queued.sent,
            "skipped": queued.skipped,
        }
    )


def filing_reminders(ctx: JobContext) -> Result:
    s = ctx.settings
    return Result(notices.filing_reminders(ctx.now(), s.filing_lead, s.filing_notice))


def ended_events(now: datetime) -> list[int]:
    """Approved events whose every occurrence has ended."""
    later = sa.exists().where(Occurrence.event_id == Event.id, Occurrence.end_at > now)
    some = sa.exists().where(Occurrence.event_id == Event.id)
    return list(
        db.session.scalars(
            sa.select(Event.id)
            .where(Event.status == EventStatus.APPROVED, some, ~later)
            .order_by(Event.id)
        )
    )


def complete_events(ctx: JobContext) -> Result:
    """Mark ended events completed; the workflow asks their hosts for the attendance."""
    now, done = ctx.now(), 0
    for event_id in ended_events(now):
        try:
            workflow.complete(db.session.get(Event, event_id), workflow.SYSTEM, now=now)
            done += 1
        except workflow.TransitionRefused:  # changed meanwhile
            db.session.rollback()
    return Result({"completed": done})


def quota_digest(ctx: JobContext) -> Result:
    now = ctx.now()
    period = f"run-{ctx.run_id}" if ctx.manual else notices.week_period(now, ctx.tz)
    return Result(notices.quota_digest(now, ctx.tz, period))


def dormant_scan(ctx: JobContext) -> Result:
    now = ctx.now()
    period = f"run-{ctx.run_id}" if ctx.manual else notices.month_period(now, ctx.tz)
    return Result(notices.dormant_scan(now, ctx.tz, period))


def deliver_mail(ctx: JobContext) -> Result:
    report = Courier(ctx.mail, ctx.holder, ctx.now, ctx.may_send, failpoint).run()
    counts = {
        "delivered": report.delivered,
        "to_outbox": report.to_outbox,
        "retrying": report.retrying,
        "refused": report.refused,
        "released": report.released,
    }
    return Result({k: v for k, v in counts.items() if v}, report.errors)


def calendar_sync(ctx: JobContext) -> Result:
    """Fetch and import every society's registered calendar (scheduler/calendar_sync)."""
    counts, errors = sync.sync_all(ctx.now())
    return Result(counts, errors)


@dataclass(frozen=True)
class JobSpec:
    id: str
    label: LazyString
    description: LazyString
    run: Callable[[JobContext], Result]
    trigger: Callable[[JobSettings], BaseTrigger]
    run_at_start: bool = True  # first time in the store: run at once, then on schedule


def _every(job_id: str) -> Callable[[JobSettings], BaseTrigger]:
    return lambda s: IntervalTrigger(seconds=s.intervals[job_id], timezone=s.timezone)


def _cron(attribute: str) -> Callable[[JobSettings], BaseTrigger]:
    return lambda s: CronTrigger.from_crontab(getattr(s, attribute), timezone=s.timezone)


JOBS: dict[str, JobSpec] = {
    spec.id: spec
    for spec in (
        JobSpec(
            "host_reminders",
            _l("Host reminders"),
            _l("Reminds hosts and co-hosts before each session, with the event's .ics."),
            host_reminders,
            _every("host_reminders"),
        ),
        JobSpec(
            "filing_reminders",
            _l("Filing reminders"),
            _l("Major events not yet filed or approved as their filing deadline nears."),
            filing_reminders,
            _every("filing_reminders"),
        ),
        JobSpec(
            "complete_events",
            _l("Completion"),
            _l("Marks ended events completed and asks hosts for the attendance."),
            complete_events,
            _every("complete_events"),
        ),
        JobSpec(
            "quota_digest",
            _l("Weekly quota digest"),
            _l("Series behind pace and sessions still without a host, to organizers."),
            quota_digest,
            _cron("digest_cron"),
            run_at_start=False,
        ),
        JobSpec(
            "dormant_scan",
            _l("Dormant societies"),
            _l("Monthly notice to societies without activities, and to organizers."),
            dormant_scan,
            _cron("dormant_cron"),
            run_at_start=False,
        ),
        JobSpec(
            "deliver_mail",
            _l("Mail delivery"),
            _l("Sends the outbox over SMTP (or keeps it in the outbox without MAIL_SERVER)."),
            deliver_mail,
            _every("deliver_mail"),
        ),
        JobSpec(
            "calendar_sync",
            _l("Calendar sync"),
            _l("Imports the calendars societies keep elsewhere (their .ics URL)."),
            calendar_sync,
            _every("calendar_sync"),
        ),
    )
}
