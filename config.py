"""Configuration classes. Every setting can be overridden from the environment.

The instance folder (``instance/``) holds the SQLite database and the secret key that is
generated on first run, so a fresh clone works with zero configuration.
"""

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("SCHEDULER_INSTANCE", BASE_DIR / "instance"))


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _secret_key() -> str:
    """The SECRET_KEY from the environment, else one generated once into the instance folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{INSTANCE_DIR / 'scheduler.db'}"
    # Accept the common postgres:// spelling and pick the psycopg 3 driver.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    SECRET_KEY = None  # filled lazily by create_app via _secret_key()
    SQLALCHEMY_DATABASE_URI = None  # filled lazily via _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Display time zone; everything is stored in UTC.
    TIMEZONE = os.environ.get("SCHEDULER_TIMEZONE", "Asia/Shanghai")
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = TIMEZONE
    LANGUAGES = ("zh_CN", "en")

    # Host name used in stable iCalendar UIDs (event-<id>@<host>) and absolute links.
    EVENT_UID_HOST = os.environ.get("EVENT_UID_HOST", "scheduler.local")

    # Where people reach the site; used for links in mail and feeds built outside a request.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    # A repeating event must end (COUNT or UNTIL) and have at most this many occurrences;
    # all of them are materialized, so no horizon is needed.
    RECURRENCE_MAX_OCCURRENCES = _env_int("RECURRENCE_MAX_OCCURRENCES", 500)

    # Major events must be filed this many days before they start.
    FILING_LEAD_DAYS = _env_int("FILING_LEAD_DAYS", 15)

    # Feeds show events from this many days ago to all future; anonymous rate limit.
    FEED_PAST_DAYS = _env_int("FEED_PAST_DAYS", 365)
    FEED_RATE_LIMIT = os.environ.get("FEED_RATE_LIMIT", "600 per minute")
    # "stamp" (a file in the instance folder, for workers on one host) or "database".
    FEED_VERSION_SOURCE = os.environ.get("FEED_VERSION_SOURCE", "stamp")
    FEED_VERSION_FILE = os.environ.get("FEED_VERSION_FILE", "")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True

    API_PAGE_SIZE = _env_int("API_PAGE_SIZE", 50)
    API_MAX_PAGE_SIZE = 500

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None


class DevelopmentConfig(Config):
    pass


class TestConfig(Config):
    TESTING = True
    RATELIMIT_ENABLED = False
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_ENGINE_OPTIONS = {}


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None = None) -> type[Config]:
    name = name or os.environ.get("SCHEDULER_CONFIG", "development")
    return CONFIGS[name]


def resolve_secrets(app_config) -> None:
    """Fill the settings that need the file system only when the app is created."""
    if not app_config.get("SECRET_KEY"):
        app_config["SECRET_KEY"] = _secret_key()
    if not app_config.get("SQLALCHEMY_DATABASE_URI"):
        app_config["SQLALCHEMY_DATABASE_URI"] = _database_url()
