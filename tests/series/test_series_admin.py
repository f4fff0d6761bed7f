"""Series administration: the service's validation, the API, the pages, the audit trail."""

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from werkzeug.security import generate_password_hash

from scheduler.accounts.models import Role
from scheduler.audit.models import AuditEntry
from scheduler.errors import BadInput, Conflict
from scheduler.extensions import db
from scheduler.planner.models import HostApplication, SeriesPlanning
from scheduler.series import service
from scheduler.series.models import HostMode, Series
from tests.conftest import assert_matches_schema, bearer, sign_in
from tests.factories import (
    local,
    make_campaign,
    make_event,
    make_series,
    make_society,
    make_user,
    make_venue,
)


@pytest.fixture(autouse=True)
def english(app):
    """Messages in English, so that the tables can name the words they expect."""
    with force_locale("en"):
        yield


@pytest.fixture
def world(app, monkeypatch):
    """A directory unlike the demo: Sichuan, a city association and its hall."""
    monkeypatch.setattr(  # a cheap password hash keeps the set-up quick
        "scheduler.accounts.models.generate_password_hash",
        lambda password, method=None: generate_password_hash(password, method="pbkdf2:sha256:1"),
    )
    host = make_society(slug="cd-cast", name="成都市科学技术协会", city="成都")
    retired = make_society(slug="old-society", name="停用的学会", city="绵阳", active=False)
    hall = make_venue(slug="tianfu-hall", name="天府科技馆报告厅", city="成都", capacity=150)
    closed = make_venue(slug="closed-hall", name="旧报告厅", city="成都", active=False)
    month = make_campaign(slug="sc-academic-month-2031", name="四川学术月2031")
    organizer = make_user(Role.ORGANIZER)
    editor = make_user(Role.EDITOR, society=host)
    db.session.commit()
    return {
        "host": host,
        "retired": retired,
        "hall": hall,
        "closed": closed,
        "month": month,
        "organizer": organizer,
        "editor": editor,
    }


def full_body(**kw) -> dict:
    body = {
        "name": "天府科学讲坛",
        "kind": "lecture",
        "description": "每两周一次，面向公众。",
        "cadence_rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE",
        "target_min": 20,
        "target_max": 24,
        "max_per_host": 2,
        "min_spacing_days": 10,
        "duration_minutes": 90,
        "default_start_time": "19:00",
        "time_slots": ["19:00", "15:00"],
        "city": "成都",
        "expected_attendance": 120,
        "preferred_weekdays": ["WE", 4],
        "preferred_months": "3, 4,5",
        "default_venue": "tianfu-hall",
        "avoid_holidays": "是",
        "avoid_weekends": "false",
        "color": "#A0522D",
        "host_mode": "fixed",
        "fixed_host": "cd-cast",
        "avoid_campaigns": ["science_day"],
    }
    return {**body, **kw}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- the service ------------------------------------------------------------------------


def test_create_parses_every_field_and_audits(world):
    series = service.create_series(full_body(), world["organizer"])
    db.session.commit()
    assert series.slug.startswith("series-")  # made from a name without ASCII letters
    assert series.cadence_rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"
    assert series.preferred_weekdays == [2, 4] and series.preferred_months == [3, 4, 5]
    assert series.avoid_holidays is True and series.avoid_weekends is False
    assert series.color == "#a0522d" and series.default_venue == world["hall"]
    assert series.host_mode == HostMode.FIXED and series.fixed_host == world["host"]
    planning = service.planning_of(series)
    assert planning.time_slots == ["15:00", "19:00"] and planning.city == "成都"
    assert planning.avoid_campaigns == ["science_day"]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity_type == "series"))
    assert entry.action == "create" and entry.actor_id == world["organizer"].id
    assert entry.changes["fixed_host"] == [None, "cd-cast"]


