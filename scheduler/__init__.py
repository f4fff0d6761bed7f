"""The science events scheduler: create_app() builds the Flask application.

Importing the package loads nothing else: Flask, SQLAlchemy and the areas are imported
inside create_app, so the pure core (``scheduler.rules``, ``scheduler.planner.core``) can be
used and tested without them.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def select_locale() -> str:
    from flask import current_app, has_request_context, request, session
    from flask_login import current_user

    languages = ("zh_CN", "en")
    if not has_request_context():  # CLI, jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang")
    if chosen in languages:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in languages:
        return session["lang"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return browser_locale(request.accept_languages)


_PARSED_LOCALES: dict = {}


def parsed_locale():
    """select_locale()'s choice as a babel Locale, parsed once per process. Flask-Babel
    parses the selector's answer on every request, and parsing "zh_CN" scans babel's whole
    list of locales (a quarter of a millisecond, a few per cent of a page)."""
    from babel import Locale

    name = select_locale()
    if name not in _PARSED_LOCALES:
        _PARSED_LOCALES[name] = Locale.parse(name)
    return _PARSED_LOCALES[name]


def browser_locale(accepted) -> str:
    """The first of the browser's languages (by quality) we speak: any Chinese (zh-CN,
    zh-TW, zh) reads the Chinese pages, any English the English ones; else Chinese."""
    for value, _quality in accepted:  # werkzeug keeps them sorted by quality
        primary = value.replace("_", "-").split("-")[0].lower()
        if primary in ("zh", "en"):
            return "zh_CN" if primary == "zh" else "en"
    return "zh_CN"


def register_blueprints(app: "Flask") -> None:
    """Every area's pages, feeds and the JSON API (the areas' API blueprints nested in it)."""
    from .accounts.views import bp as accounts_bp
    from .admin.directory import bp as directory_bp
    from .admin.views import bp as admin_bp
    from .api import create_blueprint as create_api_blueprint
    from .calendar_sync.views import bp as calendar_sync_bp
    from .campaigns.views import bp as campaigns_admin_bp
    from .directory_import.views import bp as directory_import_bp
    from .extensions import csrf
    from .feeds.views import bp as feeds_bp
    from .jobs.views import bp as jobs_bp
    from .notifications.views import bp as notifications_bp
    from .planner.views import bp as planner_bp
    from .portal.views import bp as portal_bp
    from .public.views import bp as public_bp
    from .quotas.views import bp as quotas_bp
    from .series.views import bp as series_admin_bp
    from .share.views import bp as share_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(share_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(directory_bp)
    app.register_blueprint(series_admin_bp)
    app.register_blueprint(campaigns_admin_bp)
    app.register_blueprint(jobs_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(quotas_bp)
    app.register_blueprint(planner_bp)
    app.register_blueprint(create_api_blueprint())
    for name, blueprint in app.blueprints.items():  # the API and the areas' nested in it
        if name == "api" or name.startswith("api."):
            csrf.exempt(blueprint)  # the API authenticates writes with bearer tokens
    app.register_blueprint(directory_import_bp)
    app.register_blueprint(calendar_sync_bp)


def create_app(config_name: str | None = None, **overrides) -> "Flask":
    import sqlalchemy as sa
    from flask import Flask

    from config import ConfigError, load_config, resolve_secrets

    from .database import configure_engine
    from .extensions import babel, csrf, db, login_manager
    from .guards import install_input_guards
    from .hosts import configure_hosts
    from .urls import guard_ids

    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=None,
    )
    app.config.from_object(load_config(config_name))
    app.config.update(overrides)
    resolve_secrets(app.config)
    configure_hosts(app)  # PUBLIC_BASE_URL and TRUSTED_HOSTS, before any request
    app.json.ensure_ascii = False  # Chinese stays readable in JSON

    try:
        db.init_app(app)
        configure_engine(app)
    except (sa.exc.ArgumentError, ImportError, ValueError) as exc:
        # An unknown scheme, a missing driver, a malformed URL: one line, not a traceback.
        raise ConfigError(f"the database URL cannot be used: {exc}") from None
    csrf.init_app(app)
    babel.init_app(app, locale_selector=parsed_locale)
    login_manager.init_app(app)

    from . import models  # noqa: F401  (register every table)
    from .accounts import auth
    from .cli import register_cli, require_database
    from .directory_import.cli import register_import_cli
    from .errors import register_error_handlers
    from .feeds import version as feed_version
    from .feeds.fastpath import FeedFastPath, FeedRateLimit
    from .pagecache import install as install_page_cache
    from .planner.cli import register_planner_cli
    from .quotas.cli import register_quota_cli
    from .search import index as search_index
    from .security import init_security
    from .templating import register_template_helpers

    auth.init_login(app)
    feed_version.install(app)
    search_index.install()  # search documents rewritten before each commit
    # The areas above events hear of its changes through events/signals.py.
    from .jobs import reminders
    from .notifications import service as notifications

    notifications.init_app(app)
    reminders.init_app(app)
    app.extensions["feed_fastpath"] = FeedFastPath(
        app.wsgi_app,
        feed_version.stamp_path(app),
        FeedRateLimit(app.config),
        app.config["TRUSTED_HOSTS"],
    )
    app.wsgi_app = app.extensions["feed_fastpath"]
    register_blueprints(app)
    register_error_handlers(app)
    install_input_guards(app)
    guard_ids(app)
    init_security(app)
    register_template_helpers(app)
    install_page_cache(app)  # after the other request hooks (see its docstring)
    register_cli(app)
    register_quota_cli(app)
    register_planner_cli(app)
    register_import_cli(app)
    require_database(app)  # last: it wraps every command registered above
    return app
