"""Errors the user can cause become clear 4xx responses: JSON under /api, pages elsewhere."""

import contextlib

import sqlalchemy as sa
from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from .extensions import db

# A database that cannot be reached (restarting, failing over) is a 503 asking to come back
# in this many seconds; pool_pre_ping gives the next request a fresh connection.
RETRY_AFTER_SECONDS = 5
INIT_DB = ".venv/bin/flask --app scheduler init-db"


class RequestError(Exception):
    """A request that cannot be done, answered with a clear 4xx (``status``) and a message
    that is already translated. Catch this to handle any of them; its kinds are siblings."""

    status = 400
    error = "bad_request"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def extra(self) -> dict:
        """More JSON for the error body (e.g. the findings that refused a change)."""
        return {}

    def headers(self) -> dict:
        """HTTP headers the answer carries (e.g. Retry-After)."""
        return {}


class BadInput(RequestError):
    """Invalid input from the user: 400, ``field`` naming what is wrong when known."""


class Forbidden(RequestError):
    status = 403
    error = "forbidden"


class NotFound(RequestError):
    status = 404
    error = "not_found"


class TooManyRequests(RequestError):
    """A user over a limit of how much they may do in a while (429), told in Retry-After
    how many seconds until one more is allowed."""

    status = 429
    error = "too_many_requests"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = max(1, retry_after)

    def headers(self) -> dict:
        return {"Retry-After": str(self.retry_after)}


class Conflict(RequestError):
    """The change clashes with existing rows or the state of things (a duplicate, a
    reference, a transition not allowed now): 409."""

    status = 409
    error = "conflict"


def _default_message(exc: HTTPException) -> str:
    messages = {
        400: _("The request is not valid."),
        401: _("Please sign in first."),
        403: _("You are not allowed to do this."),
        404: _("Nothing was found at this address."),
        405: _("This method is not allowed here."),
        409: _("This conflicts with the current state."),
        413: _("The request is too large."),
        429: _("Too many requests; please slow down."),
    }
    return messages.get(exc.code or 500, _("Something went wrong on our side."))


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, error: str, message: str, **extra):
    if wants_json():
        body = {"error": error, "message": message, **extra}
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(RequestError)
    def handle_request_error(exc: RequestError):
        extra = {"field": exc.field} if exc.field else {}
        extra.update(exc.extra())
        body, status = error_response(exc.status, exc.error, exc.message, **extra)
        return body, status, exc.headers()

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        # A description passed to abort() is ours and already translated; the defaults are not.
        message = exc.description if getattr(exc, "_scheduler_message", False) else None
        error = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, error, message or _default_message(exc))

    @app.errorhandler(sa.exc.DBAPIError)
    def handle_database_error(exc: sa.exc.DBAPIError):
        if _no_tables(exc):
            return database_unavailable(not_migrated=True)  # before init-db
        if not is_unavailable(exc):
            raise exc  # not an outage: a bug, answered with the usual 500 (and logged)
        return database_unavailable()


# SQLSTATE classes meaning "not now": connection exceptions, transaction rollbacks
# (serialization, deadlock), insufficient resources (too many connections), a cancelled
# statement (statement_timeout) and operator intervention (shutdown, starting up).
_UNAVAILABLE_STATES = ("08", "40", "53", "57014", "57P")
# SQLite's words for a file it cannot use now (everything else it reports is a statement).
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database", "disk i/o error")


def is_unavailable(exc: sa.exc.DBAPIError) -> bool:
    """Whether the database cannot be used right now (a 503 asking to retry), rather than
    refusing a statement (a bug: 500). An OperationalError alone does not tell: psycopg
    raises one for a statement with more than 65,535 parameters on a healthy connection."""
    if exc.connection_invalidated or exc.statement is None:  # broken, or could not connect
        return True
    state = getattr(exc.orig, "sqlstate", None)
    if state:
        return state.startswith(_UNAVAILABLE_STATES)
    message = str(exc.orig).lower()
    return isinstance(exc, sa.exc.OperationalError) and any(
        words in message for words in _SQLITE_UNAVAILABLE
    )


def _no_tables(exc: sa.exc.DBAPIError) -> bool:
    """A table is missing: PostgreSQL's undefined_table, SQLite's "no such table"."""
    orig = exc.orig
    return getattr(orig, "sqlstate", None) == "42P01" or "no such table" in str(orig)


def database_unavailable(not_migrated: bool = False):
    """503 with Retry-After while the database is down or not set up yet (init-db), never a
    500 with a traceback."""
    with contextlib.suppress(sa.exc.SQLAlchemyError):
        db.session.rollback()
    try:
        message = _("The database is unavailable for a moment; please try again shortly.")
        if not_migrated:
            message = _("The database is not set up yet: run %(command)s.", command=INIT_DB)
        response = make_response(error_response(503, "database_unavailable", message))
    except sa.exc.SQLAlchemyError:
        # The language or the page needs the database too (the user behind a session or a
        # token): answer in both languages without it.
        message = "数据库暂时无法访问，请稍后重试。The database is unavailable for a moment."
        if not_migrated:
            message = f"数据库尚未初始化，请运行 {INIT_DB}。The database is not set up yet."
        if wants_json():
            response = make_response(jsonify(error="database_unavailable", message=message), 503)
        else:
            response = make_response(message, 503, {"Content-Type": "text/plain; charset=utf-8"})
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def fail(status: int, message: str):
    """Abort with a translated message that the error handlers show as is."""
    from werkzeug.exceptions import default_exceptions

    exc = default_exceptions[status](description=message)
    exc._scheduler_message = True
    raise exc
