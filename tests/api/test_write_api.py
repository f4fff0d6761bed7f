"""Registering and deciding events through the API: the workflow, findings, bad input."""

import pytest
import sqlalchemy as sa

from scheduler.accounts.models import Role
from scheduler.audit.models import AuditEntry
from scheduler.enums import EventStatus
from scheduler.events.models import Event, Occurrence
from scheduler.extensions import db
from scheduler.notifications.models import OutboxMessage
from tests.conftest import assert_matches_schema, bearer
from tests.factories import (
    local,
    make_event,
    make_person,
    make_series,
    make_society,
    make_user,
    make_venue,
)


@pytest.fixture
def world(app):
    society = make_society(
        slug="gd-physics", name="广东省物理学会", contact_email="phys@example.org"
    )
    other = make_society(slug="gd-chem", name="广东省化学学会")
    hall = make_venue(slug="science-hall", name="科学馆报告厅", capacity=300, buffer_minutes=30)
    small = make_venue(slug="small-room", name="小会议室", capacity=40)
    editor = make_user(Role.EDITOR, society=society)
    rival = make_user(Role.EDITOR, society=other)
    organizer = make_user(Role.ORGANIZER)
    db.session.commit()
    return {
        "society": society,
        "other": other,
        "hall": hall,
        "small": small,
        "editor": bearer(editor),
        "rival": bearer(rival),
        "organizer": bearer(organizer),
    }


def body(**kw) -> dict:
    values = {
        "title": "量子计算前沿讲座",
        "kind": "lecture",
        "host": "gd-physics",
        "venue": "science-hall",
        "start": "2031-04-12T14:30",
        "end": "2031-04-12T16:30",
        "expected_attendance": 120,
        "audiences": ["scientists"],
    }
    values.update(kw)
    return values


EN = {"Accept-Language": "en"}


def counts():
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (Event, Occurrence, AuditEntry, OutboxMessage)
    )


def test_create_returns_a_draft_with_findings(client, world):
    response = client.post("/api/v1/events", json=body(), headers=world["editor"])
    assert response.status_code == 201, response.get_json()
    event = response.get_json()
    assert event["status"] == "draft" and event["findings"] == []
    assert event["start"] == "2031-04-12T14:30:00+08:00"
    stored = db.session.get(Event, event["id"])
    assert stored.host.slug == "gd-physics" and stored.sequence == 0


def test_the_full_workflow_with_audit_and_notifications(client, world):
    created = client.post("/api/v1/events", json=body(), headers=world["editor"]).get_json()
    eid = created["id"]
    submitted = client.post(f"/api/v1/events/{eid}/submit", headers=world["editor"])
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "submitted"
    approved = client.post(
        f"/api/v1/events/{eid}/approve", json={"reason": "符合要求"}, headers=world["organizer"]
    ).get_json()
    assert approved["status"] == "approved" and approved["sequence"] == 1
    assert client.get(f"/api/v1/events/{eid}").status_code == 200  # now public
    cancelled = client.post(
        f"/api/v1/events/{eid}/cancel", json={"reason": "台风"}, headers=world["editor"]
    ).get_json()
    assert cancelled["status"] == "cancelled" and cancelled["sequence"] == 2
    assert cancelled["decision_reason"] == "台风"
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.entity_id == eid).order_by(AuditEntry.id)
    ).all()
    assert actions == ["create", "submit", "approve", "cancel"]
    kinds = db.session.scalars(sa.select(OutboxMessage.kind).order_by(OutboxMessage.id)).all()
    assert (
        kinds[0] == "event_submitted" and "event_approved" in kinds and "event_cancelled" in kinds
    )
    occurrence = db.session.scalar(sa.select(Occurrence).where(Occurrence.event_id == eid))
    assert occurrence.cancelled and not occurrence.holds_slot  # the slot is released


