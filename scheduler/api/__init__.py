"""The JSON API (/api/v1) and its OpenAPI document."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")


# NUL characters, lone surrogates and deep JSON are refused for every route, the API
# included, by scheduler/guards.py.


from ..accounts import api as accounts_api  # noqa: E402,F401
from ..calendar_sync import api as calendar_sync_api  # noqa: E402,F401
from ..campaigns import api as campaigns_api  # noqa: E402,F401
from ..events import api as events_api  # noqa: E402,F401
from ..people import api as people_api  # noqa: E402,F401
from ..planner import api as planner_api  # noqa: E402,F401
from ..quotas import api as quotas_api  # noqa: E402,F401
from ..series import api as series_api  # noqa: E402,F401
from ..societies import api as societies_api  # noqa: E402,F401
from ..venues import api as venues_api  # noqa: E402,F401
from . import directory, openapi  # noqa: E402,F401  (register routes)
