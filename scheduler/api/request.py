"""Request helpers every API blueprint shares: who is calling, and the JSON body.

Writes authenticate with a bearer token only: the API is exempt from CSRF, so a session
cookie must not count for them.
"""

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.auth import user_from_bearer
from ..accounts.models import User
from ..errors import BadInput, fail


def api_user() -> User:
    """The user behind the request's bearer token (401 without one)."""
    user = user_from_bearer(request)
    if user is None:
        fail(401, _("Send an API token: Authorization: Bearer <token>."))
    return user


def organizer_token() -> User:
    """The organizer behind the bearer token of a directory write (401 without, 403 else)."""
    user = api_user()
    if not user.is_organizer:
        fail(403, _("Only organizers may do this."))
    return user


def viewer_is_organizer() -> bool:
    """Contacts and limits are for organizers (bearer token or signed-in session)."""
    user = user_from_bearer(request) or (current_user if current_user.is_authenticated else None)
    return bool(user is not None and user.is_organizer)


def json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadInput(_("The request body must be a JSON object."))
    return body
