"""Notices that go out once per period: filing reminders for major events, the weekly quota
digest and the monthly dormant-society scan.

A ``SentNotice`` row (unique per kind, subject, period and recipient) is written with each
outbox message, so a re-run — the catch-up after a crash, or the next scheduled run — sends
nothing twice. Deciding what is due is pure (``filing_due``, ``series_gaps``, the periods).
"""

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from ..database import serialized_writes
from ..enums import EventStatus
from ..events.models import Event
from ..extensions import db
from ..notifications import service as notices
from ..societies.models import Society
from ..urls import absolute_url
from .models import SentNotice

S = EventStatus
# Major events not filed yet (or sent back) and those filed but not approved yet.
UNFILED = (S.DRAFT, S.CHANGES_REQUESTED, S.SUBMITTED)
CANDIDATES_SHOWN = 5

# --- the pure core --------------------------------------------------------------------------


def filing_due(
    events: Iterable[tuple[int, datetime]], now: datetime, lead: timedelta, notice: timedelta
) -> list[tuple[int, datetime]]:
    """(event id, filing deadline) for major events whose deadline (start - lead) is at
    most ``notice`` away, or has passed, and that have not started."""
    return [(eid, start - lead) for eid, start in events if start - lead - notice <= now < start]


def week_period(now: datetime, tz: ZoneInfo) -> str:
    year, week, _day = now.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def month_period(now: datetime, tz: ZoneInfo) -> str:
    return now.astimezone(tz).strftime("%Y-%m")


@dataclass(frozen=True)
class SeriesPace:
    """What the digest needs of one series' year (from the quota figures)."""

    name: str
    target: int
    held_by_month: Sequence[int]
    projected: int
    candidates: Sequence[str] = ()


@dataclass(frozen=True)
class SeriesGap:
    name: str
    held: int
    expected: int
    projected: int
    target: int
    missing: int
    candidates: tuple[str, ...]


def series_gaps(series: Iterable[SeriesPace], month: int) -> list[SeriesGap]:
    """Series behind an even pace at the end of last month, or whose planned sessions do
    not reach the target; ``missing`` sessions still need a date and a host."""
    gaps = []
    for s in series:
        if s.target <= 0:
            continue
        expected = math.floor(s.target * (month - 1) / 12)
        held = sum(s.held_by_month[: month - 1])
        missing = max(0, s.target - s.projected)
        if held < expected or missing:
            gaps.append(
                SeriesGap(
                    s.name,
                    held,
                    expected,
                    s.projected,
                    s.target,
                    missing,
                    tuple(s.candidates[:CANDIDATES_SHOWN]) if missing else (),
                )
            )
    return gaps


# --- the shell ------------------------------------------------------------------------------

Compose = Callable[[str], tuple[str, str]]  # locale -> (subject, body)


def send_once(
    kind: str,
    subject: str,
    period: str,
    recipients: Iterable[tuple[str, str]],
    compose: Compose,
    event_id: int | None = None,
) -> int:
    """Queue one message per recipient who has not had this notice in this period (in the
    caller's transaction); returns how many were queued."""
    recipients = list(dict(recipients).items())
    already = set(
        db.session.scalars(
            sa.select(SentNotice.recipient).where(
                SentNotice.kind == kind,
                SentNotice.subject == subject,
                SentNotice.period == period,
                SentNotice.recipient.in_([email for email, _ in recipients]),
            )
        )
    )
    count = 0
    for email, locale in recipients:
        if email in already:
            continue
        title, body = compose(locale)
        message = notices.queue_message(kind, email, locale, title, body, event_id=event_id)
        db.session.flush()
        db.session.add(
            SentNotice(
                kind=kind, subject=subject, period=period, recipient=email, outbox_id=message.id
            )
        )
        count += 1
    return count


def _committed(send: Callable[[], int]) -> int:
    with serialized_writes():
        count = send()
        db.session.commit()
    return count


