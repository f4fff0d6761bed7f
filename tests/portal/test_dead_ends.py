"""The editors' and organizers' dead ends (#16): the decision page shows the whole event and
walks the queue, the history reads as sentences, "mark as held" waits for the end, late
filing says what happens next, and the quota and planner pages say what they mean."""

import re
from datetime import timedelta

import pytest

from scheduler.accounts.models import Role
from scheduler.enums import EventKind, EventStatus
from scheduler.events import workflow
from scheduler.events.conflicts import check_event
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.feeds.tokens import issue_feed_token, tokens_of
from scheduler.planner.models import HostApplication
from scheduler.types import utcnow
from tests.conftest import sign_in
from tests.factories import (
    local,
    make_event,
    make_person,
    make_series,
    make_society,
    make_user,
    make_venue,
)


def status_of(event_id: int) -> EventStatus:
    db.session.expire_all()
    return db.session.get(Event, event_id).status


@pytest.fixture
def world(app):
    """Two societies in Chengdu and Xi'an, a hall, an expert, an editor and an organizer."""
    host = make_society(slug="cd-optics", name="成都光学学会", city="成都")
    partner = make_society(slug="xa-acoustics", name="西安声学学会", city="西安")
    hall = make_venue(slug="tianfu-hall", name="天府报告厅", city="成都", capacity=80)
    expert = make_person(slug="wang-lin", name="王林", title="研究员", affiliation="川大")
    editor = make_user(Role.EDITOR, society=host, email="bian@cd-optics.cn", name="卞编辑")
    organizer = make_user(Role.ORGANIZER, email="shen@kexie.cn", name="沈审核")
    db.session.commit()
    return {
        "host": host,
        "partner": partner,
        "hall": hall,
        "expert": expert,
        "editor": editor,
        "organizer": organizer,
    }


def submitted(w, title: str, day: int, **fields) -> Event:
    """Registered and filed by the editor through the workflow (its history starts there)."""
    body = {
        "title": title,
        "kind": "forum",
        "host": w["host"].slug,
        "venue": w["hall"].slug,
        "start": f"2031-09-{day:02d}T19:00",
        "end": f"2031-09-{day:02d}T21:00",
        **fields,
    }
    event = workflow.create_event(body, w["editor"]).event
    workflow.submit(event, w["editor"])
    return event


def test_decision_page_shows_everything_and_walks_the_queue(client, world):
    w = world
    series = make_series(slug="jinjiang", name="锦江论坛", max_per_host=1)
    make_event(start=local(2031, 8, 1, 19), host=w["host"], series=series)
    first = submitted(
        w,
        "偏振光学沙龙",
        3,
        description="第一行\n第二行：光学前沿",
        speakers=["wang-lin"],
        cohosts=["xa-acoustics"],
        expected_attendance=60,
        series="jinjiang",  # the host's second session of it: an error organizers may override
        kind="salon",
    )
    second = submitted(w, "声学开放日", 5)
    workflow.update_event(second, {"title": "声学开放日（改）"}, w["organizer"])
    db.session.commit()
    csrf = sign_in(client, w["organizer"].email)

    queue = client.get("/admin/approvals").get_data(as_text=True)
    row = queue[queue.index("偏振光学沙龙") :].split("</tr>")[0]
    assert "1 个错误" in row
    mine = client.get("/admin/approvals?mine=1").get_data(as_text=True)
    assert "声学开放日" in mine and "偏振光学沙龙" not in mine  # only the one I edited
    assert client.get("/admin/approvals?page=x").status_code == 400

    page = client.get(f"/portal/events/{first.id}").get_data(as_text=True)
    for shown in ("第二行：光学前沿", "王林", "研究员", "西安声学学会", "60", "沙龙", "锦江论坛"):
        assert shown in page, shown
    assert page.count('name="reason"') == 1
    buttons = re.findall(r'name="chosen" value="(\w+)"', page)
    assert buttons == ["approve", "request_changes", "reject"]
    assert f'href="/portal/events/{second.id}" rel="next"' in page
    # History: sentences with names and local times, not field dumps or "创建时间".
    history = page[page.index("history") :]
    assert "卞编辑 创建了活动。" in history and "卞编辑 提交了活动" in history
    assert "创建时间" not in history and "start_at" not in history
    assert "2031年9月3日 19:00" in history and "天府报告厅" in history

    # A decision without its reason changes nothing; with one, the next event opens.
    response = client.post(
        f"/portal/events/{first.id}/reject", data={"reason": " ", "csrf_token": csrf}
    )
    assert response.status_code == 302 and status_of(first.id) == EventStatus.SUBMITTED
    response = client.post(
        f"/portal/events/{first.id}/request_changes",
        data={"reason": "场地太小", "csrf_token": csrf},
    )
    assert response.headers["Location"].endswith(f"/portal/events/{second.id}")
    assert status_of(first.id) == EventStatus.CHANGES_REQUESTED
    edited = client.get(f"/portal/events/{second.id}?lang=en").get_data(as_text=True)
    assert "沈审核 edited the event." in edited and "声学开放日 → 声学开放日（改）" in edited
    response = client.post(
        f"/portal/events/{second.id}/approve", data={"reason": "", "csrf_token": csrf}
    )
    assert response.headers["Location"].endswith("/admin/approvals")  # the queue is empty


