"""The JSON API (/api/v1) and its OpenAPI document."""

from flask import Blueprint, request
from flask_babel import gettext as _

from ..errors import BadInput

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _texts(value):
    """Every string inside a JSON value, keys too (iterative: deep nesting cannot overflow)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            pending.extend([*item.keys(), *item.values()])
        elif isinstance(item, list):
            pending.extend(item)


@bp.before_request
def refuse_nul_characters():
    """No slug, name, date or text holds a NUL character, and PostgreSQL can neither store nor
    compare one: refuse it wherever it comes (path, query or JSON body) with a 400 that
    changes nothing, before a view looks anything up with it."""
    body = request.get_json(silent=True) if request.is_json else None
    fields = [*(request.view_args or {}).items(), *request.args.items(multi=True)]
    fields += body.items() if isinstance(body, dict) else [("body", body)]
    for name, value in fields:
        if any("\x00" in text for text in _texts([name, value])):
            field = name[:40]
            raise BadInput(_("%(field)s contains control characters.", field=field), field=field)


from ..events import api as events_api  # noqa: E402,F401
from ..planner import api as planner_api  # noqa: E402,F401
from ..quotas import api as quotas_api  # noqa: E402,F401
from . import directory, openapi  # noqa: E402,F401  (register routes)
