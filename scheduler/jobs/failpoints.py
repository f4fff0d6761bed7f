"""Crash drills: with JOBS_FAILPOINT="point[:n]" the scheduler kills itself with SIGKILL the
n-th time (default the first) it reaches the named point. Tests use it to prove what a crash
at each point leaves behind; the points are listed in the README ("Crash drills")."""

import os
import signal
import threading

from flask import current_app

POINTS = frozenset({"reminders_queued", "claimed", "sending", "accepted", "sent"})

_hits: dict[str, int] = {}
_lock = threading.Lock()


def parse(spec: str) -> tuple[str, int] | None:
    if not spec:
        return None
    name, _, count = spec.partition(":")
    if name not in POINTS:
        raise ValueError(f"unknown failpoint {name!r}; known: {', '.join(sorted(POINTS))}")
    return name, int(count or 1)


def failpoint(name: str) -> None:
    """Die here if a drill asks for it (a no-op otherwise)."""
    wanted = parse(current_app.config.get("JOBS_FAILPOINT", ""))
    if wanted is None or wanted[0] != name:
        return
    with _lock:
        _hits[name] = _hits.get(name, 0) + 1
        if _hits[name] == wanted[1]:
            os.kill(os.getpid(), signal.SIGKILL)
