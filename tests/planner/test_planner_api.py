"""The planner through the JSON API: run, read, accept, undo, applications, bad input."""

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from scheduler.enums import EventStatus
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.planner.models import HostApplication, Plan
from tests.conftest import assert_matches_schema, bearer
from tests.planner.planner_world import build_db_world


@pytest.fixture
def world(app):
    w = build_db_world()
    w["organizer_h"] = bearer(w["organizer"])
    w["editor_h"] = bearer(w["editor"])
    return w


@pytest.fixture
def spec(client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    return document


def run(client, world, **kw):
    body = {"year": 2027, "series": ["lingnan"], "time_limit": 5, **kw}
    return client.post("/api/v1/plans", json=body, headers=world["organizer_h"])


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_run_read_accept_and_undo(client, world, spec):
    response = run(client, world)
    assert response.status_code == 201, response.get_json()
    plan = response.get_json()
    assert_matches_schema(spec, "Plan", plan)
    assert plan["status"] == "draft" and plan["solver_status"] == "optimal"
    assert plan["gap"] == 0 and plan["objective"] == plan["best_bound"]
    assert len(plan["sessions"]) == 3 and all(s["explanation"] for s in plan["sessions"])
    assert {s["host"]["slug"] for s in plan["sessions"]} == {"gd-a", "sz-b", "gd-c"}
    assert plan["holidays_official"] is False  # 2027 is provisional: the page says so
    assert count(Event) == 2  # nothing on the calendar yet

    shown = client.get(f"/api/v1/plans/{plan['id']}", headers=world["organizer_h"])
    assert shown.status_code == 200 and shown.get_json()["sessions"] == plan["sessions"]
    listed = client.get("/api/v1/plans?year=2027", headers=world["organizer_h"]).get_json()
    assert_matches_schema(spec, "PlanList", listed)
    assert [p["id"] for p in listed["items"]] == [plan["id"]]

    accepted = client.post(f"/api/v1/plans/{plan['id']}/accept", headers=world["organizer_h"])
    assert accepted.status_code == 200, accepted.get_json()
    body = accepted.get_json()
    assert body["status"] == "accepted" and all(s["event_id"] for s in body["sessions"])
    events = [db.session.get(Event, s["event_id"]) for s in body["sessions"]]
    assert {e.status for e in events} == {EventStatus.APPROVED}
    again = client.post(f"/api/v1/plans/{plan['id']}/accept", headers=world["organizer_h"])
    assert again.status_code == 409 and again.get_json()["error"] == "conflict"

    undone = client.post(f"/api/v1/plans/{plan['id']}/undo", headers=world["organizer_h"])
    assert undone.status_code == 200 and undone.get_json()["status"] == "undone"
    assert count(Event) == 2


def test_no_plan_comes_back_with_its_reasons(client, world, spec):
    db.session.execute(
        sa.delete(HostApplication).where(HostApplication.society_id != world["a"].id)
    )
    db.session.commit()
    response = run(client, world, series=["lingnan"])
    assert response.status_code == 201
    plan = response.get_json()
    assert_matches_schema(spec, "Plan", plan)
    assert plan["solver_status"] == "infeasible" and plan["sessions"] == []
    assert plan["explanation"] == [
        "岭南科学论坛需要 3 家承办单位，但只有 1 家学会申请，且每家只能承办一次。"
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"year": 2027, "series": ["nosuch"]}, "series"),
        ({"year": "twenty", "series": ["lingnan"]}, "year"),
        ({"year": 2027, "series": ["lingnan"], "time_limit": 0}, "time_limit"),
        ({"year": 2027, "series": ["lingnan"], "time_limit": 100000}, "time_limit"),
        ({"year": 2027, "series": ["lingnan"], "pins": [{"series": "lingnan"}]}, "pins"),
        ({"year": 2027, "series": ["lingnan"], "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_400_and_writes_nothing(client, world, body, field):
    response = client.post(
        "/api/v1/plans", json=body, headers={**world["organizer_h"], "Accept-Language": "en"}
    )
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["field"] == field
    assert count(Plan) == 0


def test_a_series_nobody_applied_to_is_a_400(client, world):
    db.session.execute(sa.delete(HostApplication))
    db.session.commit()
    response = client.post(
        "/api/v1/plans",
        json={"year": 2027, "series": ["lingnan"]},
        headers={**world["organizer_h"], "Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert response.get_json()["message"] == "No society has applied to host 岭南科学论坛 yet."
    assert count(Plan) == 0


def test_only_organizers_plan(client, world):
    assert client.post("/api/v1/plans", json={"year": 2027}).status_code == 401
    response = client.post("/api/v1/plans", json={"year": 2027}, headers=world["editor_h"])
    assert response.status_code == 403
    assert client.get("/api/v1/plans/1", headers=world["editor_h"]).status_code == 403
    assert client.get("/api/v1/plans/99", headers=world["organizer_h"]).status_code == 404


def test_societies_apply_through_the_api(client, world, spec):
    body = {
        "series": "lingnan",
        "year": 2028,
        "preferred_months": [5, 6],
        "preferred_dates": ["2028-05-13"],
        "unavailable_dates": ["2028-06-03"],
        "note": "愿意承办",
    }
    created = client.post("/api/v1/applications", json=body, headers=world["editor_h"])
    assert created.status_code == 201, created.get_json()
    assert_matches_schema(spec, "Application", created.get_json())
    assert created.get_json()["society"] == "gd-a"
    replaced = client.post(
        "/api/v1/applications", json={**body, "preferred_months": [9]}, headers=world["editor_h"]
    )
    assert replaced.status_code == 200 and replaced.get_json()["preferred_months"] == [9]
    mine = client.get("/api/v1/applications?year=2028", headers=world["editor_h"]).get_json()
    assert_matches_schema(spec, "ApplicationList", mine)
    assert [a["society"] for a in mine["items"]] == ["gd-a"]

    other = client.post(
        "/api/v1/applications", json={**body, "society": "sz-b"}, headers=world["editor_h"]
    )
    assert other.status_code == 403
    bad = client.post(
        "/api/v1/applications",
        json={**body, "preferred_dates": ["2027-05-01"]},
        headers=world["editor_h"],
    )
    assert bad.status_code == 400 and bad.get_json()["field"] == "preferred_dates"
    by_organizer = client.post(
        "/api/v1/applications", json={**body, "society": "sz-b"}, headers=world["organizer_h"]
    )
    assert by_organizer.status_code == 201
    gone = client.delete(
        f"/api/v1/applications/{created.get_json()['id']}", headers=world["editor_h"]
    )
    assert gone.status_code == 204
    assert (
        client.delete(
            f"/api/v1/applications/{by_organizer.get_json()['id']}", headers=world["editor_h"]
        ).status_code
        == 404
    )
