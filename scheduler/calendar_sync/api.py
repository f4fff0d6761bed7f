"""The society's synced calendar in the JSON API (bearer token: its editors, organizers)."""

from flask import Blueprint, jsonify

from ..api.request import api_user, json_body
from ..errors import Conflict, NotFound
from ..timeutil import to_local
from . import service
from .models import CalendarSource, SyncOutcome

bp = Blueprint("calendar_sync", __name__)  # nested under the API blueprint: api.calendar_sync.*

PATH = "/societies/<slug>/calendar-source"


def source_to_json(source: CalendarSource) -> dict:
    def local(value):
        return to_local(value).isoformat(timespec="seconds") if value else None

    return {
        "society": source.society.slug,
        "url": source.url,
        "mode": source.mode.value,
        "active": source.active,
        "last_checked_at": local(source.last_checked_at),
        "last_success_at": local(source.last_success_at),
        "last_outcome": source.last_outcome.value if source.last_outcome else None,
        "failures": source.failures,
        "last_report": source.last_report or None,
    }


def _managed(slug: str):
    user = api_user()
    society = service.find_society(slug)
    service.require_manager(user, society)
    return user, society


def _source(society) -> CalendarSource:
    source = service.source_of(society)
    if source is None:
        raise NotFound(service.no_source_message())
    return source


@bp.get(PATH)
def show_calendar_source(slug: str):
    _user, society = _managed(slug)
    return jsonify(source_to_json(_source(society)))


@bp.put(PATH)
def save_calendar_source(slug: str):
    user, society = _managed(slug)
    source, created = service.save_source(society, json_body(), user)
    return jsonify(source_to_json(source)), 201 if created else 200


@bp.delete(PATH)
def delete_calendar_source(slug: str):
    user, society = _managed(slug)
    service.delete_source(society, user)
    return "", 204


@bp.post(PATH + "/sync")
def sync_calendar_source(slug: str):
    _user, society = _managed(slug)
    source = _source(society)
    if service.sync_source(source).outcome == SyncOutcome.BUSY:
        raise Conflict(service.busy_message())
    return jsonify(source_to_json(service.source_of(society)))
