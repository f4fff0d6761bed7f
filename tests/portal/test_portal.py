"""The society portal and the approval queue, through real forms with CSRF tokens."""

import sqlalchemy as sa

from scheduler.accounts.models import Role
from scheduler.admin.queue import PAGE_SIZE
from scheduler.enums import EventStatus
from scheduler.events import workflow
from scheduler.events.models import Event
from scheduler.extensions import db
from tests.conftest import csrf_token, sign_in
from tests.factories import (
    fill_events,
    local,
    make_event,
    make_series,
    make_society,
    make_user,
    make_venue,
)


def form(**kw) -> dict:
    values = {
        "title": "青少年机器人工作坊",
        "kind": "training",
        "venue": "youth-palace",
        "start": "2031-06-06T09:00",
        "end": "2031-06-06T11:00",
        "expected_attendance": "60",
        "audiences": ["youth"],
        "repeat": "",
    }
    values.update(kw)
    return values


def setup_world():
    society = make_society(slug="gd-robotics", name="广东省机器人学会")
    other = make_society(slug="gd-ai", name="广东省人工智能学会")
    venue = make_venue(slug="youth-palace", name="少年宫报告厅", capacity=100)
    editor = make_user(Role.EDITOR, society=society)
    organizer = make_user(Role.ORGANIZER)
    db.session.commit()
    return society, other, venue, editor, organizer


def test_pages_need_a_sign_in(client):
    assert client.get("/portal/").status_code == 302
    assert client.get("/admin/approvals").status_code == 302


def test_wrong_password_is_refused(client, app):
    _, _, _, editor, _ = setup_world()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": editor.email, "password": "nope", "csrf_token": token}
    )
    assert response.status_code == 401
    assert client.get("/portal/").status_code == 302


def test_forms_without_csrf_token_are_refused(client):
    _, _, _, editor, _ = setup_world()
    response = client.post("/login", data={"email": editor.email, "password": "password-123"})
    assert response.status_code == 400
    sign_in(client, editor.email)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Event))
    assert client.post("/portal/events/new", data=form()).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == before


