"""/admin/jobs and /admin/outbox: organizers only; "run now" is a request the scheduler
process picks up; a bad configuration stops the scheduler with a clear message."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from scheduler import create_app
from scheduler.accounts.models import Role
from scheduler.extensions import db
from scheduler.jobs.lease import Lease
from scheduler.jobs.models import JobRun, RunState
from scheduler.jobs.runner import SchedulerProcess
from scheduler.notifications.service import queue_message
from tests.conftest import sign_in
from tests.factories import make_society, make_user


@pytest.fixture
def organizer(app):
    user = make_user(Role.ORGANIZER, email="boss@cast.example")
    db.session.commit()
    return user


def test_the_pages_are_for_organizers_only(client, organizer):
    editor = make_user(Role.EDITOR, society=make_society())
    db.session.commit()
    assert client.get("/admin/jobs").status_code == 302  # sign in first
    sign_in(client, editor.email)
    assert client.get("/admin/jobs").status_code == 403
    assert client.get("/admin/outbox").status_code == 403


def test_the_jobs_page_shows_every_job_and_whether_the_scheduler_runs(client, organizer):
    sign_in(client, organizer.email)
    page = client.get("/admin/jobs").get_data(as_text=True)
    for label in (
        "承办提醒",
        "备案提醒",
        "活动结项",
        "每周指标简报",
        "休眠学会",
        "邮件投递",
    ):
        assert label in page
    assert "调度进程尚未运行过" in page
    english = client.get("/admin/jobs?lang=en").get_data(as_text=True)
    assert "Weekly quota digest" in english and "No scheduler has run yet" in english


def test_run_now_writes_a_request_that_the_scheduler_process_runs(app, client, organizer, clock):
    token = sign_in(client, organizer.email)
    assert client.post("/admin/jobs/quota_digest/run").status_code == 400  # no CSRF token
    assert client.post("/admin/jobs/nothing/run", data={"csrf_token": token}).status_code == 404
    response = client.post("/admin/jobs/quota_digest/run", data={"csrf_token": token})
    assert response.status_code == 302
    request = db.session.scalar(sa.select(JobRun))
    assert (request.job_id, request.state, request.manual) == ("quota_digest", "requested", True)
    assert "已请求" in client.get("/admin/jobs").get_data(as_text=True)

    process = SchedulerProcess(app, clock)  # the scheduler's side, without its threads
    process.lease = Lease(process.holder, 1, clock.now() + timedelta(minutes=1))
    process.poll_requests()
    db.session.rollback()
    run = db.session.get(JobRun, request.id)
    assert run.state == RunState.OK and run.counts == {"series_behind": 0, "notified": 1}
    assert run.holder == process.holder


def test_the_outbox_page_lists_messages_and_their_attachments(client, organizer):
    queue_message(
        "test", "a@example.org", "zh_CN", "报告厅变更通知", "正文", attachment=("e.ics", "X")
    )
    queue_message("test", "b@example.org", "en", "Venue change", "Body")
    db.session.commit()
    sign_in(client, organizer.email)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "报告厅变更通知" in page and "Venue change" in page and "等待发送" in page
    assert "a@example.org" not in client.get("/admin/outbox?state=sent").get_data(as_text=True)
    download = client.get("/admin/outbox/1/attachment")
    assert download.headers["Content-Type"].startswith("text/calendar")
    assert client.get("/admin/outbox/2/attachment").status_code == 404


@pytest.mark.parametrize(
    "offsets, message",
    [("7d,-1d", "not after zero"), ("400d", "longer than a year"), ("soon", "not an offset")],
)
def test_the_scheduler_refuses_to_start_with_bad_reminder_offsets(offsets, message):
    app = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://", REMINDER_OFFSETS=offsets)
    with app.app_context():
        db.create_all()  # a set-up database: only the settings are wrong
    result = app.test_cli_runner().invoke(args=["jobs"])
    assert result.exit_code == 1
    assert "REMINDER_OFFSETS" in result.output and message in result.output
