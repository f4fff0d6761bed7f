"""Venue administration: validation, closures, deactivation with bookings, API and pages."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from scheduler.accounts.models import Role
from scheduler.audit.models import AuditEntry
from scheduler.enums import EventStatus
from scheduler.errors import BadInput, Conflict
from scheduler.extensions import db
from scheduler.timeutil import to_local
from scheduler.types import utcnow
from scheduler.venues.models import Venue, VenueClosure
from scheduler.venues.service import (
    create_closure,
    create_venue,
    delete_closure,
    delete_venue,
    set_venue_active,
    update_closure,
    update_venue,
)
from tests.conftest import bearer, sign_in
from tests.factories import make_event, make_series, make_society, make_user, make_venue

HALL = {"name": "兰州科技馆报告厅", "city": "兰州", "capacity": "240", "buffer_minutes": "30"}


def venues() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Venue))


def soon(days: int = 10):
    """A local date-time ``days`` from now at 14:00 (future bookings stay future)."""
    day = to_local(utcnow()) + timedelta(days=days)
    return day.replace(hour=14, minute=0, second=0, microsecond=0)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"capacity": "0"}, "capacity"),
        ({"capacity": "-5"}, "capacity"),
        ({"capacity": "两百"}, "capacity"),
        ({"latitude": "36.06"}, "longitude"),
        ({"longitude": "103.8"}, "latitude"),
        ({"latitude": "91", "longitude": "103.8"}, "latitude"),
        ({"latitude": "36", "longitude": "-181"}, "longitude"),
        ({"latitude": "NaN", "longitude": "1"}, "latitude"),
        ({"latitude": float("inf"), "longitude": 1}, "latitude"),
        ({"buffer_minutes": "1441"}, "buffer_minutes"),
        ({"buffer_minutes": "-1"}, "buffer_minutes"),
        ({"is_online": "true", "capacity": "0"}, "stream_url"),
        ({"is_online": "true", "stream_url": "ftp://x.example/live"}, "stream_url"),
        ({"is_online": "true", "stream_url": "javascript:alert(1)"}, "stream_url"),
        ({"address": "a" * 301}, "address"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(app, changes, field):
    with pytest.raises(BadInput) as refused:
        create_venue({**HALL, **changes}, None)
    assert refused.value.field == field
    db.session.rollback()
    assert venues() == 0


def test_online_venues_need_no_seats_but_a_stream(app):
    online = create_venue(
        {
            "name": "云端讲堂",
            "is_online": "是",
            "capacity": "",
            "stream_url": "https://live.example/lz",
        },
        None,
    )
    assert online.capacity == 0 and online.is_online
    hall = create_venue({**HALL, "latitude": "36.06", "longitude": 103.83}, None)
    assert (hall.latitude, hall.longitude, hall.buffer_minutes) == (36.06, 103.83, 30)
    with pytest.raises(BadInput) as refused:  # going online needs the stream too
        update_venue(hall, {"is_online": True}, None)
    assert refused.value.field == "stream_url" and hall.is_online is False
    update_venue(hall, {"is_online": "1", "stream_url": "http://live.example/hall"}, None)
    assert hall.is_online


def test_same_name_is_a_conflict_in_one_city_only(app):
    create_venue(HALL, None)
    with pytest.raises(Conflict):
        create_venue(HALL, None)
    other_city = create_venue({**HALL, "city": "天水"}, None)
    assert other_city.slug != "" and venues() == 2
    first = create_venue({**HALL, "name": "Hall A"}, None)
    second = create_venue({**HALL, "name": "Hall A", "city": "白银"}, None)
    assert (first.slug, second.slug) == ("hall-a", "hall-a-2")


def test_deactivating_a_venue_with_future_bookings_is_refused_listing_them(app):
    hall = make_venue(name="西宁会堂", city="西宁")
    make_event(start=soon(), venue=hall, title="高原论坛", status=EventStatus.APPROVED)
    make_event(start=soon(12), venue=hall, title="待审讲座", status=EventStatus.SUBMITTED)
    make_event(start=soon(-30), venue=hall, title="往年论坛")
    make_event(start=soon(14), venue=hall, title="草稿活动", status=EventStatus.DRAFT)
    with pytest.raises(Conflict) as refused:
        set_venue_active(hall, False, None)
    message = refused.value.message
    assert "高原论坛" in message and "待审讲座" in message
    assert "往年论坛" not in message and "草稿活动" not in message
    assert hall.active is True
    with pytest.raises(Conflict) as refused:
        delete_venue(hall, None)
    assert "往年论坛" in refused.value.message


def test_an_unused_venue_is_deleted_with_its_closures(app):
    hall = make_venue(name="银川厅", city="银川")
    create_closure(hall, {"first_day": "2031-01-01", "last_day": "2031-01-02"}, None)
    delete_venue(hall, None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VenueClosure)) == 0
    used = make_venue()
    make_series(default_venue_id=used.id, name="常驻论坛")
    with pytest.raises(Conflict):
        delete_venue(used, None)


def test_closures_are_validated_audited_and_refused_over_bookings(app):
    hall = make_venue(name="乌鲁木齐厅", city="乌鲁木齐")
    organizer = make_user()
    with pytest.raises(BadInput):
        create_closure(hall, {"first_day": "2031-05-03", "last_day": "2031-05-01"}, None)
    with pytest.raises(BadInput):
        create_closure(hall, {"first_day": "2031-13-01", "last_day": "2031-05-01"}, None)
    with pytest.raises(BadInput):
        create_closure(hall, {"last_day": "2031-05-01"}, None)
    closure = create_closure(
        hall, {"first_day": "2031-05-01", "last_day": "2031-05-03", "reason": "检修"}, organizer
    )
    update_closure(closure, {"last_day": date(2031, 5, 4)}, organizer)
    assert closure.last_day == date(2031, 5, 4)
    booked = soon(20)
    make_event(start=booked, venue=hall, title="天山讲座")
    day = booked.date().isoformat()
    with pytest.raises(Conflict) as refused:
        create_closure(hall, {"first_day": day, "last_day": day}, None)
    assert "天山讲座" in refused.value.message
    with pytest.raises(Conflict):
        update_closure(closure, {"first_day": day, "last_day": day}, None)
    assert closure.first_day == date(2031, 5, 1)
    delete_closure(closure, organizer)
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.entity_type == "venue_closure")
    ).all()
    assert actions == ["create", "update", "delete"]


def test_inactive_venues_people_and_societies_leave_the_event_form_but_stay_on_events(client):
    society = make_society(name="新疆学会")
    gone = make_venue(name="旧礼堂ZQ", city="喀什", active=False)
    event = make_event(start=soon(40), venue=gone, host=society, status=EventStatus.DRAFT)
    make_user(email="org@xj.example")
    db.session.commit()
    sign_in(client, "org@xj.example")
    assert "旧礼堂ZQ" not in client.get("/portal/events/new").get_data(as_text=True)
    assert "旧礼堂ZQ" in client.get(f"/portal/events/{event.id}/edit").get_data(as_text=True)


# --- API ---------------------------------------------------------------------------------


def test_api_venue_and_closure_lifecycle(client):
    headers = bearer(make_user())
    created = client.post("/api/v1/venues", json={**HALL, "slug": "lz-hall"}, headers=headers)
    assert created.status_code == 201 and created.json["capacity"] == 240
    assert (
        client.patch("/api/v1/venues/lz-hall", json={"capacity": 0}, headers=headers).json["field"]
        == "capacity"
    )
    closure = client.post(
        "/api/v1/venues/lz-hall/closures",
        json={"first_day": "2032-03-01", "last_day": "2032-03-02", "reason": "布展"},
        headers=headers,
    )
    assert closure.status_code == 201
    path = f"/api/v1/venues/lz-hall/closures/{closure.json['id']}"
    assert client.patch(path, json={"reason": "撤展"}, headers=headers).json["reason"] == "撤展"
    listed = client.get("/api/v1/venues/lz-hall/closures").json["items"]
    assert [c["reason"] for c in listed] == ["撤展"]
    assert client.patch(path, json={"last_day": "2032-02-01"}, headers=headers).status_code == 400
    assert client.delete(path, headers=headers).status_code == 204
    assert client.delete(path, headers=headers).status_code == 404
    assert client.delete("/api/v1/venues/lz-hall", headers=headers).status_code == 204


def test_api_refusals(client):
    hall = make_venue(slug="xn-hall", name="西宁厅")
    other = make_venue(slug="other-hall")
    db.session.commit()
    editor = bearer(make_user(Role.EDITOR, make_society()))
    organizer = bearer(make_user())
    assert client.post("/api/v1/venues", json=HALL).status_code == 401
    assert client.post("/api/v1/venues", json=HALL, headers=editor).status_code == 403
    closure = create_closure(hall, {"first_day": "2033-01-01", "last_day": "2033-01-01"}, None)
    db.session.commit()
    wrong_venue = f"/api/v1/venues/other-hall/closures/{closure.id}"
    assert client.delete(wrong_venue, headers=organizer).status_code == 404
    assert (
        client.delete("/api/v1/venues/xn-hall/closures/99999999999", headers=organizer).status_code
        == 404
    )
    make_event(start=soon(), venue=hall, title="青海湖论坛")
    db.session.commit()
    refused = client.patch("/api/v1/venues/xn-hall", json={"active": False}, headers=organizer)
    assert refused.status_code == 409 and "青海湖论坛" in refused.json["message"]
    assert client.delete("/api/v1/venues/xn-hall", headers=organizer).status_code == 409
    assert venues() == 2 and other.active


def test_venue_page_edits_closures(client):
    make_venue(slug="lz-hall", name="兰州厅", city="兰州")
    make_user(email="org@gs.example")
    db.session.commit()
    token = sign_in(client, "org@gs.example")
    page = client.get("/admin/directory/venues/lz-hall")
    assert page.status_code == 200 and 'id="closures"' in page.get_data(as_text=True)
    client.post(
        "/admin/directory/venues/lz-hall/closures",
        data={
            "first_day": "2034-04-01",
            "last_day": "2034-04-03",
            "reason": "演出",
            "csrf_token": token,
        },
    )
    closure = db.session.scalar(sa.select(VenueClosure))
    assert closure.reason == "演出"
    refused = client.post(
        f"/admin/directory/venues/lz-hall/closures/{closure.id}",
        data={
            "first_day": "2034-04-05",
            "last_day": "2034-04-01",
            "reason": "",
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    assert "不能早于" in refused.get_data(as_text=True) or "before" in refused.get_data(
        as_text=True
    )
    db.session.refresh(closure)
    assert closure.last_day == date(2034, 4, 3)
    client.post(
        f"/admin/directory/venues/lz-hall/closures/{closure.id}/delete", data={"csrf_token": token}
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VenueClosure)) == 0
    response = client.post(
        "/admin/directory/venues/new", data={**HALL, "capacity": "0", "csrf_token": token}
    )
    assert response.status_code == 400 and 'id="e-capacity"' in response.get_data(as_text=True)
