"""One co-host rule (events/visibility.py) on every surface: a co-host society's editors see
the events they co-host once submitted, read-only, and never the host's drafts."""

import pytest

from scheduler.accounts.models import Role
from scheduler.enums import EventStatus
from scheduler.events.visibility import may_view
from scheduler.extensions import db
from scheduler.feeds.tokens import issue_feed_token
from tests.conftest import bearer, sign_in
from tests.factories import local, make_event, make_society, make_user

HIDDEN = (EventStatus.DRAFT, EventStatus.WITHDRAWN, EventStatus.REJECTED)
SHOWN = (EventStatus.SUBMITTED, EventStatus.CHANGES_REQUESTED, EventStatus.APPROVED)


@pytest.fixture
def world(app):
    host = make_society(slug="cd-astro", name="成都市天文学会", city="成都")
    cohost = make_society(slug="cd-optics", name="成都市光学学会", city="成都")
    stranger = make_society(slug="km-botany", name="昆明市植物学会", city="昆明")
    events = {}
    for n, status in enumerate(HIDDEN + SHOWN):
        events[status] = make_event(
            host=host,
            cohosts=[cohost],
            status=status,
            title=f"星空观测夜{status.value}",
            start=local(2031, 8, 1 + n, 20),
        )
    editors = {
        name: make_user(Role.EDITOR, society=society, email=f"{name}@sc.example.cn")
        for name, society in (("host", host), ("cohost", cohost), ("stranger", stranger))
    }
    db.session.commit()
    return {"events": {s: e.id for s, e in events.items()}, "editors": editors}


def titles(html: str, world) -> set:
    return {s for s, event_id in world["events"].items() if f"星空观测夜{s.value}<" in html}


def test_the_rule_itself(world):
    from scheduler.events.models import Event

    for status, event_id in world["events"].items():
        event = db.session.get(Event, event_id)
        assert may_view(world["editors"]["host"], event)
        assert may_view(world["editors"]["cohost"], event) == (status in SHOWN)
        assert may_view(world["editors"]["stranger"], event) == (status == EventStatus.APPROVED)
        assert may_view(None, event) == (status == EventStatus.APPROVED)


def test_portal_list_and_pages_follow_the_rule_read_only(client, world):
    sign_in(client, world["editors"]["cohost"].email)
    listing = client.get("/portal/").get_data(as_text=True)
    assert titles(listing, world) == set(SHOWN)
    for status, event_id in world["events"].items():
        page = client.get(f"/portal/events/{event_id}")
        if status in SHOWN:
            html = page.get_data(as_text=True)
            assert page.status_code == 200
            assert "/edit" not in html and 'name="reason"' not in html  # read-only
            assert client.get(f"/portal/events/{event_id}/edit").status_code == 403
        else:
            assert page.status_code == 403
            assert "星空观测夜" not in page.get_data(as_text=True)
    sign_in(client, world["editors"]["host"].email)
    listing = client.get("/portal/").get_data(as_text=True)
    assert titles(listing, world) == set(HIDDEN + SHOWN)


def test_api_list_and_detail_follow_the_rule(client, world):
    headers = bearer(world["editors"]["cohost"])
    statuses = ",".join(s.value for s in HIDDEN + SHOWN)
    body = client.get(f"/api/v1/events?status={statuses}", headers=headers).get_json()
    seen = {item["id"] for item in body["items"]}
    assert seen == {world["events"][s] for s in SHOWN}
    for status, event_id in world["events"].items():
        response = client.get(f"/api/v1/events/{event_id}", headers=headers)
        assert response.status_code == (200 if status in SHOWN else 404)
    stranger = bearer(world["editors"]["stranger"])
    body = client.get(f"/api/v1/events?status={statuses}", headers=stranger).get_json()
    assert {item["id"] for item in body["items"]} == {world["events"][EventStatus.APPROVED]}


def test_private_feed_follows_the_rule(client, world):
    token = issue_feed_token(world["editors"]["cohost"])
    feed = client.get(f"/feeds/private/{token}.ics").get_data(as_text=True)
    shown = {s for s in HIDDEN + SHOWN if f"星空观测夜{s.value}" in feed}
    assert shown == set(SHOWN)
    token = issue_feed_token(world["editors"]["host"])
    feed = client.get(f"/feeds/private/{token}.ics").get_data(as_text=True)
    # The host's private feed: published and pending, not its drafts or withdrawn ones.
    assert {s for s in HIDDEN + SHOWN if f"星空观测夜{s.value}" in feed} == set(SHOWN)


def test_a_new_cohost_of_a_pending_event_shows_in_the_feed_at_once(client, world):
    """Only the co-host list changes (no events column): the cached VEVENT is rebuilt."""
    from scheduler.events import workflow
    from scheduler.events.models import Event

    token = issue_feed_token(world["editors"]["host"])
    before = client.get(f"/feeds/private/{token}.ics").get_data(as_text=True)
    assert "昆明市植物学会" not in before
    event = db.session.get(Event, world["events"][EventStatus.CHANGES_REQUESTED])
    workflow.update_event(event, {"cohosts": ["cd-optics", "km-botany"]}, world["editors"]["host"])
    after = client.get(f"/feeds/private/{token}.ics").get_data(as_text=True)
    assert "昆明市植物学会" in after.replace("\r\n ", "")
