"""A partial plan through the CLI, the API and the page: the series nobody applied to is
listed with its reason and the rest is planned."""

import pytest
import sqlalchemy as sa

from scheduler.enums import EventKind
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.planner.cli import EXIT_PARTIAL
from scheduler.planner.models import Plan, PlanSession
from tests.conftest import assert_matches_schema, sign_in
from tests.factories import make_series
from tests.planner.planner_world import build_db_world
from tests.planner.test_planner_api import bearer


@pytest.fixture
def world(app):
    w = build_db_world()
    w["orphan"] = make_series(slug="dianxi-salon", name="滇西生态沙龙", kind=EventKind.SALON,
                              target_min=2, target_max=4, preferred_weekdays=[3],
                              default_start_time="19:00", duration_minutes=120)  # fmt: skip
    db.session.commit()
    return w


def test_cli_plans_the_rest_and_exits_partial(app, world):
    runner = app.test_cli_runner()
    args = ["plan", "--year", "2027", "--series", "lingnan", "--series", "dianxi-salon",
            "--time-limit", "5", "--apply"]  # fmt: skip
    result = runner.invoke(args=args)
    assert result.exit_code == EXIT_PARTIAL == 3, result.output
    assert "not planned: 滇西生态沙龙" in result.output
    assert "accepted: plan #" in result.output
    sessions = db.session.scalars(sa.select(PlanSession)).all()
    assert len(sessions) == 3 and {s.series_id for s in sessions} == {world["lingnan"].id}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 5


def test_api_and_page_show_what_is_not_planned(app, client, world):
    spec = client.get("/api/v1/openapi.json").get_json()
    headers = {**bearer(world["organizer"]), "Accept-Language": "en"}
    body = {"year": 2027, "series": ["lingnan", "dianxi-salon"], "time_limit": 5}
    response = client.post("/api/v1/plans", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    plan = response.get_json()
    assert_matches_schema(spec, "Plan", plan)
    assert plan["not_planned"] == [
        "滇西生态沙龙 is not planned: No society has applied to host 滇西生态沙龙 yet."
    ]
    assert len(plan["sessions"]) == 3

    sign_in(client, "organizer@example.org")
    stored = db.session.scalar(sa.select(Plan))
    html = client.get(f"/admin/planner/plans/{stored.id}?lang=en").get_data(as_text=True)
    assert "Partial plan: series not planned" in html
    assert "No society has applied to host 滇西生态沙龙 yet." in html