def test_session_cookie_flags(client):
    _, _, _, editor, _ = setup_world()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": editor.email, "password": "password-123", "csrf_token": token}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_editor_registers_sees_conflict_and_submits_after_moving(client):
    _, other, venue, editor, organizer = setup_world()
    make_event(start=local(2031, 6, 6, 9), venue=venue, host=other, title="人工智能科普展")
    db.session.commit()
    token = sign_in(client, editor.email)

    live = client.post("/portal/check", data={**form(), "csrf_token": token}).get_json()
    assert [f["rule"] for f in live["findings"]] == ["venue_overlap"]
    free = live["findings"][0]["suggestions"][0]

    created = client.post("/portal/events/new", data={**form(), "csrf_token": token})
    assert created.status_code == 302
    event = db.session.scalar(sa.select(Event).where(Event.title == "青少年机器人工作坊"))
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "人工智能科普展" in page

    refused = client.post(f"/portal/events/{event.id}/submit", data={"csrf_token": token})
    assert refused.status_code == 409
    moved = client.post(
        f"/portal/events/{event.id}/edit",
        data={**form(start=free["start"][:16], end=free["end"][:16]), "csrf_token": token},
    )
    assert moved.status_code == 302
    assert (
        client.post(f"/portal/events/{event.id}/submit", data={"csrf_token": token}).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == EventStatus.SUBMITTED

    client.post("/logout", data={"csrf_token": token})
    token = sign_in(client, organizer.email)
    queue = client.get("/admin/approvals").get_data(as_text=True)
    assert "青少年机器人工作坊" in queue
    approved = client.post(
        f"/portal/events/{event.id}/approve", data={"csrf_token": token, "reason": "同意"}
    )
    assert approved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == EventStatus.APPROVED
    history = client.get(f"/portal/events/{event.id}?lang=en").get_data(as_text=True)
    for action in ("created", "edited", "submitted", "approved"):
        assert f"{action} the event" in history
    assert "青少年机器人工作坊" in client.get("/?from=2031-06-01").get_data(as_text=True)


def test_form_errors_are_shown_and_nothing_is_saved(client):
    _, _, _, editor, _ = setup_world()
    token = sign_in(client, editor.email)
    response = client.post(
        "/portal/events/new", data={**form(end="2031-06-06T08:00"), "csrf_token": token}
    )
    assert response.status_code == 400
    assert "青少年机器人工作坊" in response.get_data(as_text=True)  # the form keeps its values
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


def test_weekly_repeat_editor_builds_a_rule(client):
    _, _, _, editor, _ = setup_world()
    token = sign_in(client, editor.email)
    client.post(
        "/portal/events/new",
        data={
            **form(repeat="weekly", repeat_count="6", exdates="2031-06-13T09:00"),
            "csrf_token": token,
        },
    )
    event = db.session.scalar(sa.select(Event))
    assert event.rrule == "FREQ=WEEKLY;COUNT=6"
    assert len(event.occurrences) == 5


def test_editors_only_see_and_manage_their_own_events(client):
    _, other, _, editor, _ = setup_world()
    theirs = make_event(status=EventStatus.DRAFT, host=other, title="别人的草稿")
    db.session.commit()
    sign_in(client, editor.email)
    assert "别人的草稿" not in client.get("/portal/").get_data(as_text=True)
    assert client.get(f"/portal/events/{theirs.id}").status_code == 403
    assert client.get("/admin/approvals").status_code == 403


def test_history_shows_on_the_public_page_to_host_and_organizers_only(client):
    society, _, venue, editor, _ = setup_world()
    event = make_event(host=society, venue=venue, title="公开活动")
    from scheduler.audit.service import record

    record("event", event.id, "approve", None, {}, "审核通过")
    db.session.commit()
    assert "审核通过" not in client.get(f"/events/{event.id}").get_data(as_text=True)
    sign_in(client, editor.email)
    assert "审核通过" in client.get(f"/events/{event.id}").get_data(as_text=True)


def test_bulk_approval_approves_only_events_without_errors(client):
    society, other, _venue, editor, organizer = setup_world()

    clean = make_event(
        start=local(2031, 7, 1, 9), host=society, status=EventStatus.DRAFT, title="无冲突"
    )
    workflow.submit(clean, editor)
    series = make_series(slug="tiny", target_max=1)
    make_event(start=local(2031, 7, 2, 9), host=other, series=series)
    over = make_event(
        start=local(2031, 7, 3, 9),
        host=society,
        series=series,
        status=EventStatus.DRAFT,
        title="超额",
    )
    workflow.submit(over, editor)  # quota errors do not block filing, only approval
    db.session.commit()
    csrf = sign_in(client, organizer.email)
    queue = client.get("/admin/approvals?society=" + society.slug).get_data(as_text=True)
    assert "无冲突" in queue and "超额" in queue
    client.post(
        "/admin/approvals/bulk",
        data={"event": [str(clean.id), str(over.id)], "csrf_token": csrf},
    )
    db.session.expire_all()
    assert db.session.get(Event, clean.id).status == EventStatus.APPROVED
    assert db.session.get(Event, over.id).status == EventStatus.SUBMITTED


def test_portal_and_queue_pages_use_a_constant_number_of_queries(client, count_queries):
    society, _, _, editor, organizer = setup_world()
    editor_email, organizer_email = editor.email, organizer.email

    def count(email, path):
        client.post("/logout", data={"csrf_token": csrf_token(client)})
        sign_in(client, email)
        with count_queries() as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    def counts():
        return [count(editor_email, "/portal/"), count(organizer_email, "/admin/approvals")]

    # More than a page of the queue (each row of a page counts its findings).
    fill_events(PAGE_SIZE + 5, year=2031, host=society, status=EventStatus.SUBMITTED,
                audiences=["youth"])  # fmt: skip
    db.session.commit()
    small = counts()
    fill_events(
        495 - PAGE_SIZE, year=2031, host=society, status=EventStatus.SUBMITTED, audiences=["youth"]
    )
    db.session.commit()
    assert counts() == small
