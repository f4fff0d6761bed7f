"""The one way in for changes of venues and their closures: pages, API, CLI and the
importer call these. They validate, write an audit entry and flush; the caller commits.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import directory_input as di
from ..audit.service import record
from ..errors import BadInput, Conflict
from ..extensions import db
from ..timeutil import local_day_range, to_local
from ..types import utcnow
from .models import Venue, VenueClosure
from .schemas import ClosureInput, VenueInput

# Bookings that keep a venue busy: filed (submitted) or approved.
BOOKED_STATUSES = ("submitted", "approved")


def _check(venue: Venue, values: dict) -> None:
    """Rules across fields, on the venue as it would be after the change."""

    def final(key):
        return values.get(key, getattr(venue, key))

    if final("is_online"):
        if not final("stream_url"):
            raise BadInput(_("An online venue needs a stream URL."), field="stream_url")
    elif (final("capacity") or 0) < 1:
        raise BadInput(_("A hall needs a capacity of at least 1."), field="capacity")
    if (final("latitude") is None) != (final("longitude") is None):
        field = "longitude" if final("longitude") is None else "latitude"
        raise BadInput(_("Give both latitude and longitude, or neither."), field=field)
    slug, name = final("slug"), final("name")
    if slug:
        di.refuse_duplicate(
            Venue, venue, "slug", slug,
            _("A venue with the slug %(slug)s already exists.", slug=slug),
        )  # fmt: skip
    same_name = sa.select(Venue.id).where(Venue.name == name, Venue.city == final("city"))
    if db.session.scalar(same_name.where(Venue.id != (venue.id or 0)).limit(1)):
        raise Conflict(
            _("%(city)s already has a venue named %(name)s.", city=final("city") or "—", name=name),
            field="name",
        )
    if values.get("active") is False and venue.active:
        _refuse_with_bookings(
            venue, utcnow(), None,
            _("%(name)s has future bookings: %(events)s. Move or cancel them first."),
        )  # fmt: skip


def _save(venue: Venue, values: dict, action: str, by) -> Venue:
    with db.session.no_autoflush:
        _check(venue, values)
    return di.save_row(
        venue,
        values,
        action,
        by,
        entity="venue",
        slug_taken=lambda slug: _("A venue with the slug %(slug)s already exists.", slug=slug),
    )


def create_venue(data: Mapping[str, Any], by) -> Venue:
    values = di.validate(VenueInput, data)
    if "name" not in values:
        raise BadInput(_("%(field)s is required.", field="name"), field="name")
    venue = Venue(capacity=0, buffer_minutes=0, is_online=False, stream_url="", active=True)
    venue.latitude = venue.longitude = None
    return _save(venue, values, "create", by)


def update_venue(venue: Venue, data: Mapping[str, Any], by) -> Venue:
    return _save(venue, di.validate(VenueInput, data), "update", by)


def set_venue_active(venue: Venue, active: bool, by) -> None:
    update_venue(venue, {"active": active}, by)


def bookings_between(venue: Venue, start: datetime, end: datetime | None, limit: int = 5):
    """(title, local start) of submitted or approved events using the venue whose
    occurrences overlap [start, end), soonest first."""
    events, occ = di.table("events"), di.table("occurrences")
    stmt = (
        sa.select(events.c.title, sa.func.min(occ.c.start_at))
        .join(occ, occ.c.event_id == events.c.id)
        .where(
            events.c.venue_id == venue.id,
            events.c.status.in_(BOOKED_STATUSES),
            occ.c.cancelled.is_(False),
            occ.c.end_at > start,
        )
        .group_by(events.c.id, events.c.title)
        .order_by(sa.func.min(occ.c.start_at), events.c.id)
        .limit(limit)
    )
    if end is not None:
        stmt = stmt.where(occ.c.start_at < end)
    return db.session.execute(stmt).all()


def _refuse_with_bookings(venue: Venue, start, end, message: str) -> None:
    rows = bookings_between(venue, start, end)
    if rows:
        listed = "; ".join(f"“{title}” {to_local(_aware(at)):%Y-%m-%d %H:%M}" for title, at in rows)
        raise Conflict(message % {"name": venue.name, "events": listed}, field="active")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def delete_venue(venue: Venue, by) -> None:
    """Refused (409) while events, series or plans refer to the venue; closures go with it."""
    events = di.table("events")
    uses = (
        (di.table("series").c.default_venue_id, _("a series that meets there")),
        (di.table("plan_sessions").c.venue_id, _("a planned session")),
    )
    others = [reason for column, reason in uses if di.is_used(column, venue.id)]
    di.refuse_delete_if_used(venue.name, di.event_titles(events.c.venue_id == venue.id), others)
    record("venue", venue.id, "delete", by, {"slug": [venue.slug, None]})
    db.session.execute(sa.delete(VenueClosure).where(VenueClosure.venue_id == venue.id))
    db.session.delete(venue)
    db.session.flush()


# --- closures --------------------------------------------------------------------------------


def _save_closure(closure: VenueClosure, values: dict, action: str, by) -> VenueClosure:
    first = values.get("first_day", closure.first_day)
    last = values.get("last_day", closure.last_day)
    for name, day in (("first_day", first), ("last_day", last)):
        if day is None:
            raise BadInput(_("%(field)s is required.", field=name), field=name)
    if last < first:
        raise BadInput(_("The last day must not be before the first day."), field="last_day")
    start, end = local_day_range(first, last)
    with db.session.no_autoflush:
        _refuse_with_bookings(
            closure.venue, max(start, utcnow()), end,
            _("%(name)s is booked on these days: %(events)s. Move or cancel them first."),
        )  # fmt: skip
    changes = di.apply_values(closure, values)
    db.session.add(closure)
    db.session.flush()
    if action == "create":
        changes["venue"] = [None, closure.venue.slug]
    if changes:
        record("venue_closure", closure.id, action, by, changes)
    return closure


def create_closure(venue: Venue, data: Mapping[str, Any], by) -> VenueClosure:
    values = di.validate(ClosureInput, data)
    return _save_closure(VenueClosure(venue=venue, reason=""), values, "create", by)


def update_closure(closure: VenueClosure, data: Mapping[str, Any], by) -> VenueClosure:
    return _save_closure(closure, di.validate(ClosureInput, data), "update", by)


def delete_closure(closure: VenueClosure, by) -> None:
    span = [closure.first_day.isoformat(), closure.last_day.isoformat()]
    record("venue_closure", closure.id, "delete", by, {"days": [span, None]})
    db.session.delete(closure)
    db.session.flush()


def closures_of(venue: Venue) -> list[VenueClosure]:
    return list(
        db.session.scalars(
            sa.select(VenueClosure)
            .where(VenueClosure.venue_id == venue.id)
            .order_by(VenueClosure.first_day, VenueClosure.id)
        )
    )
