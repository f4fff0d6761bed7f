"""Campaign administration: the service's validation, the API, the pages, and the rule that
a campaign listing the kinds it contains refuses events of other kinds."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from werkzeug.security import generate_password_hash

from scheduler.accounts.models import Role
from scheduler.audit.models import AuditEntry
from scheduler.campaigns import service
from scheduler.campaigns.models import Campaign, CampaignKind
from scheduler.enums import EventKind
from scheduler.errors import BadInput, Conflict
from scheduler.events.conflicts import check_event
from scheduler.extensions import db
from scheduler.planner.models import SeriesPlanning
from tests.conftest import assert_matches_schema, bearer, sign_in
from tests.factories import local, make_event, make_series, make_society, make_user


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


@pytest.fixture
def world(app, monkeypatch):
    """Hubei: a provincial association's organizer, an editor of a Wuhan society."""
    monkeypatch.setattr(
        "scheduler.accounts.models.generate_password_hash",
        lambda password, method=None: generate_password_hash(password, method="pbkdf2:sha256:1"),
    )
    society = make_society(slug="wh-optics", name="武汉光学学会", city="武汉")
    organizer = make_user(Role.ORGANIZER)
    editor = make_user(Role.EDITOR, society=society)
    db.session.commit()
    return {"society": society, "organizer": organizer, "editor": editor}


def body(**kw) -> dict:
    values = {
        "name": "湖北科技活动周2031",
        "slug": "hb-science-week-2031",
        "kind": "science_day",
        "theme": "科技创新 强省之路",
        "start_date": "2031-05-18",
        "end_date": "2031-05-24",
        "launch_at": "2031-05-18 09:00",
        "participation_target": "45%",
        "event_kinds": "science_day, exhibition",
    }
    return {**values, **kw}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_create_parses_and_audits(world):
    campaign = service.create_campaign(body(), world["organizer"])
    db.session.commit()
    assert campaign.kind == CampaignKind.SCIENCE_DAY
    assert campaign.launch_at == datetime(2031, 5, 18, 1, 0, tzinfo=UTC)  # 09:00 in Wuhan
    assert campaign.participation_target == pytest.approx(0.45)
    assert campaign.event_kinds == ["science_day", "exhibition"]
    entry = db.session.scalar(sa.select(AuditEntry))
    assert (entry.entity_type, entry.action) == ("campaign", "create")
    assert entry.changes["start_date"] == [None, "2031-05-18"]


BAD = [
    ({"end_date": "2031-05-17"}, "end_date", "end before"),
    ({"start_date": "2031-02-30"}, "start_date", "date such as"),
    ({"start_date": 20310518}, "start_date", "date such as"),
    ({"launch_at": "2031-05-25T09:00"}, "launch_at", "inside the campaign"),
    ({"launch_at": "2031-05-17T23:59"}, "launch_at", "inside the campaign"),
    ({"launch_at": "tomorrow"}, "launch_at", "local date and time"),
    ({"participation_target": "120%"}, "participation_target", "between"),
    ({"participation_target": 1.5}, "participation_target", "between"),
    ({"participation_target": "Infinity"}, "participation_target", "number"),
    ({"event_kinds": ["picnic"]}, "event_kinds", "one of"),
    ({"kind": "party"}, "kind", "one of"),
    ({"name": ""}, "name", "required"),
    ({"theme": "x" * 301}, "theme", "longer than"),
    ({"budget": 3}, "budget", "Unknown"),
]


@pytest.mark.parametrize(("change", "field", "words"), BAD)
def test_bad_input_is_refused_and_writes_nothing(world, change, field, words):
    with pytest.raises(BadInput) as caught:
        service.create_campaign(body(**change), world["organizer"])
    db.session.rollback()
    assert caught.value.field == field and words in caught.value.message
    assert count(Campaign) == 0 and count(AuditEntry) == 0


def test_missing_window_is_required(world):
    with pytest.raises(BadInput) as caught:
        service.create_campaign({"name": "无窗口", "kind": "other"}, None)
    assert caught.value.field == "start_date"


def test_update_only_given_keys_and_launch_checked_against_the_new_window(world):
    campaign = service.create_campaign(body(), None)
    db.session.commit()
    service.update_campaign(campaign, {"theme": "新主题", "participation_target": ""}, None)
    db.session.commit()
    assert campaign.theme == "新主题" and campaign.participation_target is None
    assert campaign.launch_at is not None
    with pytest.raises(BadInput) as caught:  # the stored launch falls outside the new window
        service.update_campaign(campaign, {"start_date": "2031-05-19"}, None)
    assert caught.value.field == "launch_at"
    db.session.rollback()
    assert db.session.get(Campaign, campaign.id).start_date == date(2031, 5, 18)


def test_duplicates_and_delete_refusals(world):
    campaign = service.create_campaign(body(), None)
    db.session.commit()
    with pytest.raises(Conflict):
        service.create_campaign(body(name="另一个名字"), None)
    db.session.rollback()
    event = make_event(local(2031, 5, 20, 10), campaign=campaign, title="光学科普开放日",
                       host=world["society"], kind=EventKind.SCIENCE_DAY)  # fmt: skip
    db.session.commit()
    with pytest.raises(Conflict) as caught:
        service.delete_campaign(campaign, None)
    assert "光学科普开放日" in caught.value.message
    db.session.rollback()
    db.session.delete(db.session.get(type(event), event.id))
    series = make_series(slug="wh-forum", name="武汉光谷论坛")
    db.session.add(SeriesPlanning(series_id=series.id, inside_campaign_id=campaign.id))
    db.session.commit()
    with pytest.raises(Conflict) as caught:
        service.delete_campaign(campaign, None)
    assert "武汉光谷论坛" in caught.value.message
    db.session.rollback()
    assert count(Campaign) == 1