def test_submit_refuses_a_double_booked_hall_with_suggestions(client, world):
    make_event(
        start=local(2031, 4, 12, 15),
        venue=world["hall"],
        host=world["other"],
        title="已批准的化学论坛",
    )
    db.session.commit()
    created = client.post("/api/v1/events", json=body(), headers=world["editor"]).get_json()
    assert [f["rule"] for f in created["findings"]] == ["venue_overlap"]
    before = counts()
    response = client.post(f"/api/v1/events/{created['id']}/submit", headers=world["editor"])
    assert response.status_code == 409
    payload = response.get_json()
    finding = payload["findings"][0]
    assert finding["rule"] == "venue_overlap" and finding["severity"] == "error"
    assert finding["conflicts_with"]["title"] == "已批准的化学论坛"
    assert len([s for s in finding["suggestions"] if s["venue"]["name"] == "科学馆报告厅"]) == 3
    assert counts() == before
    assert db.session.get(Event, created["id"]).status == EventStatus.DRAFT


def test_drafts_hold_nothing_and_rejection_releases_the_slot(client, world):
    first = client.post("/api/v1/events", json=body(), headers=world["editor"]).get_json()
    second = client.post(
        "/api/v1/events", json=body(host="gd-chem", title="化学之夜"), headers=world["rival"]
    ).get_json()
    assert second["findings"] == []  # the first is only a draft
    assert (
        client.post(f"/api/v1/events/{first['id']}/submit", headers=world["editor"]).status_code
        == 200
    )
    assert (
        client.post(f"/api/v1/events/{second['id']}/submit", headers=world["rival"]).status_code
        == 409
    )
    rejected = client.post(
        f"/api/v1/events/{first['id']}/reject",
        json={"reason": "主题重复"},
        headers=world["organizer"],
    )
    assert rejected.status_code == 200
    assert (
        client.post(f"/api/v1/events/{second['id']}/submit", headers=world["rival"]).status_code
        == 200
    )


def test_approval_over_an_overridable_error_needs_a_reason(client, world):
    series = make_series(slug="lingnan", name="岭南科学论坛", target_max=1, max_per_host=1)
    make_event(start=local(2031, 3, 1, 9), series=series, host=world["other"])
    db.session.commit()
    created = client.post(
        "/api/v1/events", json=body(series="lingnan"), headers=world["editor"]
    ).get_json()
    assert [f["rule"] for f in created["findings"]] == ["series_quota"]
    eid = created["id"]
    submitted = client.post(f"/api/v1/events/{eid}/submit", headers=world["editor"])
    assert submitted.status_code == 200  # quotas are the organizer's call
    plain = client.post(f"/api/v1/events/{eid}/approve", json={}, headers=world["organizer"])
    assert plain.status_code == 409 and plain.get_json()["findings"][0]["rule"] == "series_quota"
    no_reason = client.post(
        f"/api/v1/events/{eid}/approve", json={"override": True}, headers=world["organizer"]
    )
    assert no_reason.status_code == 400 and no_reason.get_json()["field"] == "reason"
    ok = client.post(
        f"/api/v1/events/{eid}/approve",
        json={"override": True, "reason": "省科协特批第二期"},
        headers=world["organizer"],
    )
    assert ok.status_code == 200
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "approve"))
    assert entry.changes["override"] == ["series_quota"] and entry.reason == "省科协特批第二期"


def test_conflict_check_writes_nothing(client, world):
    make_event(start=local(2031, 4, 12, 14), venue=world["hall"], host=world["other"])
    db.session.commit()
    before = counts()
    response = client.post(
        "/api/v1/conflicts/check", json=body(expected_attendance=500), headers=world["editor"]
    )
    assert response.status_code == 200
    rules = [f["rule"] for f in response.get_json()["findings"]]
    assert rules == ["venue_overlap", "capacity"]
    assert counts() == before


def test_speaker_double_booking_is_found(client, world):
    expert = make_person(slug="academician-li", name="李院士")
    make_event(start=local(2031, 4, 12, 15), speakers=[expert], host=world["other"])
    db.session.commit()
    response = client.post(
        "/api/v1/conflicts/check",
        json=body(speakers=["academician-li"], venue="small-room", expected_attendance=30),
        headers=world["editor"],
    )
    (finding,) = response.get_json()["findings"]
    assert finding["rule"] == "speaker_overlap" and "李院士" in finding["message"]


