"""Helpers for the jobs tests: a real SMTP server on localhost, a fixed clock, job contexts,
and the scheduler as a separate process (`flask --app scheduler jobs`)."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import current_app

from scheduler.extensions import db
from scheduler.jobs.clock import FixedClock
from scheduler.jobs.settings import JobSettings
from scheduler.jobs.tasks import JOBS, JobContext
from scheduler.notifications.mailer import MailSettings
from tests.factories import local

ROOT = Path(__file__).resolve().parents[2]
# The jobs' "now" in most tests: a Thursday morning in Guangzhou.
NOW = local(2027, 3, 4, 8, 0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout: float = 20, what: str = "condition"):
    """Poll ``condition`` until it returns something truthy (no sleeping for time itself)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def fresh(query):
    """Run a query in a new transaction (see the other processes' commits)."""
    db.session.rollback()
    return query()


def count(model, *where) -> int:
    return fresh(
        lambda: db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))
    )


def run_job(job_id: str, clock: FixedClock, manual: bool = False, run_id: int = 1, **mail):
    """Run one job in this process, as the scheduler would, at the clock's time."""
    config = {**current_app.config, **mail}
    ctx = JobContext(
        settings=JobSettings.from_config(config),
        mail=MailSettings.from_config(config),
        now=clock.now,
        holder="test-holder",
        run_id=run_id,
        manual=manual,
    )
    return JOBS[job_id].run(ctx)


class Inbox:
    """A real SMTP server on localhost (aiosmtpd) that keeps every message it accepts.

    ``block_rcpt(n)`` makes the n-th RCPT TO hang until ``release()``: the client is then
    stuck in the middle of a batch, where a test can kill it."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages = []
        self.rcpts = 0
        self.block_at = None
        self.refuse: set[str] = set()
        self.blocked = threading.Event()
        self.released = threading.Event()
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def start(self) -> "Inbox":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self.controller.stop()

    def block_rcpt(self, n: int) -> None:
        self.block_at = n

    def release(self) -> None:
        self.released.set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpts += 1
            n = self.rcpts
        if n == self.block_at:
            self.blocked.set()
            while not self.released.is_set():
                await asyncio.sleep(0.01)
            return "451 try again later"
        if address in self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def received(self) -> list:
        with self.lock:
            return list(self.messages)

    def recipients(self) -> list[str]:
        return sorted(r for rcpts, _ in self.received() for r in rcpts)

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for _, m in self.received()]


class SchedulerProcess:
    """`flask --app scheduler jobs` in a subprocess, on the test's database."""

    def __init__(self, database_url: str, tmp_path: Path, name: str, **env):
        self.log = tmp_path / f"scheduler-{name}.log"
        environment = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SCHEDULER_INSTANCE": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret-key",
            "FEED_VERSION_FILE": str(tmp_path / "feed-version"),
            "PYTHONUNBUFFERED": "1",
            **{k: str(v) for k, v in env.items()},
        }
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "scheduler", "jobs"],
                cwd=ROOT,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def died_of_sigkill(self, timeout: float = 30) -> bool:
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("the scheduler did not crash:\n" + self.output()) from None
        return code == -signal.SIGKILL

    def stop(self, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def ensure_dead(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