BAD = [
    ({"target_min": 30, "target_max": 24}, "target_min", "minimum"),
    ({"max_per_host": 0}, "max_per_host", "between"),
    ({"duration_minutes": 1441}, "duration_minutes", "between"),
    ({"duration_minutes": "90²"}, "duration_minutes", "whole number"),
    ({"target_max": "1e999"}, "target_max", "whole number"),
    ({"expected_attendance": float("nan")}, "expected_attendance", "whole number"),
    ({"min_spacing_days": 30, "target_min": 20}, "min_spacing_days", "do not fit"),
    ({"cadence_rrule": "FREQ=WEEKLY;INTERVAL=0"}, "cadence_rrule", "INTERVAL"),
    ({"cadence_rrule": "FREQ=MONTHLY;BYMONTHDAY=30;BYMONTH=2"}, "cadence_rrule", "never"),
    ({"cadence_rrule": "FREQ=WEEKLY;COUNT=5"}, "cadence_rrule", "COUNT"),
    ({"cadence_rrule": "FREQ=SECONDLY"}, "cadence_rrule", "FREQ"),
    ({"cadence_rrule": "FREQ=WEEKLY;BYDAY=XX"}, "cadence_rrule", "not valid"),
    ({"default_start_time": "25:00"}, "default_start_time", "local time"),
    ({"time_slots": "9:30"}, "time_slots", "local time"),
    ({"preferred_weekdays": ["XX"]}, "preferred_weekdays", "whole number"),
    ({"preferred_weekdays": [7]}, "preferred_weekdays", "between"),
    ({"preferred_months": [0]}, "preferred_months", "between"),
    ({"color": "red"}, "color", "colour"),
    ({"default_venue": "closed-hall"}, "default_venue", "inactive"),
    ({"default_venue": "no-such-hall"}, "default_venue", "Unknown"),
    ({"expected_attendance": 151}, "default_venue", "holds 150"),
    ({"fixed_host": "old-society"}, "fixed_host", "inactive"),
    ({"fixed_host": None}, "fixed_host", "needs that host"),
    ({"host_mode": "lottery"}, "host_mode", "one of"),
    ({"kind": "party"}, "kind", "one of"),
    ({"name": " "}, "name", "required"),
    ({"name": "讲坛\x07"}, "name", "control"),
    ({"slug": "Bad Slug"}, "slug", "lower-case"),
    ({"at_launch": True}, "at_launch", "campaign"),
    ({"inside_campaign": "no-campaign"}, "inside_campaign", "Unknown"),
    ({"avoid_campaigns": ["carnival"]}, "avoid_campaigns", "one of"),
    ({"avoid_holidays": "maybe"}, "avoid_holidays", "true or false"),
    ({"colour": "#000000"}, "colour", "Unknown"),
]


@pytest.mark.parametrize(("change", "field", "words"), BAD)
def test_bad_input_is_refused_with_the_field_and_writes_nothing(world, change, field, words):
    with pytest.raises(BadInput) as caught:
        service.create_series(full_body(**change), world["organizer"])
    db.session.rollback()
    assert caught.value.field == field and caught.value.status == 400
    assert words in caught.value.message
    assert count(Series) == 0 and count(SeriesPlanning) == 0 and count(AuditEntry) == 0


def test_inside_a_campaign_of_other_kinds_is_refused(world):
    world["month"].event_kinds = ["academic_month", "forum"]
    db.session.commit()
    body = full_body(inside_campaign="sc-academic-month-2031")
    with pytest.raises(BadInput) as caught:
        service.create_series(body, None)  # a lecture series
    assert caught.value.field == "inside_campaign" and "contains only" in caught.value.message
    db.session.rollback()
    series = service.create_series({**body, "kind": "forum"}, None)
    with pytest.raises(BadInput):  # changing its kind alone is checked too
        service.update_series(series, {"kind": "lecture"}, None)


def test_an_empty_slug_is_made_from_the_name(world):
    series = service.create_series(full_body(name="Tianfu Science Talks", slug=""), None)
    assert series.slug == "tianfu-science-talks"
    with pytest.raises(BadInput):  # an existing series keeps a slug
        service.update_series(series, {"slug": ""}, None)


def test_duplicates_are_conflicts(world):
    service.create_series(full_body(slug="tianfu"), None)
    db.session.commit()
    for change in ({"slug": "tianfu", "name": "别的讲坛"}, {"slug": "tianfu-2"}):
        with pytest.raises(Conflict):
            service.create_series(full_body(**change), None)
        db.session.rollback()
    assert count(Series) == 1


def test_update_changes_only_given_keys_and_switches_host_mode(world):
    series = service.create_series(full_body(slug="tianfu"), None)
    db.session.commit()
    service.update_series(series, {"host_mode": "applications", "target_max": "26"}, None)
    db.session.commit()
    assert series.host_mode == HostMode.APPLICATIONS and series.fixed_host is None
    assert series.target_max == 26 and series.duration_minutes == 90
    assert service.planning_of(series).time_slots == ["15:00", "19:00"]
    with pytest.raises(BadInput):  # the minimum cannot pass the stored maximum
        service.update_series(series, {"target_min": 27}, None)
    db.session.rollback()
    assert db.session.get(Series, series.id).target_min == 20


def test_delete_refused_while_events_belong_to_it(world):
    series = service.create_series(full_body(slug="tianfu"), None)
    make_event(local(2031, 5, 7, 19), series=series, title="天府科学讲坛第1讲", host=world["host"])
    db.session.commit()
    with pytest.raises(Conflict) as caught:
        service.delete_series(series, None)
    assert "天府科学讲坛第1讲" in caught.value.message
    db.session.rollback()
    service.set_series_active(series, False, None)
    db.session.commit()
    assert series.active is False


def test_delete_removes_planning_and_applications(world):
    series = service.create_series(full_body(slug="tianfu", host_mode="applications"), None)
    db.session.add(HostApplication(society_id=world["host"].id, series_id=series.id, year=2031))
    db.session.commit()
    service.delete_series(series, world["organizer"])
    db.session.commit()
    assert count(Series) == 0 and count(SeriesPlanning) == 0 and count(HostApplication) == 0
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert actions == ["create", "delete"]


# --- the API ----------------------------------------------------------------------------