def filing_reminders(now: datetime, lead: timedelta, notice: timedelta) -> dict:
    rows = db.session.execute(
        sa.select(Event.id, Event.start_at).where(
            Event.is_major.is_(True),
            Event.status.in_(UNFILED),
            Event.start_at > now,
            Event.start_at <= now + lead + notice,
        )
    ).all()
    due = filing_due(rows, now, lead, notice)
    sent = sum(_committed(lambda e=e, d=d: _filing_notice(e, d, lead)) for e, d in due)
    return {"events": len(due), "notified": sent}


def _filing_notice(event_id: int, deadline: datetime, lead: timedelta) -> int:
    event = db.session.get(Event, event_id)
    recipients = [*notices.society_people(event.host), *notices.organizers()]

    def compose(locale: str) -> tuple[str, str]:
        with force_locale(locale):
            subject = _("Filing due: %(title)s", title=event.title)
        body = notices.render_body(
            "filing_reminder",
            locale,
            event=event,
            deadline=deadline,
            lead_days=lead.days,
            manage_url=absolute_url("portal.event_page", event_id=event.id),
        )
        return subject, body

    period = deadline.date().isoformat()  # a moved event has a new deadline: a new notice
    return send_once("filing_reminder", f"event-{event.id}", period, recipients, compose, event.id)


def _quota_figures(year: int, now: datetime):
    """The quota dashboard's figures (scheduler/quotas), counted as the dashboard counts.
    Imported here so that only these two jobs depend on the quota area."""
    from ..quotas.service import build_dashboard

    return build_dashboard(year, now, with_campaigns=False)


def _pace(progress) -> SeriesPace:
    return SeriesPace(
        name=progress.series.name,
        target=progress.pace_target,
        held_by_month=[m.held for m in progress.months],
        projected=progress.projected,
        candidates=[s.display_name for s in progress.never_hosted],
    )


def quota_digest(now: datetime, tz: ZoneInfo, period: str) -> dict:
    local = now.astimezone(tz)
    figures = _quota_figures(local.year, now)
    gaps = series_gaps([_pace(p) for p in figures.series], local.month)

    def compose(locale: str) -> tuple[str, str]:
        with force_locale(locale):
            subject = _("Quota digest: %(n)s series need attention", n=len(gaps))
        body = notices.render_body(
            "quota_digest",
            locale,
            gaps=gaps,
            year=local.year,
            dormant=figures.dormant,
            dashboard_url=absolute_url("quotas.dashboard", year=local.year),
        )
        return subject, body

    sent = _committed(lambda: send_once("quota_digest", "", period, notices.organizers(), compose))
    return {"series_behind": len(gaps), "notified": sent}


def dormant_scan(now: datetime, tz: ZoneInfo, period: str) -> dict:
    figures = _quota_figures(now.astimezone(tz).year, now)
    ids = [f.society.id for f in figures.dormant]
    societies = db.session.scalars(
        sa.select(Society).where(Society.id.in_(ids)).order_by(Society.name)
    ).all()
    last_held = {f.society.id: f.last_held for f in figures.dormant}
    sent = 0
    for society in societies:
        sent += _committed(lambda s=society: _dormant_notice(s, last_held[s.id], period))
    if societies:
        sent += _committed(lambda: _dormant_summary(societies, last_held, period))
    return {"dormant": len(societies), "notified": sent}


def _dormant_notice(society: Society, last_held: datetime | None, period: str) -> int:
    def compose(locale: str) -> tuple[str, str]:
        with force_locale(locale):
            subject = _("No activities recorded for %(name)s", name=society.name)
        body = notices.render_body(
            "dormant_notice",
            locale,
            society=society,
            last_held=last_held,
            portal_url=absolute_url("portal.my_events"),
        )
        return subject, body

    recipients = notices.society_people(society)
    return send_once("dormant_notice", f"society-{society.id}", period, recipients, compose)


def _dormant_summary(societies: list[Society], last_held: dict, period: str) -> int:
    def compose(locale: str) -> tuple[str, str]:
        with force_locale(locale):
            subject = _("Dormant societies: %(n)s", n=len(societies))
        body = notices.render_body(
            "dormant_summary",
            locale,
            societies=societies,
            last_held=last_held,
            dashboard_url=absolute_url("quotas.dashboard"),
        )
        return subject, body

    return send_once("dormant_summary", "", period, notices.organizers(), compose)
