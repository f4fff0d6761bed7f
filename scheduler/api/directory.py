"""Read-only directory endpoints (societies, venues, people, series, campaigns) and the
JSON shapes the areas' write endpoints answer with."""

import sqlalchemy as sa
from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ..campaigns.models import Campaign
from ..enums import EventKind
from ..errors import NotFound
from ..events.queries import parse_enum_arg
from ..extensions import db
from ..people.models import Person
from ..series.models import Series, SeriesPlanning
from ..societies.models import Society, SocietyKind
from ..timeutil import to_local
from ..venues.models import Venue
from .pagination import page_envelope, parse_page
from .request import viewer_is_organizer

# Nested under the API blueprint: api.directory.list_societies, ...
bp = Blueprint("directory", __name__)


def _paged(stmt, to_json):
    page, per_page = parse_page(request.args)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page))
    return jsonify(page_envelope([to_json(r) for r in rows], page, per_page, total))


def _kind_filter(stmt, column, enum_cls):
    kinds = parse_enum_arg(request.args, "kind", enum_cls)
    return stmt.where(column.in_(kinds)) if kinds else stmt


def society_to_json(s: Society, private: bool = False) -> dict:
    body = {
        "id": s.id,
        "slug": s.slug,
        "name": s.name,
        "short_name": s.short_name,
        "kind": s.kind.value,
        "discipline": s.discipline,
        "city": s.city,
        "active": s.active,
        "min_events_per_year": s.min_events_per_year,
    }
    if private:
        body["contact_name"] = s.contact_name
        body["contact_email"] = s.contact_email
        body["contact_phone"] = s.contact_phone
    return body


def person_to_json(p: Person, private: bool = False) -> dict:
    body = {
        "id": p.id,
        "slug": p.slug,
        "name": p.name,
        "title": p.title,
        "affiliation": p.affiliation,
        "scarce": p.scarce,
    }
    if private:
        body["monthly_limit"] = p.monthly_limit
        body["active"] = p.active
    return body


def venue_to_json(v: Venue) -> dict:
    return {
        "id": v.id,
        "slug": v.slug,
        "name": v.name,
        "address": v.address,
        "city": v.city,
        "capacity": v.capacity,
        "latitude": v.latitude,
        "longitude": v.longitude,
        "buffer_minutes": v.buffer_minutes,
        "is_online": v.is_online,
        "stream_url": v.stream_url or None,
        "active": v.active,
    }


def series_to_json(s: Series, planning: SeriesPlanning | None = None) -> dict:
    """A series with every planning field (``planning``: its planner settings, if any)."""
    return {
        "id": s.id,
        "slug": s.slug,
        "name": s.name,
        "kind": s.kind.value,
        "description": s.description,
        "cadence_rrule": s.cadence_rrule or None,
        "target_min": s.target_min,
        "target_max": s.target_max,
        "max_per_host": s.max_per_host,
        "preferred_months": list(s.preferred_months or []),
        "preferred_weekdays": list(s.preferred_weekdays or []),
        "duration_minutes": s.duration_minutes,
        "default_start_time": s.default_start_time,
        "min_spacing_days": s.min_spacing_days,
        "expected_attendance": s.expected_attendance,
        "avoid_holidays": s.avoid_holidays,
        "avoid_weekends": s.avoid_weekends,
        "color": s.color,
        "active": s.active,
        "default_venue_id": s.default_venue_id,
        "default_venue": s.default_venue.slug if s.default_venue else None,
        "host_mode": s.host_mode.value,
        "fixed_host": s.fixed_host.slug if s.fixed_host else None,
        "time_slots": list(planning.time_slots or []) if planning else [],
        "city": planning.city if planning else "",
        "inside_campaign": planning.inside_campaign.slug
        if planning and planning.inside_campaign
        else None,
        "at_launch": bool(planning and planning.at_launch),
        "avoid_campaigns": list(planning.avoid_campaigns or []) if planning else [],
    }


def campaign_to_json(c: Campaign) -> dict:
    return {
        "id": c.id,
        "slug": c.slug,
        "name": c.name,
        "kind": c.kind.value,
        "theme": c.theme,
        "start_date": c.start_date.isoformat(),
        "end_date": c.end_date.isoformat(),
        "launch_at": to_local(c.launch_at).isoformat() if c.launch_at else None,
        "participation_target": c.participation_target,
        "description": c.description,
        "event_kinds": list(c.event_kinds or []),
    }


@bp.get("/societies")
def list_societies():
    stmt = _kind_filter(sa.select(Society), Society.kind, SocietyKind)
    if request.args.get("city"):
        stmt = stmt.where(Society.city == request.args["city"])
    private = viewer_is_organizer()
    return _paged(stmt.order_by(Society.id), lambda s: society_to_json(s, private))


@bp.get("/venues")
def list_venues():
    stmt = sa.select(Venue).where(Venue.active.is_(True))
    if request.args.get("city"):
        stmt = stmt.where(Venue.city == request.args["city"])
    return _paged(stmt.order_by(Venue.id), venue_to_json)


@bp.get("/people")
def list_people():
    """Active experts and speakers (organizers may ask for inactive ones too)."""
    private = viewer_is_organizer()
    stmt = sa.select(Person)
    if not (private and request.args.get("inactive") in ("1", "true")):
        stmt = stmt.where(Person.active.is_(True))
    if request.args.get("scarce") in ("1", "true"):
        stmt = stmt.where(Person.scarce.is_(True))
    return _paged(stmt.order_by(Person.id), lambda p: person_to_json(p, private))


@bp.get("/people/<slug>")
def show_person(slug: str):
    person = db.session.scalar(sa.select(Person).where(Person.slug == slug))
    if person is None:
        raise NotFound(_("No person with the slug %(slug)s.", slug=slug[:80]))
    return jsonify(person_to_json(person, viewer_is_organizer()))


@bp.get("/series")
def list_series():
    stmt = _kind_filter(sa.select(Series), Series.kind, EventKind).options(
        selectinload(Series.default_venue), selectinload(Series.fixed_host)
    )
    plannings = {
        p.series_id: p
        for p in db.session.scalars(
            sa.select(SeriesPlanning).options(selectinload(SeriesPlanning.inside_campaign))
        )
    }
    return _paged(stmt.order_by(Series.id), lambda s: series_to_json(s, plannings.get(s.id)))


@bp.get("/campaigns")
def list_campaigns():
    return _paged(sa.select(Campaign).order_by(Campaign.start_date), campaign_to_json)
