"""Notices link to pages their recipients may open; a plan's accept and undo send one
summary per host society instead of one notice per session."""

import re

import pytest
import sqlalchemy as sa

from scheduler.accounts.models import Role
from scheduler.enums import EventStatus
from scheduler.events import workflow
from scheduler.extensions import db
from scheduler.notifications.models import OutboxMessage
from scheduler.planner.apply import accept_plan, run_plan, undo_plan
from scheduler.planner.load import parse_request
from tests.conftest import sign_in
from tests.factories import local, make_event, make_society, make_user, make_venue
from tests.planner.planner_world import NOW, build_db_world

LINK = re.compile(r"https?://\S+")


def messages(**where) -> list[OutboxMessage]:
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(OutboxMessage, name) == value)
    return list(db.session.scalars(stmt))


def test_every_link_of_a_notice_opens_for_its_recipient(client, app):
    host = make_society(slug="cd-optics", name="成都光学学会", city="成都")
    hall = make_venue(slug="cd-hall", name="天府报告厅", city="成都")
    editor = make_user(Role.EDITOR, society=host, email="bian@cd-optics.cn")
    organizer = make_user(Role.ORGANIZER, email="shen@kexie.cn")
    rejected = make_event(
        start=local(2031, 4, 2, 9), host=host, venue=hall, status=EventStatus.DRAFT
    )
    approved = make_event(
        start=local(2031, 4, 3, 9), host=host, venue=hall, status=EventStatus.DRAFT
    )
    for event in (rejected, approved):
        workflow.submit(event, editor)
    workflow.reject(rejected, organizer, "材料不全")
    workflow.approve(approved, organizer)
    db.session.commit()
    sent = messages()
    assert {m.kind for m in sent} == {"event_submitted", "event_rejected", "event_approved"}
    for email in ("bian@cd-optics.cn", "shen@kexie.cn"):
        client.post("/logout", data={"csrf_token": ""})
        sign_in(client, email)
        links = [link for m in sent if m.recipient == email for link in LINK.findall(m.body)]
        assert links, email
        for link in links:
            path = "/" + link.split("/", 3)[3]
            assert client.get(path).status_code == 200, (email, path)
    rejection = messages(kind="event_rejected")[0]
    assert f"/portal/events/{rejected.id}" in rejection.body
    assert "材料不全" in rejection.body


@pytest.fixture
def planned(app):
    world = build_db_world()
    for society in (world["a"], world["b"], world["c"]):
        society.contact_email = f"office@{society.slug}.org"
    db.session.commit()
    request = parse_request({"year": 2027, "series": ["lingnan"], "time_limit": 5})
    return world, run_plan(request, world["organizer"], NOW)


def test_accept_and_undo_send_one_summary_per_society(planned, client):
    world, plan = planned
    accept_plan(plan, world["organizer"], NOW)
    db.session.commit()
    # The planner's pages name the series and use 24-hour times in English too.
    sign_in(client, world["organizer"].email)
    plans = client.get("/admin/planner?year=2027").get_data(as_text=True)
    assert "求解结果" in plans and "导入结果" not in plans
    page = client.get(f"/admin/planner/plans/{plan.id}?lang=en").get_data(as_text=True)
    assert "岭南科学论坛" in page and ">lingnan<" not in page and "lingnan," not in page
    assert "14:30" in page and not re.search(r"\d:\d\d\s?[AP]M", page)
    sent = messages()
    hosts = {s.host_id for s in plan.sessions}
    assert len(hosts) == 3
    # society a: its contact and its editor; b and c: their contacts.
    assert sorted(m.recipient for m in sent) == sorted(
        ["office@gd-a.org", "editor@example.org", "office@sz-b.org", "office@gd-c.org"]
    )
    assert {m.kind for m in sent} == {"event_summary"}
    mine = next(m for m in sent if m.recipient == "office@sz-b.org")
    assert f"#{plan.id}" in mine.subject and "岭南科学论坛" in mine.body
    assert "/events/" in mine.body and "14:30" in mine.body  # public page, local time

    undo_plan(plan, world["organizer"], NOW)
    undone = messages()[len(sent) :]
    assert len(undone) == 4 and {m.kind for m in undone} == {"event_summary"}
    assert all("/events/" not in m.body for m in undone)  # the events are gone: no link
