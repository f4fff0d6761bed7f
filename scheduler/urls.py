"""Absolute links, inside a request or not (mail from jobs, feeds built in the CLI), and the
guard on the ids that routes take from the URL."""

from flask import Flask, abort, current_app, has_request_context, url_for

from .database import MAX_ID


def guard_ids(app: Flask) -> None:
    """``<int:id>`` in a URL beyond any id is a 404 for every route, before the view looks it
    up (the database driver would overflow instead of finding nothing)."""

    @app.url_value_preprocessor
    def refuse_ids_beyond_the_database(endpoint, values):
        if values and any(isinstance(v, int) and v > MAX_ID for v in values.values()):
            abort(404)


def absolute_url(endpoint: str, **values) -> str:
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]):
        return url_for(endpoint, _external=True, **values)