def test_editors_cannot_touch_other_societies_events(client, world):
    created = client.post("/api/v1/events", json=body(), headers=world["editor"]).get_json()
    eid = created["id"]
    assert (
        client.patch(
            f"/api/v1/events/{eid}", json={"title": "x"}, headers=world["rival"]
        ).status_code
        == 403
    )
    assert client.post(f"/api/v1/events/{eid}/submit", headers=world["rival"]).status_code == 403
    assert client.delete(f"/api/v1/events/{eid}", headers=world["rival"]).status_code == 403
    assert client.post("/api/v1/events", json=body(), headers=world["rival"]).status_code == 403
    assert client.post(f"/api/v1/events/{eid}/approve", headers=world["editor"]).status_code == 403
    assert client.post("/api/v1/events", json=body()).status_code == 401


def test_patch_and_delete_only_for_drafts(client, world):
    eid = client.post("/api/v1/events", json=body(), headers=world["editor"]).get_json()["id"]
    patched = client.patch(
        f"/api/v1/events/{eid}", json={"title": "新标题"}, headers=world["editor"]
    )
    assert patched.status_code == 200 and patched.get_json()["title"] == "新标题"
    client.post(f"/api/v1/events/{eid}/submit", headers=world["editor"])
    assert (
        client.patch(
            f"/api/v1/events/{eid}", json={"title": "x"}, headers=world["editor"]
        ).status_code
        == 409
    )
    assert client.delete(f"/api/v1/events/{eid}", headers=world["editor"]).status_code == 409
    draft = client.post(
        "/api/v1/events",
        json=body(start="2031-05-01T09:00", end="2031-05-01T10:00"),
        headers=world["editor"],
    ).get_json()["id"]
    assert client.delete(f"/api/v1/events/{draft}", headers=world["editor"]).status_code == 204
    assert db.session.get(Event, draft) is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end": "2031-04-12T13:00"}, "end"),
        ({"end": "2031-04-12T14:30"}, "end"),
        ({"venue": "no-such-hall"}, "venue"),
        ({"host": "no-such-society"}, "host"),
        ({"speakers": ["nobody"]}, "speakers"),
        ({"title": "长" * 201}, "title"),
        ({"title": ""}, "title"),
        ({"description": "x" * 20_001}, "description"),
        ({"rrule": "FREQ=SOMETIMES"}, "rrule"),
        ({"rrule": "FREQ=DAILY"}, "rrule"),
        ({"rrule": "FREQ=DAILY;COUNT=501"}, "rrule"),
        ({"start": "1969-12-31T10:00", "end": "1969-12-31T11:00"}, "start"),
        ({"start": "2101-01-01T10:00", "end": "2101-01-01T11:00"}, "start"),
        ({"start": "not a date"}, "start"),
        ({"kind": "party"}, "kind"),
        ({"audiences": ["aliens"]}, "audiences"),
        ({"expected_attendance": -5}, "expected_attendance"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(client, world, changes, field):
    before = counts()
    response = client.post("/api/v1/events", json=body(**changes), headers=world["editor"])
    assert response.status_code == 400, response.get_json()
    payload = response.get_json()
    assert payload["field"] == field and payload["message"]
    assert counts() == before


def test_markup_is_stored_as_text(client, world):
    evil = '<img src=x onerror="alert(1)">'
    created = client.post(
        "/api/v1/events", json=body(title=evil, description=evil), headers=world["editor"]
    )
    assert created.get_json()["title"] == evil
    eid = created.get_json()["id"]
    client.post(f"/api/v1/events/{eid}/submit", headers=world["editor"])
    client.post(f"/api/v1/events/{eid}/approve", headers=world["organizer"])
    html = client.get(f"/events/{eid}").get_data(as_text=True)
    assert evil not in html and "&lt;img src=x" in html


def test_transitions_not_allowed_from_the_current_status_are_409(client, world):
    eid = client.post("/api/v1/events", json=body(), headers=world["editor"]).get_json()["id"]
    assert (
        client.post(f"/api/v1/events/{eid}/approve", headers=world["organizer"]).status_code == 409
    )
    assert (
        client.post(
            f"/api/v1/events/{eid}/cancel", json={"reason": "x"}, headers=world["editor"]
        ).status_code
        == 409
    )
    assert client.post(f"/api/v1/events/{eid}/fly", headers=world["editor"]).status_code == 404


@pytest.mark.parametrize(
    ("action", "decision", "field", "words"),
    [
        ("approve", {"reason": "长" * 2001}, "reason", "longer than 2000 characters"),
        ("reject", {"reason": ["不合适"]}, "reason", "reason must be text"),
        ("approve", {"override": "yes"}, "override", "override must be true or false"),
        ("complete", {"actual_attendance": "百人"}, "actual_attendance", "a whole number"),
        ("complete", {"actual_attendance": 10**8}, "actual_attendance", "between 0 and 10000000"),
    ],
)
def test_a_decision_body_is_checked_by_its_model(client, world, action, decision, field, words):
    """The body of a status change is validated with schemas.Decision, the model the API
    document shows: a clear 400 naming the field, the event left as it was."""
    eid = client.post("/api/v1/events", json=body(), headers=world["editor"]).get_json()["id"]
    client.post(f"/api/v1/events/{eid}/submit", headers=world["editor"])
    before = counts()
    answer = client.post(
        f"/api/v1/events/{eid}/{action}", json=decision, headers={**world["organizer"], **EN}
    )
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["field"] == field and words in answer.get_json()["message"]
    assert counts() == before
    assert db.session.get(Event, eid).status == EventStatus.SUBMITTED


def test_recurring_submission_is_checked_occurrence_by_occurrence(client, world):
    make_event(
        start=local(2031, 4, 26, 15), venue=world["hall"], host=world["other"], title="第三周的活动"
    )
    db.session.commit()
    weekly = body(rrule="FREQ=WEEKLY;COUNT=4", exdates=[])
    eid = client.post("/api/v1/events", json=weekly, headers=world["editor"]).get_json()["id"]
    refused = client.post(f"/api/v1/events/{eid}/submit", headers=world["editor"])
    assert refused.status_code == 409
    (finding,) = refused.get_json()["findings"]
    assert finding["occurrence_start"].startswith("2031-04-26T14:30")
    fixed = client.patch(
        f"/api/v1/events/{eid}", json={"exdates": ["2031-04-26T14:30"]}, headers=world["editor"]
    )
    assert fixed.status_code == 200
    assert client.post(f"/api/v1/events/{eid}/submit", headers=world["editor"]).status_code == 200
    assert len(db.session.get(Event, eid).occurrences) == 3


def test_write_responses_conform_to_the_document(client, world):
    spec = client.get("/api/v1/openapi.json").get_json()
    make_event(start=local(2031, 4, 12, 15), venue=world["hall"], host=world["other"])
    db.session.commit()
    created = client.post("/api/v1/events", json=body(), headers=world["editor"])
    assert_matches_schema(spec, "EventWithFindings", created.get_json())
    assert created.get_json()["findings"][0]["suggestions"]
    refused = client.post(
        f"/api/v1/events/{created.get_json()['id']}/submit", headers=world["editor"]
    )
    assert refused.status_code == 409
    assert_matches_schema(spec, "Refused", refused.get_json())
    checked = client.post("/api/v1/conflicts/check", json=body(), headers=world["editor"])
    assert_matches_schema(spec, "Findings", checked.get_json())
    assert_matches_schema(spec, "Error", client.post("/api/v1/events", json={}).get_json())


def test_a_body_over_the_request_limit_is_a_clear_413(app, client, world):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    before = counts()
    big = body(description="述" * 4000)
    response = client.post("/api/v1/events", json=big, headers=world["editor"])
    assert response.status_code == 413
    assert response.get_json()["message"] == "请求内容过大。"
    assert counts() == before


def test_deactivated_rows_cannot_be_chosen_anew_but_stay_on_their_events(client, world):
    created = client.post("/api/v1/events", json=body(), headers=world["editor"])
    assert created.status_code == 201, created.json
    event_id = created.json["id"]
    speaker = make_person(slug="retired-expert", name="退休专家")
    world["hall"].active = False
    speaker.active = False
    db.session.commit()
    refused = client.post("/api/v1/events", json=body(), headers=world["editor"])
    assert refused.status_code == 400 and refused.json["field"] == "venue"
    assert "科学馆报告厅" in refused.json["message"]
    refused = client.post(
        "/api/v1/events",
        json=body(venue="small-room", speakers=["retired-expert"]),
        headers=world["editor"],
    )
    assert refused.status_code == 400 and refused.json["field"] == "speakers"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1
    kept = client.patch(
        f"/api/v1/events/{event_id}",
        json={"title": "量子计算前沿讲座（更新）", "venue": "science-hall"},
        headers=world["editor"],
    )
    assert kept.status_code == 200 and kept.json["venue"]["slug"] == "science-hall"
