"""Composing messages and queueing them in the outbox: one row per recipient, in the
recipient's language (Chinese unless their account chose English), in the caller's
transaction. Event notices follow the workflow's ``events_changed`` signal (``init_app``
connects), which arrives inside the change's transaction. Delivery is the mailer's business
(``mailer.py``)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import Flask, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from ..accounts.models import Role, User
from ..enums import PUBLIC_STATUSES
from ..events.models import Event
from ..events.queries import EventFilters
from ..events.signals import EventChange, Summary, events_changed
from ..extensions import db
from ..feeds.service import FeedScope, build_feed
from ..feeds.version import Version
from ..i18n import N_
from ..societies.models import Society
from ..urls import absolute_url
from .models import OutboxMessage

DEFAULT_LOCALE = "zh_CN"

SUBJECTS = {
    "submitted": N_("New submission: %(title)s"),
    "approved": N_("Approved: %(title)s"),
    "rejected": N_("Rejected: %(title)s"),
    "changes_requested": N_("Changes requested: %(title)s"),
    "cancelled": N_("Cancelled: %(title)s"),
    "withdrawn": N_("Withdrawn: %(title)s"),
    "completed": N_("Please record the attendance of %(title)s"),
}


# --- who gets it, in which language --------------------------------------------------------


def unique_emails(emails: Iterable[str]) -> list[str]:
    """Trimmed, lower-cased, without blanks and repeats, in their first order."""
    seen: dict[str, None] = {}
    for email in emails:
        email = (email or "").strip().lower()
        if email:
            seen.setdefault(email, None)
    return list(seen)


def locales_for(emails: Iterable[str]) -> dict[str, str]:
    """The language of the accounts behind these addresses (others get Chinese)."""
    emails = list(emails)
    if not emails:
        return {}
    rows = db.session.execute(
        sa.select(sa.func.lower(User.email), User.locale).where(
            sa.func.lower(User.email).in_(emails)
        )
    )
    return {email: locale for email, locale in rows if locale in ("en", DEFAULT_LOCALE)}


def with_locales(emails: Iterable[str]) -> list[tuple[str, str]]:
    emails = unique_emails(emails)
    locales = locales_for(emails)
    return [(e, locales.get(e, DEFAULT_LOCALE)) for e in emails]


def organizers() -> list[tuple[str, str]]:
    users = db.session.scalars(
        sa.select(User).where(User.role == Role.ORGANIZER, User.active.is_(True)).order_by(User.id)
    )
    return [(u.email.lower(), u.locale or DEFAULT_LOCALE) for u in users]


def society_people(society) -> list[tuple[str, str]]:
    """A society's contact address and its active editors."""
    editors = db.session.scalars(
        sa.select(User.email).where(User.society_id == society.id, User.active.is_(True))
    )
    return with_locales([society.contact_email, *editors])


# --- composing -----------------------------------------------------------------------------


def render_body(template: str, locale: str, **context) -> str:
    with force_locale(locale):
        return render_template(f"emails/{template}.txt", **context).strip()


def event_ics(event: Event, locale: str) -> str:
    """The event's one-event calendar file, as /events/<id>.ics serves it."""
    filters = EventFilters(event_ids=[event.id])
    scope = FeedScope(("event", filters.cache_key()), event.title, event.title, filters)
    version = Version(f"mail-{event.id}-{event.sequence}-{event.updated_at}", event.updated_at)
    with force_locale(locale):
        return build_feed(scope, "en" if locale == "en" else DEFAULT_LOCALE, version).body.decode()


def queue_message(
    kind: str,
    recipient: str,
    locale: str,
    subject: str,
    body: str,
    event_id: int | None = None,
    attachment: tuple[str, str] | None = None,
) -> OutboxMessage:
    """Add one message to the current transaction."""
    name, content = attachment or ("", "")
    message = OutboxMessage(
        kind=kind,
        event_id=event_id,
        recipient=recipient,
        locale=locale,
        # A header is one line: a title with line breaks would make the message unsendable.
        subject=" ".join(subject.splitlines())[:300],
        body=body,
        attachment_name=name,
        attachment=content,
    )
    db.session.add(message)
    return message


# --- event notices -------------------------------------------------------------------------


# The notice each workflow action sends: the status the event is in afterwards.
NOTICE_ACTIONS = frozenset(
    {"submit", "withdraw", "approve", "reject", "request_changes", "cancel", "complete"}
)


def notice_recipients(change: EventChange) -> list[tuple[str, str]]:
    """Organizers for submissions, the host side (contact and editors) for the rest; a
    cancellation also reaches the co-hosts' contacts, who would have had its reminders."""
    if change.status in ("submitted", "withdrawn"):
        return organizers()
    host = db.session.get(Society, change.host_id)
    people = society_people(host) if host is not None else []
    if change.status != "cancelled" or not change.cohost_ids:
        return people
    cohosts = db.session.scalars(
        sa.select(Society.contact_email)
        .where(Society.id.in_(change.cohost_ids))
        .order_by(Society.id)
    )
    return with_locales([*(email for email, _ in people), *cohosts])


