#!/usr/bin/env bash
# Production entry point: migrate the PostgreSQL database, then run gunicorn (WEB_WORKERS
# sync workers, deploy/gunicorn.conf.py) beside exactly one scheduler process
# (`flask --app scheduler jobs`), and supervise both.
#
#   DATABASE_URL=postgresql://user@db/scheduler SECRET_KEY=... \
#   PUBLIC_BASE_URL=https://events.example.org deploy/serve.sh [gunicorn args]
#
# If either process dies the other is stopped and the script exits non-zero (let systemd,
# Docker or Kubernetes restart it). SIGTERM or SIGINT stops both and exits 0 once both
# stopped cleanly (after STOP_TIMEOUT seconds, SIGKILL). See the README, "Deployment".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

: "${DATABASE_URL:?DATABASE_URL must point to the PostgreSQL database}"
: "${SECRET_KEY:?SECRET_KEY must be set (the same value on every host)}"
: "${PUBLIC_BASE_URL:?PUBLIC_BASE_URL must be set to the address people reach, e.g. https://events.example.org}"
case "$DATABASE_URL" in
  postgres://* | postgresql://* | postgresql+psycopg://*) ;;
  *)
    echo "serve.sh: DATABASE_URL must be PostgreSQL (several workers); make run serves SQLite" >&2
    exit 2
    ;;
esac

# Numbers in the environment are checked before anything starts, one line for a bad one.
deploy/check-env.sh PORT:1:65535 WEB_WORKERS:1:256 WEB_CONCURRENCY:1:256 WEB_THREADS:1:256 \
  WEB_TIMEOUT:1:86400 WEB_GRACEFUL_TIMEOUT:0:86400 WEB_KEEPALIVE:0:3600 \
  WEB_MAX_REQUESTS:0:100000000 WEB_MAX_REQUESTS_JITTER:0:100000000 STOP_TIMEOUT:1:86400

export SCHEDULER_CONFIG="${SCHEDULER_CONFIG:-production}"
# "stamp" (a file in the instance folder) is right while every web worker runs on this
# host; web workers on several hosts need FEED_VERSION_SOURCE=database.
export FEED_VERSION_SOURCE="${FEED_VERSION_SOURCE:-stamp}"
export WEB_WORKERS="${WEB_WORKERS:-${WEB_CONCURRENCY:-4}}" BIND="${BIND:-127.0.0.1:${PORT:-8000}}"
for address in ${BIND//,/ }; do
  port="${address##*:}"
  if [[ "$address" != unix:* ]] && ! PORT="$port" deploy/check-env.sh PORT:1:65535 2>/dev/null; then
    echo "serve.sh: BIND must be HOST:PORT (or unix:PATH), comma-separated; not '$BIND'" >&2
    exit 2
  fi
done
MIGRATE="${MIGRATE:-1}"          # 0: another host (or the release step) migrates
RUN_JOBS="${RUN_JOBS:-1}"        # 0: a web-only host; one host per deployment runs the jobs
# After SIGTERM: gunicorn's own graceful timeout, then some seconds for the processes to exit.
STOP_TIMEOUT="${STOP_TIMEOUT:-$((${WEB_GRACEFUL_TIMEOUT:-30} + 30))}"

VENV="${VENV:-$ROOT/.venv}"
if [[ -x "$VENV/bin/flask" && -x "$VENV/bin/gunicorn" ]]; then
  FLASK="$VENV/bin/flask" GUNICORN="$VENV/bin/gunicorn"
else
  FLASK="$(command -v flask)" GUNICORN="$(command -v gunicorn)"
fi

log() { echo "serve.sh: $*" >&2; }

if [[ "$MIGRATE" == 1 ]]; then
  "$FLASK" --app scheduler init-db
fi

stop_signal=""
trap 'stop_signal=TERM' TERM
trap 'stop_signal=INT' INT

# Each process leads a process group of its own (setsid; a background child of a script is
# never a group leader, so setsid runs it in place and the group id is its pid): gunicorn's
# workers are then stopped even if their master died, instead of serving on as orphans.
own_group=()
if command -v setsid >/dev/null; then own_group=(setsid); fi

"${own_group[@]}" "$GUNICORN" -c "$ROOT/deploy/gunicorn.conf.py" "$@" &
web=$!
names=([$web]=gunicorn)
pids=("$web")
if [[ "$RUN_JOBS" == 1 ]]; then
  "${own_group[@]}" "$FLASK" --app scheduler jobs &
  jobs=$!
  names[$jobs]=scheduler
  pids+=("$jobs")
fi
log "gunicorn (pid $web, $WEB_WORKERS workers on $BIND)${jobs:+ and the scheduler (pid $jobs)} started"

# signal SIG: to each process's group (it and its children), else to the process alone.
signal_all() {
  local pid
  for pid in "${pids[@]}"; do
    kill "-$1" -- "-$pid" 2>/dev/null || kill "-$1" "$pid" 2>/dev/null || true
  done
}

alive() {
  local pid
  for pid in "${pids[@]}"; do
    if kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null; then return 0; fi
  done
  return 1
}

# SIGTERM (gunicorn finishes the requests in flight within WEB_GRACEFUL_TIMEOUT, the
# scheduler gives its lease back), SIGKILL after STOP_TIMEOUT.
stop_all() {
  local deadline=$((SECONDS + STOP_TIMEOUT))
  signal_all TERM
  while alive; do
    if ((SECONDS >= deadline)); then
      log "still running after ${STOP_TIMEOUT}s; sending SIGKILL"
      signal_all KILL
      break
    fi
    sleep 0.2
  done
}

set +e
finished=""
status=0
while [[ -z "$stop_signal" && -z "${finished:-}" ]]; do
  wait -n -p finished "${pids[@]}"
  status=$?
done

if [[ -n "$stop_signal" ]]; then
  log "SIGTERM/SIGINT ($stop_signal): stopping gunicorn${jobs:+ and the scheduler}"
  stop_all
  code=0
  for pid in "${pids[@]}"; do
    wait "$pid"
    rc=$?
    # 127: already reaped by `wait -n` above, having exited on the same signal.
    if ((rc != 0 && rc != 127)); then
      log "${names[$pid]} exited with status $rc while stopping"
      code=1
    fi
  done
  exit "$code"
fi

log "${names[$finished]} (pid $finished) exited with status $status; stopping the rest"
stop_all
wait
exit $((status == 0 ? 1 : status))
