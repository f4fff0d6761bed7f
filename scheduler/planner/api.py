"""Planner endpoints of the JSON API: run, read, accept and undo plans (organizers), and host
applications (editors for their society, organizers for any)."""

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.auth import user_from_bearer
from ..api.request import api_user, json_body
from ..errors import BadInput, fail
from ..extensions import db
from ..series.models import Series
from . import applications as apps
from .apply import accept_plan, get_plan, run_plan, undo_plan
from .load import parse_request
from .models import Plan
from .schemas import parse_year
from .serialize import plan_summary, plan_to_json

bp = Blueprint("planner", __name__)  # nested under the API blueprint: api.planner.*


def _organizer(user):
    if not user.is_organizer:
        fail(403, _("Only organizers may do this."))
    return user


def _reader():
    """Reads take a bearer token or a signed-in session."""
    user = user_from_bearer(request) or (current_user if current_user.is_authenticated else None)
    if user is None:
        fail(401, _("Sign in or send an API token: Authorization: Bearer <token>."))
    return user


@bp.post("/plans")
def create_plan():
    user = _organizer(api_user())
    plan = run_plan(parse_request(json_body()), user)
    return jsonify(plan_to_json(plan)), 201


@bp.get("/plans")
def list_plans():
    _organizer(_reader())
    stmt = db.select(Plan).order_by(Plan.created_at.desc(), Plan.id.desc()).limit(100)
    if request.args.get("year"):
        stmt = stmt.where(Plan.year == parse_year(request.args["year"]))
    return jsonify({"items": [plan_summary(p) for p in db.session.scalars(stmt)]})


@bp.get("/plans/<int:plan_id>")
def show_plan(plan_id: int):
    _organizer(_reader())
    return jsonify(plan_to_json(get_plan(plan_id)))


@bp.post("/plans/<int:plan_id>/accept")
def accept(plan_id: int):
    user = _organizer(api_user())
    return jsonify(plan_to_json(accept_plan(get_plan(plan_id), user)))


@bp.post("/plans/<int:plan_id>/undo")
def undo(plan_id: int):
    user = _organizer(api_user())
    return jsonify(plan_to_json(undo_plan(get_plan(plan_id), user)))


@bp.post("/applications")
def apply_to_host():
    user = api_user()
    if not user.is_organizer and user.society is None:
        fail(403, _("Only society editors and organizers may apply."))
    app, created = apps.save_application(json_body(), user)
    people = apps.speaker_slugs([app])
    return jsonify(apps.application_to_json(app, people)), 201 if created else 200


@bp.get("/applications")
def list_host_applications():
    user = _reader()
    year = parse_year(request.args.get("year"))
    series_id = None
    if request.args.get("series"):
        series = db.session.scalar(db.select(Series).where(Series.slug == request.args["series"]))
        if series is None:
            raise BadInput(
                _("Unknown series: %(slugs)s.", slugs=request.args["series"]), field="series"
            )
        series_id = series.id
    rows = apps.list_applications(year, user, series_id)
    people = apps.speaker_slugs(rows)
    return jsonify({"items": [apps.application_to_json(a, people) for a in rows]})


@bp.delete("/applications/<int:app_id>")
def withdraw(app_id: int):
    user = api_user()
    apps.withdraw_application(apps.get_application(app_id, user), user)
    return "", 204
