"""The body that registers or changes a society's synced calendar (API and page), declared
once: the service validates with it and the API document is derived from it."""

from typing import Annotated

from flask_babel import gettext as _
from pydantic import Field

from .. import directory_input as di
from ..errors import BadInput
from .addresses import check_url
from .models import MAX_URL, SyncMode


def _url(value, name: str) -> str:
    """The address's shape; whether a private address may be synced is the service's call
    (a setting)."""
    return check_url(value, allow_private=True)


def _mode(value, name: str) -> SyncMode:
    try:
        return SyncMode.parse(value)
    except (ValueError, TypeError):
        choices = ", ".join(SyncMode.values())
        raise BadInput(_("mode must be one of: %(choices)s.", choices=choices), name) from None


def _active(value, name: str) -> bool:
    if not isinstance(value, bool):
        raise BadInput(_("active must be true or false."), field=name)
    return value


class CalendarSourceInput(di.Body):
    """A new source needs its URL; a change sends only what changes."""

    url: Annotated[
        str,
        di.checked(_url),
        Field(max_length=MAX_URL, description="http(s) or webcal; public addresses only."),
    ] = None
    mode: Annotated[SyncMode, di.checked(_mode)] = None
    active: Annotated[bool, di.checked(_active)] = None