def test_api_create_update_delete(client, world, app):
    auth = bearer(world["organizer"])
    spec = client.get("/api/v1/openapi.json").get_json()
    created = client.post("/api/v1/series", json=full_body(slug="tianfu"), headers=auth)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert_matches_schema(spec, "Series", body)
    assert body["fixed_host"] == "cd-cast" and body["time_slots"] == ["15:00", "19:00"]
    assert body["host_mode"] == "fixed" and body["preferred_weekdays"] == [2, 4]

    changed = client.patch(
        "/api/v1/series/tianfu",
        json={"inside_campaign": "sc-academic-month-2031", "at_launch": True},
        headers=auth,
    )
    assert changed.status_code == 200
    assert changed.get_json()["inside_campaign"] == "sc-academic-month-2031"
    listed = client.get("/api/v1/series").get_json()["items"]
    assert listed[0]["at_launch"] is True
    assert_matches_schema(spec, "Series", listed[0])

    assert client.delete("/api/v1/series/tianfu", headers=auth).status_code == 204
    assert client.delete("/api/v1/series/tianfu", headers=auth).status_code == 404


def test_api_refusals(client, world):
    make_series(slug="taken", name="已有的论坛")
    db.session.commit()
    auth = bearer(world["organizer"])
    cases = [
        (client.post("/api/v1/series", json=full_body()), 401),
        (client.post("/api/v1/series", json=full_body(), headers=bearer(world["editor"])), 403),
        (client.post("/api/v1/series", json=full_body(target_min=99), headers=auth), 400),
        (client.post("/api/v1/series", json=full_body(slug="taken"), headers=auth), 409),
        (client.post("/api/v1/series", json=["not", "an", "object"], headers=auth), 400),
        (client.patch("/api/v1/series/nope", json={}, headers=auth), 404),
        (client.patch("/api/v1/series/taken", json={"color": "#12"}, headers=auth), 400),
    ]
    for response, status in cases:
        assert response.status_code == status, response.get_json()
        assert response.get_json()["message"]
    bad = cases[2][0].get_json()
    assert bad["field"] == "target_min"
    assert count(Series) == 1 and count(AuditEntry) == 0


def test_api_delete_refused_with_reason(client, world):
    series = make_series(slug="busy")
    make_event(local(2031, 6, 1, 10), series=series, title="已排的一期", host=world["host"])
    db.session.commit()
    response = client.delete("/api/v1/series/busy", headers=bearer(world["organizer"]))
    assert response.status_code == 409 and "已排的一期" in response.get_json()["message"]
    assert count(Series) == 1


# --- the pages --------------------------------------------------------------------------


def test_pages_create_edit_and_show_errors_next_to_fields(client, world):
    token = sign_in(client, world["organizer"].email)
    assert "天府" not in client.get("/admin/series").get_data(as_text=True)
    form = {
        "csrf_token": token,
        "name": "天府科学讲坛",
        "slug": "tianfu",
        "kind": "lecture",
        "target_min": "3",
        "target_max": "2",
        "max_per_host": "1",
        "min_spacing_days": "0",
        "duration_minutes": "90",
        "default_start_time": "19:00",
        "expected_attendance": "100",
        "color": "#336699",
        "host_mode": "applications",
        "cadence_rrule": "FREQ=WEEKLY;BYDAY=WE",
        "preferred_weekdays": ["2"],
        "avoid_holidays": "1",
    }
    refused = client.post("/admin/series/new", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and count(Series) == 0
    assert 'id="target_min-error"' in html and 'value="天府科学讲坛"' in html
    form["target_max"] = "12"
    created = client.post("/admin/series/new", data=form)
    assert created.status_code == 302
    series = db.session.scalar(sa.select(Series))
    assert series.preferred_weekdays == [2] and series.avoid_weekends is False

    page = client.get("/admin/series/tianfu").get_data(as_text=True)
    assert "FREQ=WEEKLY;BYDAY=WE" in page and "series-rrule.js" in page
    form.update(host_mode="fixed", fixed_host="old-society", target_max="12")
    refused = client.post("/admin/series/tianfu", data=form)
    assert refused.status_code == 400
    assert 'id="fixed_host-error"' in refused.get_data(as_text=True)
    form["fixed_host"] = "cd-cast"
    assert client.post("/admin/series/tianfu", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Series, series.id).fixed_host.slug == "cd-cast"


def test_pages_deactivate_and_delete(client, world):
    series = make_series(slug="busy", name="忙碌的论坛")
    make_event(local(2031, 6, 1, 10), series=series, title="已排的一期", host=world["host"])
    db.session.commit()
    token = sign_in(client, world["organizer"].email)
    refused = client.post("/admin/series/busy/delete", data={"csrf_token": token})
    assert refused.status_code == 302
    assert "已排的一期" in client.get("/admin/series/busy").get_data(as_text=True)
    client.post("/admin/series/busy/active", data={"csrf_token": token, "active": "0"})
    db.session.expire_all()
    assert db.session.get(Series, series.id).active is False
    assert count(Series) == 1


def test_pages_are_for_organizers(client, world):
    sign_in(client, world["editor"].email)
    assert client.get("/admin/series").status_code == 403
    assert client.get("/admin/series/new").status_code == 403
