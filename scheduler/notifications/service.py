"""Queueing messages about events in the outbox, one per recipient, in their language."""

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from ..accounts.models import Role, User
from ..extensions import db
from ..i18n import N_
from ..urls import absolute_url
from .models import OutboxMessage

SUBJECTS = {
    "submitted": N_("New submission: %(title)s"),
    "approved": N_("Approved: %(title)s"),
    "rejected": N_("Rejected: %(title)s"),
    "changes_requested": N_("Changes requested: %(title)s"),
    "cancelled": N_("Cancelled: %(title)s"),
    "withdrawn": N_("Withdrawn: %(title)s"),
}


def _recipients(event, kind: str) -> list[tuple[str, str]]:
    """(email, locale) pairs: organizers for submissions, the host side for decisions."""
    if kind in ("submitted", "withdrawn"):
        users = db.session.scalars(
            sa.select(User).where(User.role == Role.ORGANIZER, User.active.is_(True))
        ).all()
        return [(u.email, u.locale or "zh_CN") for u in users]
    people = {}
    if event.host.contact_email:
        people[event.host.contact_email] = "zh_CN"
    editors = db.session.scalars(
        sa.select(User).where(User.society_id == event.host_id, User.active.is_(True))
    ).all()
    for user in editors:
        people[user.email] = user.locale or "zh_CN"
    return sorted(people.items())


def queue_event_notice(event, kind: str, reason: str = "") -> int:
    """Add one outbox row per recipient to the current transaction; returns how many."""
    count = 0
    for email, locale in _recipients(event, kind):
        with force_locale(locale):
            subject = _(SUBJECTS[kind], title=event.title)
            lines = [subject]
            if reason:
                lines.append(_("Reason: %(reason)s", reason=reason))
            lines.append(absolute_url("public.event_page", event_id=event.id))
        db.session.add(
            OutboxMessage(
                kind=f"event_{kind}",
                event_id=event.id,
                recipient=email,
                locale=locale,
                subject=subject[:300],
                body="\n\n".join(lines),
            )
        )
        count += 1
    return count
