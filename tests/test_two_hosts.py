"""Two hosts on one PostgreSQL database, sharing no memory and no files: two gunicorn
processes, each with its own instance folder and feed stamp, FEED_VERSION_SOURCE=database.

A change made through one host (an approval; renames of the venue, the host society and the
speaker) or straight in the database (a rename of the series) is in the other host's already
cached feeds at its very next request, without a worker recycle; both hosts write the same
canonical links (PUBLIC_BASE_URL), whatever address they were reached at.
"""

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from scheduler.accounts.models import ApiToken, Role
from scheduler.enums import EventStatus
from scheduler.extensions import db
from scheduler.series.models import Series
from tests.factories import (
    local,
    make_event,
    make_person,
    make_series,
    make_society,
    make_user,
    make_venue,
)
from tests.jobs.helpers import ROOT, free_port

GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
PUBLIC = "https://events.two-hosts.example"


class Host:
    """`gunicorn 'scheduler:create_app()'` with one worker and its own instance folder."""

    def __init__(self, name: str, database_url: str, tmp_path: Path):
        self.port = free_port()
        folder = tmp_path / name
        folder.mkdir()
        self.log = folder / "gunicorn.log"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SCHEDULER_CONFIG": "production",
            "SCHEDULER_INSTANCE": str(folder / "instance"),
            "FEED_VERSION_FILE": str(folder / "feed-version"),
            "FEED_VERSION_SOURCE": "database",
            "SECRET_KEY": "two-hosts-secret",
            "PUBLIC_BASE_URL": PUBLIC,
            "TRUSTED_HOSTS": "127.0.0.1,events.two-hosts.example",
            "PYTHONUNBUFFERED": "1",
        }
        command = [
            str(GUNICORN),
            "-w",
            "1",
            "--no-control-socket",
            "--graceful-timeout",
            "3",
            "-b",
            f"127.0.0.1:{self.port}",
            "scheduler:create_app()",
        ]
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def get(self, path: str, headers: dict | None = None, method: str = "GET", body=None):
        url = f"http://127.0.0.1:{self.port}{path}"
        data = json.dumps(body).encode() if body is not None else None
        headers = {**(headers or {}), **({"Content-Type": "application/json"} if data else {})}
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(), dict(exc.headers)

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("gunicorn did not start:\n" + self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@pytest.fixture
def seeded(app):
    host = make_society(slug="xm-ocean", name="厦门市海洋学会", city="厦门")
    hall = make_venue(slug="egret-hall", name="白鹭报告厅", city="厦门")
    speaker = make_person(slug="lin-hai", name="林海研究员")
    series = make_series(slug="tide-forum", name="潮汐论坛")
    event = make_event(
        host=host,
        venue=hall,
        series=series,
        speakers=[speaker],
        status=EventStatus.SUBMITTED,
        title="珊瑚礁保护讲座",
        start=local(2031, 9, 20, 15),
    )
    organizer = make_user(Role.ORGANIZER, email="staff@fj.example.cn")
    row, plain = ApiToken.issue(organizer)
    db.session.add(row)
    db.session.commit()
    return {"event": event.id, "token": plain}


def _rename(model, slug: str, name: str) -> None:
    db.session.execute(sa.update(model).where(model.slug == slug).values(name=name))
    db.session.commit()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_change_through_one_host_is_in_the_other_hosts_feeds_at_once(
    seeded, database_url, tmp_path
):
    hosts = [Host("a", database_url, tmp_path), Host("b", database_url, tmp_path)]
    try:
        for host in hosts:
            host.wait_ready()
        a, b = hosts
        status, before, headers = b.get("/calendar.ics")
        assert status == 200 and "珊瑚礁保护讲座" not in before  # submitted: not public yet
        etag = headers["ETag"]

        auth = {"Authorization": f"Bearer {seeded['token']}"}
        approved = a.get(f"/api/v1/events/{seeded['event']}/approve", auth, method="POST")
        assert approved[0] == 200, approved[1][:500]
        status, feed, headers = b.get("/calendar.ics", {"If-None-Match": etag})
        assert status == 200 and "珊瑚礁保护讲座" in feed
        for name in ("白鹭报告厅", "厦门市海洋学会", "林海研究员", "潮汐论坛"):
            assert name in feed.replace("\r\n ", "")
        # Canonical links on both hosts, whatever address served them.
        assert f"URL:{PUBLIC}/events/{seeded['event']}" in feed.replace("\r\n ", "")
        assert "127.0.0.1" not in feed
        assert a.get("/calendar.ics")[1] == feed

        etag = headers["ETag"]
        renames = {
            "/api/v1/venues/egret-hall": "鼓浪屿音乐厅",
            "/api/v1/societies/xm-ocean": "厦门市海洋与湿地学会",
            "/api/v1/people/lin-hai": "林海教授",
        }
        for path, name in renames.items():  # through host A's API
            renamed = a.get(path, auth, method="PATCH", body={"name": name})
            assert renamed[0] == 200, renamed[1][:500]
        _rename(Series, "tide-forum", "海峡潮汐论坛")  # and by hand in SQL: no host involved
        for host in (b, a):
            status, feed, _headers = host.get("/calendar.ics", {"If-None-Match": etag})
            unfolded = feed.replace("\r\n ", "")
            assert status == 200
            for name in ("鼓浪屿音乐厅", "厦门市海洋与湿地学会", "林海教授", "海峡潮汐论坛"):
                assert name in unfolded, name
            assert "白鹭报告厅" not in unfolded and "林海研究员" not in unfolded
        event_feed = b.get(f"/events/{seeded['event']}.ics")[1].replace("\r\n ", "")
        assert "鼓浪屿音乐厅" in event_feed

        forged = b.get("/calendar.ics", {"Host": "evil.example"})
        assert forged[0] == 400 and "evil.example" not in forged[1]
    finally:
        for host in hosts:
            host.stop()
