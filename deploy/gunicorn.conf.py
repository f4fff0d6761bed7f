"""Gunicorn settings for deploy/serve.sh: sync workers, each with its own database pool.

Every value can be overridden from the environment (the names are in the README's
"Deployment" section); `gunicorn -c deploy/gunicorn.conf.py --print-config` shows the result.
"""

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


wsgi_app = "scheduler:create_app()"
bind = os.environ.get("BIND", "127.0.0.1:8000").split(",")
workers = _int("WEB_WORKERS", 4)
threads = _int("WEB_THREADS", 1)  # above 1 gunicorn switches to its threaded worker

# A planner run or an Excel export may take a while; a worker silent longer is restarted.
timeout = _int("WEB_TIMEOUT", 120)
# On SIGTERM or a restart, requests in flight get this long to finish.
graceful_timeout = _int("WEB_GRACEFUL_TIMEOUT", 30)
keepalive = _int("WEB_KEEPALIVE", 5)
# Recycle each worker after about this many requests (jitter: not all at once). A new
# worker costs about 3 s of CPU to boot and starts with empty feed caches (the page cache
# is read back from disk), so recycling is kept rare; bench/pages.py measured it (README).
max_requests = _int("WEB_MAX_REQUESTS", 50_000)
max_requests_jitter = _int("WEB_MAX_REQUESTS_JITTER", 5_000)

# Off: each worker imports the app after the fork and opens its own connection pool (a pool
# inherited across fork would share sockets between processes).
preload_app = False

accesslog = "-"  # stdout
errorlog = "-"  # stderr
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
# The usual combined format plus the time taken in seconds.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)s'

# Trust X-Forwarded-Proto/-For only from the reverse proxy (TLS ends there, so that
# ProductionConfig's Secure cookies and HSTS see https).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Gunicorn's control socket (gunicornc) defaults to one path per user, which two servers on
# one host would share: off unless WEB_CONTROL_SOCKET names this server's own path.
if os.environ.get("WEB_CONTROL_SOCKET"):
    control_socket = os.environ["WEB_CONTROL_SOCKET"]
else:
    control_socket_disable = True

# Worker heartbeat files in memory, not on a possibly slow or full disk.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
proc_name = "scheduler-web"
