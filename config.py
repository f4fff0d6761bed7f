"""Configuration classes. Every setting can be overridden from the environment.

The instance folder (``instance/``) holds the SQLite database and the secret key that is
generated on first run, so a fresh clone works with zero configuration.
"""

import os
import secrets
from pathlib import Path

import click

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("SCHEDULER_INSTANCE", BASE_DIR / "instance"))


class ConfigError(click.ClickException):
    """A setting from the environment that cannot work. A ClickException, so that the flask
    CLI prints it as one line ("Error: ...") and exits 1 instead of a traceback."""


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    if not (value.isascii() and value.strip().isdigit()):
        raise ConfigError(f"{name} must be a whole number of ASCII digits, not {value!r}")
    return int(value)


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if number != number or number in (float("inf"), float("-inf")):
        raise ConfigError(f"{name} must be a number such as 5 or 0.5, not {value!r}")
    return number


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
    check_database_url(url)
    return url


# The databases the scheduler is tested on (PostgreSQL through psycopg 3).
DATABASE_SCHEMES = ("sqlite", "postgresql+psycopg")


def check_database_url(url: str) -> None:
    """Refuse a DATABASE_URL of a database the scheduler does not run on, in one line."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in DATABASE_SCHEMES:
        raise ConfigError(
            f"DATABASE_URL must start with postgresql:// (or postgres://) or sqlite:///, "
            f"not {scheme + '://' if scheme else repr(url[:40])}"
        )


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

    # Where people reach the site: every absolute link (feeds, mail, subscribe links) is
    # built on it, never on the request's Host (scheduler/hosts.py). Required in production.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    # Host names the site answers to (comma-separated; ".example.org" takes subdomains);
    # others get a 400. Default: PUBLIC_BASE_URL's host, plus localhost and 127.0.0.1 when
    # TRUST_LOCAL_HOSTS (not in production).
    TRUSTED_HOSTS = os.environ.get("TRUSTED_HOSTS", "") or None
    TRUST_LOCAL_HOSTS = True

    # A repeating event must end (COUNT or UNTIL) and have at most this many occurrences;
    # all of them are materialized, so no horizon is needed.
    RECURRENCE_MAX_OCCURRENCES = _env_int("RECURRENCE_MAX_OCCURRENCES", 500)

    # Major events must be filed this many days before they start.
    FILING_LEAD_DAYS = _env_int("FILING_LEAD_DAYS", 15)

    # Feeds show events from this many days ago to all future; anonymous rate limit.
    FEED_PAST_DAYS = _env_int("FEED_PAST_DAYS", 365)
    # At most this many events per feed (upcoming first; a nation has 100,000 a year): the
    # feed's description then points to the scoped feeds. A province stays well below.
    FEED_MAX_EVENTS = _env_int("FEED_MAX_EVENTS", 10_000)
    FEED_RATE_LIMIT = os.environ.get("FEED_RATE_LIMIT", "600 per minute")
    # "stamp" (a file in the instance folder, for workers on one host) or "database".
    FEED_VERSION_SOURCE = os.environ.get("FEED_VERSION_SOURCE", "stamp")
    FEED_VERSION_FILE = os.environ.get("FEED_VERSION_FILE", "")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")

    # .ics import (scheduler/feeds/importer.py): a file over any of these is refused whole
    # before it is parsed. Each event goes through the workflow (about 0.1 s), so the event
    # limit also bounds how long an upload takes; raise it for a big import from the CLI.
    IMPORT_MAX_BYTES = _env_int("IMPORT_MAX_BYTES", 5 * 1024 * 1024)
    IMPORT_MAX_EVENTS = _env_int("IMPORT_MAX_EVENTS", 500)
    IMPORT_MAX_LINE_LENGTH = _env_int("IMPORT_MAX_LINE_LENGTH", 50_000)  # characters, unfolded
    # Request bodies beyond this are refused (413) before they are read: the upload plus room
    # for the form around it.
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", IMPORT_MAX_BYTES + 1024 * 1024)

    # --- a society's own calendar kept in sync (scheduler/calendar_sync) --------------------
    # Fetched every JOBS_CALENDAR_SYNC_SECONDS, over http(s) from public addresses only, with
    # these limits (seconds) and the IMPORT_* limits; paused after that many failures in a
    # row. CALENDAR_SYNC_ALLOW_PRIVATE: "true" lets private and loopback addresses through
    # (an intranet calendar server), or a comma-separated list of address:port allows those.
    JOBS_CALENDAR_SYNC_SECONDS = _env_int("JOBS_CALENDAR_SYNC_SECONDS", 3600)
    CALENDAR_SYNC_CONNECT_TIMEOUT = _env_float("CALENDAR_SYNC_CONNECT_TIMEOUT", 5)
    CALENDAR_SYNC_READ_TIMEOUT = _env_float("CALENDAR_SYNC_READ_TIMEOUT", 10)
    CALENDAR_SYNC_TOTAL_TIMEOUT = _env_float("CALENDAR_SYNC_TOTAL_TIMEOUT", 30)
    CALENDAR_SYNC_MAX_REDIRECTS = _env_int("CALENDAR_SYNC_MAX_REDIRECTS", 3)
    CALENDAR_SYNC_MAX_FAILURES = _env_int("CALENDAR_SYNC_MAX_FAILURES", 5)
    CALENDAR_SYNC_ALLOW_PRIVATE = os.environ.get("CALENDAR_SYNC_ALLOW_PRIVATE", "false")

    # --- background jobs (scheduler/jobs; the README's "Background jobs and mail") --------
    # Host reminders before each occurrence: comma-separated offsets in days ("7d") or hours
    # ("36h"); each must be positive and at most a year (the scheduler refuses to start).
    REMINDER_OFFSETS = os.environ.get("REMINDER_OFFSETS", "7d,1d")
    # Filing reminders go out this many days before a major event's filing deadline.
    FILING_REMINDER_DAYS = _env_int("FILING_REMINDER_DAYS", 3)
    # How often each job runs (seconds), and when the weekly and monthly ones run (crontab,
    # local time). Runs missed while the scheduler was down are caught up once on start
    # when they are no older than JOBS_MISFIRE_GRACE_SECONDS.
    JOBS_REMINDER_SECONDS = _env_int("JOBS_REMINDER_SECONDS", 300)
    JOBS_FILING_SECONDS = _env_int("JOBS_FILING_SECONDS", 3600)
    JOBS_COMPLETION_SECONDS = _env_int("JOBS_COMPLETION_SECONDS", 900)
    JOBS_DELIVERY_SECONDS = _env_int("JOBS_DELIVERY_SECONDS", 30)
    JOBS_QUOTA_DIGEST_CRON = os.environ.get("JOBS_QUOTA_DIGEST_CRON", "0 8 * * mon")
    JOBS_DORMANT_SCAN_CRON = os.environ.get("JOBS_DORMANT_SCAN_CRON", "0 9 1 * *")
    JOBS_MISFIRE_GRACE_SECONDS = _env_int("JOBS_MISFIRE_GRACE_SECONDS", 31 * 86400)
    # "Run now" requests from /admin/jobs are picked up this often.
    JOBS_POLL_SECONDS = _env_float("JOBS_POLL_SECONDS", 5)
    # The lease that keeps a second scheduler waiting: renewed every heartbeat, taken over
    # by a waiting scheduler once it is older than JOBS_LEASE_SECONDS.
    JOBS_LEASE_SECONDS = _env_int("JOBS_LEASE_SECONDS", 60)
    JOBS_HEARTBEAT_SECONDS = _env_float("JOBS_HEARTBEAT_SECONDS", 10)
    # Reminders handed to the outbox per transaction.
    JOBS_BATCH_SIZE = _env_int("JOBS_BATCH_SIZE", 50)
    # Shifts the jobs' clock (seconds; crash drills and tests only).
    JOBS_CLOCK_OFFSET_SECONDS = _env_float("JOBS_CLOCK_OFFSET_SECONDS", 0)
    # Crash drills: "point[:n]" kills the scheduler with SIGKILL there (jobs/failpoints.py).
    JOBS_FAILPOINT = os.environ.get("JOBS_FAILPOINT", "")

    # --- mail: SMTP when MAIL_SERVER is set, else messages stay in the outbox (/admin/outbox)
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "") in ("1", "true", "yes")  # STARTTLS
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "") in ("1", "true", "yes")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "no-reply@scheduler.local")
    MAIL_TIMEOUT_SECONDS = _env_int("MAIL_TIMEOUT_SECONDS", 20)
    MAIL_BATCH_SIZE = _env_int("MAIL_BATCH_SIZE", 50)
    # Failed deliveries are retried after 1, 2, 4, ... minutes, at most 6 hours apart.
    MAIL_RETRY_BASE_SECONDS = _env_int("MAIL_RETRY_BASE_SECONDS", 60)
    MAIL_RETRY_MAX_SECONDS = _env_int("MAIL_RETRY_MAX_SECONDS", 6 * 3600)

    API_PAGE_SIZE = _env_int("API_PAGE_SIZE", 50)

    # --- sharing (scheduler/share) --------------------------------------------------------
    # Sites that may show /embed in a frame: origins separated by spaces or commas, e.g.
    # "https://www.gdsta.org.cn https://kx.example.edu.cn" (checked at start-up).
    EMBED_ORIGINS = os.environ.get("EMBED_ORIGINS", "")
    # The share cards' font (a CJK font; bold from the "-Bold" file beside it). Missing:
    # Pillow's own font and a warning in the log (Chinese then shows as boxes).
    SHARE_CARD_FONT = os.environ.get(
        "SHARE_CARD_FONT", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
    )

    # Anonymous public pages and API reads are kept per data version (scheduler/pagecache):
    # in each worker's memory up to PAGE_CACHE_MEMORY_BYTES, and on disk for every worker of
    # the host (PAGE_CACHE_DIR, default instance/page-cache) up to PAGE_CACHE_DISK_BYTES.
    PAGE_CACHE = os.environ.get("PAGE_CACHE", "1").lower() not in ("0", "false", "no", "off")
    PAGE_CACHE_DIR = os.environ.get("PAGE_CACHE_DIR", "")
    PAGE_CACHE_MEMORY_BYTES = _env_int("PAGE_CACHE_MEMORY_BYTES", 64 * 1024 * 1024)
    PAGE_CACHE_DISK_BYTES = _env_int("PAGE_CACHE_DISK_BYTES", 512 * 1024 * 1024)
    PAGE_CACHE_MAX_ENTRY_BYTES = _env_int("PAGE_CACHE_MAX_ENTRY_BYTES", 4 * 1024 * 1024)
    # Right after a change one worker builds each page; the others wait this long for it.
    PAGE_CACHE_WAIT_SECONDS = _env_float("PAGE_CACHE_WAIT_SECONDS", 5)

    # The quota dashboard reuses its figures while nothing changed (at most this long, so
    # "held" follows the clock), and for a short while after a change: a nation's figures
    # aggregate 100,000 sessions.
    QUOTA_DASHBOARD_MAX_AGE_SECONDS = _env_int("QUOTA_DASHBOARD_MAX_AGE_SECONDS", 600)
    QUOTA_DASHBOARD_STALE_SECONDS = _env_int("QUOTA_DASHBOARD_STALE_SECONDS", 60)
    API_MAX_PAGE_SIZE = 500

    # Five wrong passwords for one address within 15 minutes lock it for the rest of them.
    # Counted in the database (table sign_in_failures, shared by every worker and host), or
    # in Redis when RATELIMIT_STORAGE_URI is redis://...
    LOGIN_LOCKOUT = os.environ.get("LOGIN_LOCKOUT", "5 per 15 minutes")
    # New people an editor may add from the event form (organizers are not limited).
    SPEAKER_CREATE_LIMIT = os.environ.get("SPEAKER_CREATE_LIMIT", "30 per hour")
    # How new passwords are hashed (werkzeug generate_password_hash methods).
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")
    # One-time links mailed to users: invitations and password resets.
    INVITATION_TTL_DAYS = _env_int("INVITATION_TTL_DAYS", 7)
    PASSWORD_RESET_TTL_MINUTES = _env_int("PASSWORD_RESET_TTL_MINUTES", 120)
    # "Forgot password" answers after at least this long, whether or not a mail was queued.
    PASSWORD_RESET_MIN_SECONDS = _env_float("PASSWORD_RESET_MIN_SECONDS", 0.3)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None


class DevelopmentConfig(Config):
    pass


class TestConfig(Config):
    TESTING = True
    # Hashing strength is werkzeug's business; the suite signs in thousands of times.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    RATELIMIT_ENABLED = False
    SECRET_KEY = "test-secret-key"
    QUOTA_DASHBOARD_STALE_SECONDS = 0  # tests see every change at once
    PAGE_CACHE = False  # on in tests/public/test_page_cache.py, which test it
    # "Forgot password" answers at once; its padding is tested with its own value in
    # tests/accounts/test_accounts_invitations.py.
    PASSWORD_RESET_MIN_SECONDS = 0
    SQLALCHEMY_ENGINE_OPTIONS = {}


class ProductionConfig(Config):
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")  # no default: must be set
    TRUST_LOCAL_HOSTS = False
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
