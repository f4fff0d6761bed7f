"""The jobs' settings, read from the app config and checked when the scheduler starts: a bad
value stops it with a message that names the setting, instead of failing hours later."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.triggers.cron import CronTrigger

from . import failpoints

MAX_OFFSET = timedelta(days=365)
_OFFSET = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*([dh]?)$")


class JobsConfigError(ValueError):
    """The configuration cannot run; the message lists every problem."""


def parse_offset(item) -> timedelta:
    """'7d', '36h' or a number of days, as a positive timedelta of at most a year."""
    if isinstance(item, timedelta):
        value = item
    elif isinstance(item, int | float):
        value = timedelta(days=item)
    else:
        match = _OFFSET.match(str(item).strip().lower())
        if not match:
            raise ValueError(f"{item!r} is not an offset like '7d' or '36h'")
        number, unit = float(match.group(1)), match.group(2) or "d"
        value = timedelta(hours=number) if unit == "h" else timedelta(days=number)
    if value <= timedelta(0):
        raise ValueError(f"{item!r} is not after zero: reminders go out before an event")
    if value > MAX_OFFSET:
        raise ValueError(f"{item!r} is longer than a year ({MAX_OFFSET.days} days)")
    if value % timedelta(minutes=1):
        raise ValueError(f"{item!r} is not a whole number of minutes")
    return value


def parse_offsets(raw) -> tuple[timedelta, ...]:
    """REMINDER_OFFSETS ("7d,1d" or a list) as distinct offsets, longest first."""
    items: Iterable = raw.split(",") if isinstance(raw, str) else raw
    items = [i for i in items if str(i).strip()]
    if not items:
        raise ValueError("no offset given (e.g. REMINDER_OFFSETS=7d,1d)")
    return tuple(sorted({parse_offset(i) for i in items}, reverse=True))


@dataclass(frozen=True)
class JobSettings:
    reminder_offsets: tuple[timedelta, ...]
    filing_lead: timedelta
    filing_notice: timedelta
    intervals: dict[str, int]
    digest_cron: str
    dormant_cron: str
    misfire_grace: int
    poll: float
    lease: timedelta
    heartbeat: float
    batch_size: int
    timezone: str

    @classmethod
    def from_config(cls, config) -> "JobSettings":
        problems: list[str] = []

        def read(name: str, convert):
            try:
                return convert(config.get(name))
            except (TypeError, ValueError) as exc:
                problems.append(f"{name}: {exc}")
                return None

        settings = cls(
            reminder_offsets=read("REMINDER_OFFSETS", parse_offsets),
            filing_lead=timedelta(days=read("FILING_LEAD_DAYS", _at_least(0)) or 0),
            filing_notice=timedelta(days=read("FILING_REMINDER_DAYS", _at_least(0)) or 0),
            intervals={
                job: read(name, _at_least(1))
                for job, name in (
                    ("host_reminders", "JOBS_REMINDER_SECONDS"),
                    ("filing_reminders", "JOBS_FILING_SECONDS"),
                    ("complete_events", "JOBS_COMPLETION_SECONDS"),
                    ("deliver_mail", "JOBS_DELIVERY_SECONDS"),
                    ("calendar_sync", "JOBS_CALENDAR_SYNC_SECONDS"),
                )
            },
            digest_cron=read("JOBS_QUOTA_DIGEST_CRON", _crontab),
            dormant_cron=read("JOBS_DORMANT_SCAN_CRON", _crontab),
            misfire_grace=read("JOBS_MISFIRE_GRACE_SECONDS", _at_least(1)),
            poll=read("JOBS_POLL_SECONDS", _positive),
            lease=timedelta(seconds=read("JOBS_LEASE_SECONDS", _at_least(1)) or 1),
            heartbeat=read("JOBS_HEARTBEAT_SECONDS", _positive),
            batch_size=read("JOBS_BATCH_SIZE", _at_least(1)),
            timezone=config.get("TIMEZONE", "Asia/Shanghai"),
        )
        read("JOBS_FAILPOINT", failpoints.parse)
        if settings.heartbeat and settings.heartbeat * 2 > settings.lease.total_seconds():
            problems.append(
                "JOBS_HEARTBEAT_SECONDS: must be at most half of JOBS_LEASE_SECONDS, "
                "or the lease may expire between two heartbeats"
            )
        if problems:
            raise JobsConfigError("the scheduler cannot start:\n  " + "\n  ".join(problems))
        return settings


def _at_least(low: int):
    def convert(value) -> int:
        number = int(value)
        if number < low:
            raise ValueError(f"{value!r} is below {low}")
        return number

    return convert


def _positive(value) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError(f"{value!r} is not positive")
    return number


def _crontab(value) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a crontab expression like '0 8 * * mon'")
    CronTrigger.from_crontab(value)  # raises ValueError with the reason
    return value
