"""One canonical address: PUBLIC_BASE_URL makes every absolute link (feeds, mail, subscribe
links, downloads), and requests for a host outside TRUSTED_HOSTS are refused with a 400.

The request's ``Host`` header never reaches a link: a forged one can poison neither a cached
feed nor a queued mail.
"""

from urllib.parse import urlsplit

from flask import Flask, Response, current_app
from flask_babel import gettext as _
from werkzeug.exceptions import SecurityError
from werkzeug.routing import MapAdapter

# Trusted besides the public host outside production (the dev server, tests, the browser).
LOCAL_HOSTS = ("localhost", "127.0.0.1")


class PublicAddressMissing(RuntimeError):
    """Production without PUBLIC_BASE_URL: the app refuses to start."""


def public_base(config) -> tuple[str, str, str]:
    """(scheme, host[:port], path prefix) of PUBLIC_BASE_URL, or PublicAddressMissing."""
    base = (config.get("PUBLIC_BASE_URL") or "").strip()
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PublicAddressMissing(
            "PUBLIC_BASE_URL must be set to the address people reach, e.g. "
            f"https://events.example.org (got {base!r})"
        )
    return parts.scheme, parts.netloc, parts.path.rstrip("/")


def configure_hosts(app: Flask) -> None:
    """Check PUBLIC_BASE_URL and fill TRUSTED_HOSTS (Flask refuses other hosts itself)."""
    _scheme, netloc, _path = public_base(app.config)
    trusted = app.config.get("TRUSTED_HOSTS")
    if isinstance(trusted, str):  # from the environment: "a.example.org, .example.net"
        trusted = [h.strip() for h in trusted.split(",") if h.strip()]
    if not trusted:
        trusted = [urlsplit("//" + netloc).hostname]
        if app.config.get("TRUST_LOCAL_HOSTS"):
            trusted += [h for h in LOCAL_HOSTS if h not in trusted]
    app.config["TRUSTED_HOSTS"] = list(trusted)

    @app.errorhandler(SecurityError)
    def untrusted_host(exc):
        # Plain text: with an untrusted host there is no URL adapter, so no page can be built.
        message = _("This site does not answer to the host name in the request.")
        return Response(message + "\n", status=400, mimetype="text/plain")

    app.jinja_env.globals["absolute_url"] = absolute_url


def _adapter() -> MapAdapter:
    app = current_app._get_current_object()
    key = ("public_adapter", app.config["PUBLIC_BASE_URL"])
    adapter = app.extensions.get(key)
    if adapter is None:
        scheme, netloc, path = public_base(app.config)
        adapter = app.url_map.bind(netloc, script_name=path or "/", url_scheme=scheme)
        app.extensions[key] = adapter
    return adapter


def absolute_url(endpoint: str, **values) -> str:
    """An absolute link on PUBLIC_BASE_URL, inside a request or not (jobs, the CLI)."""
    values = {k: v for k, v in values.items() if v is not None}
    anchor = values.pop("_anchor", None)
    current_app.inject_url_defaults(endpoint, values)
    url = _adapter().build(endpoint, values, force_external=True)
    return f"{url}#{anchor}" if anchor else url
