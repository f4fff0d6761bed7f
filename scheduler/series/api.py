"""Series writes of the JSON API (organizers, bearer token); reads are in api/directory.py."""

import sqlalchemy as sa
from flask import Blueprint, jsonify
from flask_babel import gettext as _

from .. import directory_input as di
from ..api.directory import series_to_json
from ..api.request import json_body, organizer_token
from ..errors import NotFound
from ..extensions import db
from . import service
from .models import Series

bp = Blueprint("series", __name__)  # nested under the API blueprint: api.series.*


def series_or_404(slug: str) -> Series:
    series = db.session.scalar(sa.select(Series).where(Series.slug == slug))
    if series is None:
        raise NotFound(_("No series with the slug %(slug)s.", slug=slug[:80]))
    return series


def _json(series: Series) -> dict:
    return series_to_json(series, service.planning_of(series))


@bp.post("/series")
def create_series():
    user = organizer_token()
    series = di.write(service.create_series, json_body(), user)
    return jsonify(_json(series)), 201


@bp.patch("/series/<slug>")
def update_series(slug: str):
    user = organizer_token()
    series = di.write(service.update_series, series_or_404(slug), json_body(), user)
    return jsonify(_json(series))


@bp.delete("/series/<slug>")
def delete_series(slug: str):
    user = organizer_token()
    di.write(service.delete_series, series_or_404(slug), user)
    return "", 204
