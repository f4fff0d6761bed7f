"""Absolute links, inside a request or not (mail from jobs, feeds built in the CLI)."""

from flask import current_app, has_request_context, url_for


def absolute_url(endpoint: str, **values) -> str:
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]):
        return url_for(endpoint, _external=True, **values)
