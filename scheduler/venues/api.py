"""Venue and closure writes of the JSON API (organizers, bearer token), and the closures
list; the venue list is in api/directory.py."""

import sqlalchemy as sa
from flask import Blueprint, jsonify
from flask_babel import gettext as _

from .. import directory_input as di
from ..api.directory import venue_to_json
from ..api.request import json_body, organizer_token
from ..database import MAX_ID
from ..errors import NotFound
from ..extensions import db
from . import service
from .models import Venue, VenueClosure

bp = Blueprint("venues", __name__)  # nested under the API blueprint: api.venues.*


def venue_or_404(slug: str) -> Venue:
    venue = db.session.scalar(sa.select(Venue).where(Venue.slug == slug))
    if venue is None:
        raise NotFound(_("No venue with the slug %(slug)s.", slug=slug[:80]))
    return venue


def closure_or_404(venue: Venue, closure_id: int) -> VenueClosure:
    closure = db.session.get(VenueClosure, closure_id) if abs(closure_id) <= MAX_ID else None
    if closure is None or closure.venue_id != venue.id:
        raise NotFound(_("This venue has no closure %(id)s.", id=closure_id))
    return closure


def closure_to_json(c: VenueClosure) -> dict:
    return {
        "id": c.id,
        "venue": c.venue.slug,
        "first_day": c.first_day.isoformat(),
        "last_day": c.last_day.isoformat(),
        "reason": c.reason,
    }


@bp.post("/venues")
def create_venue():
    user = organizer_token()
    venue = di.write(service.create_venue, json_body(), user)
    return jsonify(venue_to_json(venue)), 201


@bp.patch("/venues/<slug>")
def update_venue(slug: str):
    user = organizer_token()
    venue = di.write(service.update_venue, venue_or_404(slug), json_body(), user)
    return jsonify(venue_to_json(venue))


@bp.delete("/venues/<slug>")
def delete_venue(slug: str):
    user = organizer_token()
    di.write(service.delete_venue, venue_or_404(slug), user)
    return "", 204


@bp.get("/venues/<slug>/closures")
def list_closures(slug: str):
    """Public: the days a venue cannot be booked."""
    venue = venue_or_404(slug)
    return jsonify({"items": [closure_to_json(c) for c in service.closures_of(venue)]})


@bp.post("/venues/<slug>/closures")
def create_closure(slug: str):
    user = organizer_token()
    closure = di.write(service.create_closure, venue_or_404(slug), json_body(), user)
    return jsonify(closure_to_json(closure)), 201


@bp.patch("/venues/<slug>/closures/<int:closure_id>")
def update_closure(slug: str, closure_id: int):
    user = organizer_token()
    closure = closure_or_404(venue_or_404(slug), closure_id)
    closure = di.write(service.update_closure, closure, json_body(), user)
    return jsonify(closure_to_json(closure))


@bp.delete("/venues/<slug>/closures/<int:closure_id>")
def delete_closure(slug: str, closure_id: int):
    user = organizer_token()
    di.write(service.delete_closure, closure_or_404(venue_or_404(slug), closure_id), user)
    return "", 204
