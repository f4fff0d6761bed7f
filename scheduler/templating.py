"""Jinja filters and globals shared by every page."""

import hashlib
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from flask import Flask, request, send_from_directory, url_for
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

from .timeutil import to_local

FAVICON_MAX_AGE = 7 * 24 * 3600

ACTION_LABELS = {
    "create": _l("Created the event"),
    "update": _l("Edited"),
    "delete": _l("Deleted"),
    "submit": _l("Submitted"),
    "withdraw": _l("Withdrawn"),
    "approve": _l("Approved"),
    "reject": _l("Rejected"),
    "request_changes": _l("Changes requested"),
    "cancel": _l("Cancelled"),
    "complete": _l("Completed"),
}


class CompiledTemplates(BytecodeCache):
    """Compiled templates kept for the life of the process and shared by every app it builds
    (the tests build one per test): each template is compiled once. Jinja keeps the source's
    checksum with the code, so a changed template is compiled again."""

    def __init__(self):
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


COMPILED = CompiledTemplates()


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.bytecode_cache = COMPILED  # before any template is loaded
    _register_assets(app)
    for name, function in FILTERS.items():
        app.add_template_filter(function, name)
    app.add_template_global(action_label, "action_label")
    app.add_template_global(field_limits(), "field_limits")
    app.context_processor(_globals)


def field_limits() -> SimpleNamespace:
    """The longest text each form field takes, for the pages' ``maxlength``: the same named
    limits the server checks, never copies of them."""
    from .accounts import models as accounts
    from .accounts.service import MAX_PASSWORD
    from .admin.directory import MAX_QUERY
    from .calendar_sync.models import MAX_URL
    from .events.schemas import MAX_REASON
    from .people import models as people
    from .planner.schemas import MAX_NOTE
    from .venues.models import MAX_REASON as MAX_CLOSURE_REASON

    return SimpleNamespace(
        EMAIL=accounts.MAX_EMAIL,
        USER_NAME=accounts.MAX_NAME,
        TOKEN_NAME=accounts.MAX_NAME,
        PASSWORD=MAX_PASSWORD,
        PERSON_NAME=people.MAX_NAME,
        PERSON_TITLE=people.MAX_TITLE,
        AFFILIATION=people.MAX_AFFILIATION,
        DECISION_REASON=MAX_REASON,
        CLOSURE_REASON=MAX_CLOSURE_REASON,
        APPLICATION_NOTE=MAX_NOTE,
        CALENDAR_URL=MAX_URL,
        DIRECTORY_QUERY=MAX_QUERY,
    )


def _register_assets(app: Flask) -> None:
    """Fingerprinted static URLs (cached for a year) and the favicon."""
    fingerprints: dict[str, str] = {}

    @app.template_global()
    def asset(filename: str) -> str:
        """A static file's URL carrying a hash of its content, cached for a year."""
        if filename not in fingerprints:
            path = Path(app.static_folder) / filename
            fingerprints[filename] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        return url_for("static", filename=filename, v=fingerprints[filename])

    def favicon():
        """Browsers ask for /favicon.ico on every site: the icon, cached for a week."""
        return send_from_directory(
            app.static_folder, "img/favicon.ico", mimetype="image/x-icon", max_age=FAVICON_MAX_AGE
        )

    app.add_url_rule("/favicon.ico", "favicon", favicon, methods=["GET"])

    @app.after_request
    def cache_fingerprinted(response):
        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            response.cache_control.no_cache = None  # send_file's default: ask every time
            response.cache_control.public = True
            response.cache_control.max_age = 31_536_000
            response.cache_control.immutable = True
        return response


def local_dt(value: datetime, fmt: str = "medium") -> str:
    return format_datetime(value, fmt) if value else ""


def local_date(value, fmt: str = "full") -> str:
    if isinstance(value, datetime):
        value = to_local(value).date()
    return format_date(value, fmt) if value else ""


def action_label(action: str) -> str:
    """An audit entry's action in words ("create" -> "Created")."""
    return str(ACTION_LABELS.get(action, action))


def month_title(value) -> str:
    """The locale's own way to name a month: 2031年6月, or June 2031."""
    return format_skeleton("yMMMM", value, locale=get_locale() or "zh_CN")


def zone_time(value: datetime, zone: str) -> str:
    """The time on the clock of an event's own zone ("10:00" in Europe/Berlin)."""
    return to_local(value, ZoneInfo(zone)).strftime("%H:%M") if value and zone else ""


def zone_date(value: datetime, zone: str, fmt: str = "medium") -> str:
    return format_date(to_local(value, ZoneInfo(zone)).date(), fmt) if value and zone else ""


def local_time(value: datetime) -> str:
    # "HH:mm" reads the same in every locale: strftime, not a Babel call per occurrence.
    return to_local(value).strftime("%H:%M") if value else ""


def local_moment(value: datetime) -> str:
    """A date and a 24-hour time in every language: 2027年3月13日 14:30, Mar 13, 2027 14:30."""
    return f"{local_date(value, 'medium')} {local_time(value)}" if value else ""


FILTERS = {
    "local_dt": local_dt,
    "local_date": local_date,
    "month_title": month_title,
    "zone_time": zone_time,
    "zone_date": zone_date,
    "local_time": local_time,
    "local_moment": local_moment,
}


def url_with(**changes) -> str:
    """The current page's URL with some query arguments changed (None removes)."""
    args = request.args.to_dict(flat=True)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    if request.endpoint is None:  # an error page for an unknown address
        return request.path + "?" + urlencode(args)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def _globals() -> dict:
    locale = get_locale()
    current = "zh_CN" if locale is None or locale.language == "zh" else "en"
    return {"current_locale": current, "url_with": url_with}
