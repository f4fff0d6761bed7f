"""The JSON API (/api/v1) and its OpenAPI document."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from ..events import api as events_api  # noqa: E402,F401
from ..planner import api as planner_api  # noqa: E402,F401
from ..quotas import api as quotas_api  # noqa: E402,F401
from . import directory, openapi  # noqa: E402,F401  (register routes)
