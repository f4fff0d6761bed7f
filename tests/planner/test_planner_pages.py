"""The planner pages through real forms (CSRF), and the CLI."""

import re

import pytest
import sqlalchemy as sa

from scheduler.enums import EventStatus
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.planner.models import HostApplication, Plan, PlanStatus, SeriesPlanning
from tests.conftest import sign_in
from tests.planner.planner_world import build_db_world


@pytest.fixture
def world(app):
    return build_db_world()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_organizer_runs_previews_pins_accepts_and_undoes(client, world):
    token = sign_in(client, "organizer@example.org")
    page = client.get("/admin/planner?year=2027&lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "岭南科学论坛" in html
    assert "Societies that applied: 3" in html and "广东甲学会" in html

    ran = client.post(
        "/admin/planner/run",
        data={"csrf_token": token, "year": "2027", "series": ["lingnan"], "time_limit": "5"},
    )
    assert ran.status_code == 302, ran.get_data(as_text=True)[:500]
    plan_url = ran.headers["Location"]
    plan = db.session.scalar(sa.select(Plan))
    html = client.get(plan_url + "?lang=en").get_data(as_text=True)
    assert f"Plan #{plan.id} for 2027" in html and "Optimal" in html
    assert "provisional" in html  # 2027's holidays are not official yet
    assert "3 new, 0 moved, 0 unchanged" in html
    assert html.count('class="mark new"') == 3  # the calendar shows the three sessions
    assert "holds 300 for 150 expected" in html or "holds 200 for 150 expected" in html

    # Pin the first session's host and run again: the pin is kept.
    first = plan.sessions[0]
    again = client.post(
        "/admin/planner/run",
        data={
            "csrf_token": token,
            "year": "2027",
            "series": ["lingnan"],
            "time_limit": "5",
            "plan_id": str(plan.id),
            "pin": [f"{first.id}:host", f"{first.id}:date"],
        },
    )
    assert again.status_code == 302
    second = db.session.scalars(sa.select(Plan).order_by(Plan.id.desc())).first()
    pinned = [s for s in second.sessions if s.pinned_host]
    assert len(pinned) == 1 and pinned[0].host_id == first.host_id
    assert pinned[0].start_at == first.start_at and pinned[0].pinned_date
    assert second.pins[0]["series"] == "lingnan"

    accepted = client.post(f"/admin/planner/plans/{second.id}/accept", data={"csrf_token": token})
    assert accepted.status_code == 302
    db.session.expire_all()
    assert second.status == PlanStatus.ACCEPTED
    assert count(Event) == 5
    assert all(db.session.get(Event, s.event_id).status == EventStatus.APPROVED
               for s in second.sessions)  # fmt: skip
    # The first plan is still a draft, but the calendar changed under it: refused, kept.
    refused = client.post(
        f"/admin/planner/plans/{plan.id}/accept?lang=en", data={"csrf_token": token}
    )
    assert refused.status_code == 409
    assert "The calendar changed since plan" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert plan.status == PlanStatus.DRAFT and count(Event) == 5
    html = client.get(f"/admin/planner/plans/{second.id}?lang=en").get_data(as_text=True)
    assert "Undo this plan" in html

    undone = client.post(f"/admin/planner/plans/{second.id}/undo", data={"csrf_token": token})
    assert undone.status_code == 302
    db.session.expire_all()
    assert second.status == PlanStatus.UNDONE and count(Event) == 2


def test_bad_input_on_the_page_is_a_400(client, world):
    token = sign_in(client, "organizer@example.org")
    response = client.post(
        "/admin/planner/run?lang=en",
        data={"csrf_token": token, "year": "2027", "series": ["lingnan"], "time_limit": "0"},
    )
    assert response.status_code == 400
    assert "time_limit must be between 1 and 600 seconds." in response.get_data(as_text=True)
    none = client.post("/admin/planner/run?lang=en", data={"csrf_token": token, "year": "2027"})
    assert none.status_code == 400 and "Choose at least one series." in none.get_data(as_text=True)
    assert count(Plan) == 0


def test_editors_cannot_open_the_planner(client, world):
    sign_in(client, "editor@example.org")
    assert client.get("/admin/planner").status_code == 403


def test_editors_apply_on_the_portal_page(client, world):
    token = sign_in(client, "editor@example.org")
    page = client.get("/portal/applications?year=2028&lang=en")
    assert page.status_code == 200 and "Apply to host a session in 2028" in page.get_data(True)
    sent = client.post(
        "/portal/applications?lang=en",
        data={
            "csrf_token": token,
            "year": "2028",
            "series": "lingnan",
            "months": ["5", "6"],
            "preferred_dates": "2028-05-13, 2028-05-20",
            "unavailable_dates": "",
            "note": "愿意承办",
        },
    )
    assert sent.status_code == 302
    app = db.session.scalar(sa.select(HostApplication).where(HostApplication.year == 2028))
    assert app.society_id == world["a"].id and app.preferred_months == [5, 6]
    assert app.preferred_dates == ["2028-05-13", "2028-05-20"]
    bad = client.post(
        "/portal/applications?lang=en",
        data={"csrf_token": token, "year": "2028", "series": "lingnan",
              "preferred_dates": "13 May"},
    )  # fmt: skip
    assert bad.status_code == 400 and "is not a date in 2028" in bad.get_data(as_text=True)
    withdrawn = client.post(f"/portal/applications/{app.id}/withdraw", data={"csrf_token": token})
    assert withdrawn.status_code == 302
    assert db.session.get(HostApplication, app.id) is None


def test_settings_page_saves_series_planning_and_closures(client, world):
    token = sign_in(client, "organizer@example.org")
    assert client.get("/admin/planner/settings").status_code == 200
    saved = client.post(
        "/admin/planner/settings",
        data={"csrf_token": token, "action": "series", "series": "lingnan",
              "time_slots": "09:30, 14:30", "city": "广州", "avoid_campaigns": ["science_day"]},
    )  # fmt: skip
    assert saved.status_code == 302
    planning = db.session.scalar(sa.select(SeriesPlanning))
    assert planning.time_slots == ["09:30", "14:30"] and planning.city == "广州"
    wrong = client.post(
        "/admin/planner/settings",
        data={"csrf_token": token, "action": "series", "series": "lingnan",
              "time_slots": "half past two"},
    )  # fmt: skip
    assert wrong.status_code == 400
    closed = client.post(
        "/admin/planner/settings",
        data={"csrf_token": token, "action": "add_closure", "venue": "gz-hall",
              "first_day": "2027-05-01", "last_day": "2027-06-30", "reason": "维修"},
    )  # fmt: skip
    assert closed.status_code == 400  # the hall is booked on 8 May: refused, listing it
    assert "已有活动" in closed.get_data(as_text=True)
    closed = client.post(
        "/admin/planner/settings",
        data={"csrf_token": token, "action": "add_closure", "venue": "gz-hall",
              "first_day": "2027-05-09", "last_day": "2027-06-30", "reason": "维修"},
    )  # fmt: skip
    assert closed.status_code == 302
    html = client.get("/admin/planner/settings").get_data(as_text=True)
    assert "维修" in html and re.search(r"2027-05-09", html)


def test_cli_prints_the_plan_and_applies_it(app, world):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["plan", "--year", "2027", "--series", "lingnan", "--time-limit", "5", "--apply"]
    )
    assert result.exit_code == 0, result.output
    assert "optimal, objective" in result.output and "gap 0.0 %" in result.output
    assert "PROVISIONAL" in result.output and "accepted: plan #1" in result.output
    assert result.output.count("岭南科学论坛") >= 3
    assert count(Event) == 5
    undone = runner.invoke(args=["plan-undo", "1"])
    assert undone.exit_code == 0, undone.output
    assert count(Event) == 2


def test_cli_bad_input_and_no_plan_exit_non_zero(app, world):
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["plan", "--year", "2027", "--series", "nosuch"])
    assert unknown.exit_code == 1 and "nosuch" in unknown.output
    slow = runner.invoke(args=["plan", "--year", "2027", "--time-limit", "9999"])
    assert slow.exit_code == 1
    assert count(Plan) == 0
    db.session.execute(
        sa.delete(HostApplication).where(HostApplication.society_id != world["a"].id)
    )
    db.session.commit()
    none = runner.invoke(args=["plan", "--year", "2027", "--series", "lingnan", "--apply"])
    assert none.exit_code == 2 and "no plan:" in none.output
    assert count(Event) == 2