def test_mark_as_held_only_after_the_end(client, world):
    w = world
    now = utcnow()
    coming = make_event(start=now + timedelta(days=8), host=w["host"], title="八天后的讲座")
    past = make_event(start=now - timedelta(days=2), host=w["host"], title="前天的讲座")
    db.session.commit()
    csrf = sign_in(client, w["organizer"].email)
    page = client.get(f"/portal/events/{coming.id}").get_data(as_text=True)
    assert 'value="complete"' not in page and "结束" in page
    refused = client.post(f"/portal/events/{coming.id}/complete", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert "活动尚未结束" in refused.get_data(as_text=True)
    assert status_of(coming.id) == EventStatus.APPROVED
    assert 'value="complete"' in client.get(f"/portal/events/{past.id}").get_data(as_text=True)
    assert (
        client.post(f"/portal/events/{past.id}/complete", data={"csrf_token": csrf}).status_code
        == 302
    )
    assert status_of(past.id) == EventStatus.COMPLETED


def test_late_filing_says_what_happens_next_and_the_page_shows_it_all(client, world):
    w = world
    late = make_event(
        start=utcnow() + timedelta(days=5),
        host=w["host"],
        venue=w["hall"],
        status=EventStatus.DRAFT,
        is_major=True,
        title="迟报的重大活动",
    )
    db.session.commit()
    csrf = sign_in(client, w["editor"].email)
    response = client.post(
        f"/portal/events/{late.id}/submit", data={"csrf_token": csrf}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert status_of(late.id) == EventStatus.SUBMITTED
    assert "只有科协工作人员才能特批放行" in page and "收到邮件" in page
    assert "等待科协工作人员处理" in page  # and the page keeps saying so

    # The editor's page of a held event shows its kind, major flag, speakers and attendance.
    held = make_event(
        start=local(2031, 11, 2, 9),
        host=w["host"],
        kind=EventKind.LECTURE,
        is_major=True,
        speakers=[w["expert"]],
        status=EventStatus.COMPLETED,
        actual_attendance=57,
    )
    db.session.commit()
    page = client.get(f"/portal/events/{held.id}").get_data(as_text=True)
    for shown in ("讲座", "重大活动", "王林", "57", "实际参加人数"):
        assert shown in page, shown


def test_host_quota_counts_a_submitted_session_as_such(app, world):
    w = world
    series = make_series(slug="jinjiang", name="锦江论坛", max_per_host=1)
    submitted(w, "锦江论坛第一期", 10, series="jinjiang")
    second = make_event(
        start=local(2031, 10, 10, 19), host=w["host"], series=series, status=EventStatus.DRAFT
    )
    db.session.commit()
    with app.test_request_context():
        (message,) = [f.message for f in check_event(second) if f.rule == "host_quota"]
    assert "已有1场锦江论坛活动" in message and "待审批" in message and "已承办" not in message


def test_revoking_a_feed_link_asks_first(client, world):
    issue_feed_token(world["editor"], "办公室日历")
    db.session.commit()
    sign_in(client, world["editor"].email)
    page = client.get("/portal/feeds").get_data(as_text=True)
    main = page[page.index("<main") :]  # the header's menu is a <details> too
    confirm = main[main.index("<details") : main.index("</details>")]
    assert "确定撤销“办公室日历”吗？" in confirm and 'action="/portal/feeds/' in confirm
    assert all(t.revoked_at is None for t in tokens_of(world["editor"]))


def test_quota_dashboard_says_when_and_counts_applications(client, world):
    w = world
    series = make_series(slug="shu-forum", name="蜀都论坛", target_max=4)
    db.session.commit()
    sign_in(client, w["organizer"].email)
    page = client.get("/admin/quotas?year=2031").get_data(as_text=True)
    assert page.index("数据计算于") < page.index("立即重新计算")  # beside the button
    assert "系统尚未记录承办申请" in page
    db.session.add(HostApplication(society_id=w["host"].id, series_id=series.id, year=2031))
    db.session.commit()
    page = client.get("/admin/quotas?year=2031&fresh=1").get_data(as_text=True)
    assert "系统尚未记录承办申请" not in page and "2031年承办申请" in page


def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/x-icon"
    assert response.data[:4] == b"\x00\x00\x01\x00" and response.cache_control.max_age >= 86400
