"""The one check for organizer-only pages: a blueprint's before_request hook or a view's
decorator."""

from functools import wraps

from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user

from ..errors import fail


def organizer_only():
    """None for a signed-in organizer; the sign-in redirect for a visitor; 403 for others.
    Usable as ``bp.before_request(organizer_only)``."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not current_user.is_organizer:
        fail(403, _("Only organizers may open this page."))
    return None


def organizer_required(view):
    """The view runs only for a signed-in organizer (see organizer_only)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        return organizer_only() or view(*args, **kwargs)

    return wrapped
