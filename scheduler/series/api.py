"""Series writes of the JSON API (organizers, bearer token); reads are in api/directory.py."""

import sqlalchemy as sa
from flask import jsonify
from flask_babel import gettext as _

from .. import directory_input as di
from ..api import bp
from ..api.directory import organizer_token, series_to_json
from ..errors import NotFound
from ..events.api import json_body
from ..extensions import db
from . import service
from .models import Series


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
