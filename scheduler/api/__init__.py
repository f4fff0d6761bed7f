"""The JSON API (/api/v1): each area's blueprint nested under one "api" blueprint, and the
OpenAPI document.

The areas' endpoints are named ``api.<area>.<view>`` (``api.events.list_events``); the area
modules import request helpers from ``api/request.py``, never this package's blueprint, so
there is no import loop. NUL characters, lone surrogates and deep JSON are refused for every
route, the API included, by scheduler/guards.py.
"""

from flask import Blueprint


def create_blueprint() -> Blueprint:
    """A fresh API blueprint for one application (a blueprint nests each child only once)."""
    from ..accounts import api as accounts
    from ..calendar_sync import api as calendar_sync
    from ..campaigns import api as campaigns
    from ..events import api as events
    from ..people import api as people
    from ..planner import api as planner
    from ..quotas import api as quotas
    from ..series import api as series
    from ..societies import api as societies
    from ..venues import api as venues
    from . import directory, openapi

    bp = Blueprint("api", __name__, url_prefix="/api/v1")
    bp.add_url_rule("/openapi.json", view_func=openapi.openapi_document, methods=["GET"])
    for area in (
        accounts, calendar_sync, campaigns, directory, events,
        people, planner, quotas, series, societies, venues,
    ):  # fmt: skip
        bp.register_blueprint(area.bp)
    return bp
