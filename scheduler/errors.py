"""Errors the user can cause become clear 4xx responses: JSON under /api, pages elsewhere."""

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException


class BadInput(Exception):
    """Invalid input from the user; ``message`` is already translated."""

    status = 400
    error = "bad_request"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def extra(self) -> dict:
        """More JSON for the error body (e.g. the findings that refused a change)."""
        return {}


class NotFound(BadInput):
    status = 404
    error = "not_found"


def _default_message(exc: HTTPException) -> str:
    messages = {
        400: _("The request is not valid."),
        401: _("Please sign in first."),
        403: _("You are not allowed to do this."),
        404: _("Nothing was found at this address."),
        405: _("This method is not allowed here."),
        409: _("This conflicts with the current state."),
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
    @app.errorhandler(BadInput)
    def handle_bad_input(exc: BadInput):
        extra = {"field": exc.field} if exc.field else {}
        extra.update(exc.extra())
        return error_response(exc.status, exc.error, exc.message, **extra)

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        # A description passed to abort() is ours and already translated; the defaults are not.
        message = exc.description if getattr(exc, "_scheduler_message", False) else None
        error = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, error, message or _default_message(exc))


def fail(status: int, message: str):
    """Abort with a translated message that the error handlers show as is."""
    from werkzeug.exceptions import default_exceptions

    exc = default_exceptions[status](description=message)
    exc._scheduler_message = True
    raise exc
