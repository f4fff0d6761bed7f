"""Read-only directory endpoints: societies, venues, series, campaigns."""

import sqlalchemy as sa
from flask import jsonify, request

from ..campaigns.models import Campaign
from ..events.enums import EventKind
from ..events.queries import parse_enum_arg
from ..extensions import db
from ..series.models import Series
from ..societies.models import Society, SocietyKind
from ..timeutil import to_local
from ..venues.models import Venue
from . import bp
from .pagination import page_envelope, parse_page


def _paged(stmt, to_json):
    page, per_page = parse_page(request.args)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page))
    return jsonify(page_envelope([to_json(r) for r in rows], page, per_page, total))


def _kind_filter(stmt, column, enum_cls):
    kinds = parse_enum_arg(request.args, "kind", enum_cls)
    return stmt.where(column.in_(kinds)) if kinds else stmt


def society_to_json(s: Society) -> dict:
    return {
        "id": s.id,
        "slug": s.slug,
        "name": s.name,
        "short_name": s.short_name,
        "kind": s.kind.value,
        "discipline": s.discipline,
        "city": s.city,
        "active": s.active,
    }


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
    }


def series_to_json(s: Series) -> dict:
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
        "duration_minutes": s.duration_minutes,
        "min_spacing_days": s.min_spacing_days,
        "color": s.color,
        "default_venue_id": s.default_venue_id,
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
    }


@bp.get("/societies")
def list_societies():
    stmt = _kind_filter(sa.select(Society), Society.kind, SocietyKind)
    if request.args.get("city"):
        stmt = stmt.where(Society.city == request.args["city"])
    return _paged(stmt.order_by(Society.id), society_to_json)


@bp.get("/venues")
def list_venues():
    stmt = sa.select(Venue).where(Venue.active.is_(True))
    if request.args.get("city"):
        stmt = stmt.where(Venue.city == request.args["city"])
    return _paged(stmt.order_by(Venue.id), venue_to_json)


@bp.get("/series")
def list_series():
    stmt = _kind_filter(sa.select(Series), Series.kind, EventKind)
    return _paged(stmt.order_by(Series.id), series_to_json)


@bp.get("/campaigns")
def list_campaigns():
    return _paged(sa.select(Campaign).order_by(Campaign.start_date), campaign_to_json)