def test_kinds_must_keep_the_series_planned_inside(world):
    campaign = service.create_campaign(body(), None)
    series = make_series(slug="wh-talks", name="光谷讲坛", kind=EventKind.LECTURE)
    db.session.add(SeriesPlanning(series_id=series.id, inside_campaign_id=campaign.id))
    db.session.commit()
    with pytest.raises(BadInput) as caught:
        service.update_campaign(campaign, {"event_kinds": ["forum"]}, None)
    assert caught.value.field == "event_kinds" and "光谷讲坛" in caught.value.message
    db.session.rollback()
    service.update_campaign(campaign, {"event_kinds": ["lecture", "forum"]}, None)
    service.update_campaign(campaign, {"event_kinds": []}, None)


def test_delete_an_unused_campaign(world):
    campaign = service.create_campaign(body(), world["organizer"])
    db.session.commit()
    service.delete_campaign(campaign, world["organizer"])
    db.session.commit()
    assert count(Campaign) == 0
    assert db.session.scalars(sa.select(AuditEntry.action)).all() == ["create", "delete"]


# --- the campaign kind rule, end to end --------------------------------------------------


def test_an_event_of_another_kind_is_an_error(world):
    campaign = service.create_campaign(body(launch_at=""), None)
    forum = make_event(local(2031, 5, 20, 14), campaign=campaign, kind=EventKind.FORUM,
                       host=world["society"])  # fmt: skip
    fair = make_event(local(2031, 5, 21, 14), campaign=campaign, kind=EventKind.EXHIBITION,
                      host=world["society"])  # fmt: skip
    findings = [f for f in check_event(forum) if f.rule == "campaign_kind"]
    assert len(findings) == 1 and findings[0].severity == "error"
    assert "contains only" in findings[0].message and "Forum" in findings[0].message
    assert not [f for f in check_event(fair) if f.rule == "campaign_kind"]
    service.update_campaign(campaign, {"event_kinds": []}, None)  # empty: any kind
    assert not [f for f in check_event(forum) if f.rule == "campaign_kind"]


# --- the API ------------------------------------------------------------------------------


def test_api_create_update_delete(client, world):
    auth = bearer(world["organizer"])
    spec = client.get("/api/v1/openapi.json").get_json()
    created = client.post("/api/v1/campaigns", json=body(), headers=auth)
    assert created.status_code == 201, created.get_json()
    assert_matches_schema(spec, "Campaign", created.get_json())
    assert created.get_json()["launch_at"].startswith("2031-05-18T09:00")
    changed = client.patch(
        "/api/v1/campaigns/hb-science-week-2031", json={"event_kinds": []}, headers=auth
    )
    assert changed.status_code == 200 and changed.get_json()["event_kinds"] == []
    listed = client.get("/api/v1/campaigns").get_json()["items"]
    assert_matches_schema(spec, "Campaign", listed[0])
    path = "/api/v1/campaigns/hb-science-week-2031"
    assert client.delete(path, headers=auth).status_code == 204
    assert client.delete(path, headers=auth).status_code == 404


def test_api_refusals(client, world):
    auth = bearer(world["organizer"])
    assert client.post("/api/v1/campaigns", json=body()).status_code == 401
    editor = bearer(world["editor"])
    assert client.post("/api/v1/campaigns", json=body(), headers=editor).status_code == 403
    bad = client.post("/api/v1/campaigns", json=body(end_date="2031-01-01"), headers=auth)
    assert bad.status_code == 400 and bad.get_json()["field"] == "end_date"
    assert client.post("/api/v1/campaigns", json=body(), headers=auth).status_code == 201
    twice = client.post("/api/v1/campaigns", json=body(), headers=auth)
    assert twice.status_code == 409 and twice.get_json()["message"]
    assert count(Campaign) == 1


# --- the pages ----------------------------------------------------------------------------


def test_pages_create_with_errors_next_to_fields_then_edit(client, world):
    token = sign_in(client, world["organizer"].email)
    form = {**body(launch_at="2031-06-01T09:00", event_kinds=None), "csrf_token": token}
    form["event_kinds"] = ["science_day", "exhibition"]
    refused = client.post("/admin/campaigns/new", data=form)
    assert refused.status_code == 400 and count(Campaign) == 0
    html = refused.get_data(as_text=True)
    assert 'id="launch_at-error"' in html and "湖北科技活动周2031" in html
    form["launch_at"] = "2031-05-18T09:00"
    assert client.post("/admin/campaigns/new", data=form).status_code == 302
    page = client.get("/admin/campaigns/hb-science-week-2031").get_data(as_text=True)
    assert 'value="2031-05-18T09:00"' in page and 'value="45%"' in page
    form["theme"] = "改过的主题"
    assert client.post("/admin/campaigns/hb-science-week-2031", data=form).status_code == 302
    assert "改过的主题" in client.get("/admin/campaigns").get_data(as_text=True)
    assert (
        client.post(
            "/admin/campaigns/hb-science-week-2031/delete", data={"csrf_token": token}
        ).status_code
        == 302
    )
    assert count(Campaign) == 0


def test_pages_are_for_organizers(client, world):
    sign_in(client, world["editor"].email)
    assert client.get("/admin/campaigns").status_code == 403
    assert client.get("/admin/campaigns/new").status_code == 403