def event_link(event: Event) -> str:
    """The page a notice links to: the public page while the public sees the event, else
    the portal's page, which its host and organizers (every notice's recipients) may open."""
    if event.status in PUBLIC_STATUSES:
        return absolute_url("public.event_page", event_id=event.id)
    return absolute_url("portal.event_page", event_id=event.id)


def queue_event_notice_to(
    event: Event, kind: str, email: str, locale: str, reason: str = ""
) -> OutboxMessage:
    with force_locale(locale):
        subject = _(SUBJECTS[kind], title=event.title)
    template = "attendance_request" if kind == "completed" else "event_notice"
    body = render_body(
        template,
        locale,
        event=event,
        subject=subject,
        reason=reason,
        event_url=event_link(event),
        manage_url=absolute_url("portal.event_page", event_id=event.id),
        attendance_url=absolute_url("portal.attendance", event_id=event.id),
    )
    return queue_message(f"event_{kind}", email, locale, subject, body, event_id=event.id)


def queue_event_notices(changes: Iterable[EventChange]) -> int:
    """One outbox row per recipient of each change's notice; returns how many."""
    count = 0
    for change in changes:
        event = db.session.get(Event, change.event_id)
        if change.action not in NOTICE_ACTIONS or event is None:
            continue
        for email, locale in notice_recipients(change):
            queue_event_notice_to(event, change.status, email, locale, change.reason)
            count += 1
    return count


def on_events_changed(
    sender, changes: tuple[EventChange, ...], summary: Summary | None = None, **extra
) -> None:
    """The receiver of ``events_changed``, inside the change's transaction."""
    if summary is None:
        queue_event_notices(changes)
        return
    collected = NoticeSummary()
    for change in changes:
        if change.action in NOTICE_ACTIONS:
            collected.add(change, notice_recipients(change))
    queue_summaries(collected, summary.subject, summary.params)


def init_app(app: Flask) -> None:
    events_changed.connect(on_events_changed)  # once per process: connecting is idempotent


def queue_reminder(event: Event, reminder) -> OutboxMessage:
    """A host reminder with the event's .ics attached."""
    locale = reminder.locale
    with force_locale(locale):
        subject = _("Reminder: %(title)s", title=event.title)
    body = render_body(
        "reminder",
        locale,
        event=event,
        starts_at=reminder.starts_at,
        event_url=absolute_url("public.event_page", event_id=event.id),
        manage_url=absolute_url("portal.event_page", event_id=event.id),
    )
    return queue_message(
        "reminder",
        reminder.recipient,
        locale,
        subject,
        body,
        event_id=event.id,
        attachment=(f"event-{event.id}.ics", event_ics(event, locale)),
    )


# --- one summary per society instead of one notice per event (a plan's accept and undo) ---

# Kinds left out of a summary: the organizer who runs the plan files the sessions themself.
NOT_SUMMARIZED = frozenset({"submitted", "withdrawn"})


@dataclass(frozen=True)
class SummaryLine:
    """One event's change, as it was when the workflow made it (undo then deletes the
    event, so nothing is read from it later but its id)."""

    kind: str
    event_id: int
    title: str
    start_at: datetime
    end_at: datetime
    venue: str


@dataclass
class NoticeSummary:
    """Per recipient (email, locale), the lines their notices would have said."""

    lines: dict[tuple[str, str], list[SummaryLine]] = field(default_factory=dict)

    def add(self, change: EventChange, recipients: list[tuple[str, str]]) -> None:
        if change.status in NOT_SUMMARIZED:
            return
        line = SummaryLine(
            change.status,
            change.event_id,
            change.title,
            change.start_at,
            change.end_at,
            change.venue,
        )
        for recipient in recipients:
            found = self.lines.setdefault(recipient, [])
            if line not in found:
                found.append(line)


def queue_summaries(summary: NoticeSummary, subject: str, params: dict) -> int:
    """One message per recipient: everyone of a society gets the same list of its events."""
    db.session.flush()
    ids = {line.event_id for lines in summary.lines.values() for line in lines}
    events = db.session.scalars(sa.select(Event).where(Event.id.in_(ids))).all() if ids else []
    links = {event.id: event_link(event) for event in events}  # undo deleted the others
    for (email, locale), lines in summary.lines.items():
        with force_locale(locale):
            title = _(subject, **params)
        body = render_body(
            "notice_summary",
            locale,
            subject=title,
            lines=sorted(lines, key=lambda line: (line.start_at, line.event_id)),
            links=links,
            portal_url=absolute_url("portal.my_events"),
        )
        queue_message("event_summary", email, locale, title, body)
    return len(summary.lines)
