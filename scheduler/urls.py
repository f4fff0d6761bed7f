"""Absolute links (always on PUBLIC_BASE_URL, see hosts.py) and the guard on the ids that
routes take from the URL."""

from flask import Flask, abort

from .database import MAX_ID
from .hosts import absolute_url

__all__ = ["absolute_url", "guard_ids"]


def guard_ids(app: Flask) -> None:
    """``<int:id>`` in a URL beyond any id is a 404 for every route, before the view looks it
    up (the database driver would overflow instead of finding nothing)."""

    @app.url_value_preprocessor
    def refuse_ids_beyond_the_database(endpoint, values):
        if values and any(isinstance(v, int) and v > MAX_ID for v in values.values()):
            abort(404)
