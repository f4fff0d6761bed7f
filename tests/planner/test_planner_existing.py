"""What is already there counts: drafts, submitted and approved events of the series in the
year count toward its maximum and its spacing, and the plan says which it took."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from scheduler.enums import EventStatus
from scheduler.errors import BadInput
from scheduler.events.workflow import SYSTEM
from scheduler.extensions import db
from scheduler.planner.apply import run_plan
from scheduler.planner.load import parse_request
from scheduler.planner.models import Plan
from scheduler.planner.phrases import phrase
from scheduler.timeutil import to_local
from tests.factories import local, make_event
from tests.planner.planner_world import build_db_world


@pytest.fixture
def world(app):
    return build_db_world()


def plan_for(world):
    body = {"year": 2027, "series": ["lingnan"], "time_limit": 5}
    return run_plan(parse_request(body), SYSTEM)


def test_a_draft_stops_a_session_too_close_and_counts_toward_the_maximum(world):
    """岭南科学论坛 wants 3 sessions 14 days apart; a draft on Saturday 12 June hosted by
    佛山丁学会 leaves 2 to plan, none within 14 days of it."""
    draft = make_event(start=local(2027, 6, 12, 14, 30), hours=3, host=world["d"],
                       series=world["lingnan"], status=EventStatus.DRAFT)  # fmt: skip
    db.session.commit()
    plan = plan_for(world)
    assert plan.found and len(plan.sessions) == 2
    june12 = to_local(draft.start_at).date()
    for s in plan.sessions:
        assert abs((to_local(s.start_at).date() - june12).days) >= 14
    note = next(n for n in plan.notes if n["code"] == "existing_counted")
    assert note["params"] == {"series": "岭南科学论坛", "count": 1, "dates": "2027-06-12"}


def test_existing_events_plus_the_plan_never_exceed_the_maximum(world, app):
    """Maximum 4: one approved, one submitted and one sent back for changes leave one."""
    lingnan = world["lingnan"]
    lingnan.target_max = 4
    for day, status in ((3, EventStatus.APPROVED), (17, EventStatus.SUBMITTED),
                        (31, EventStatus.CHANGES_REQUESTED)):  # fmt: skip
        make_event(start=local(2027, 7, day, 14, 30), hours=3, host=world["d"],
                   series=lingnan, status=status)  # fmt: skip
    # Withdrawn and other years' events do not count.
    make_event(start=local(2027, 8, 14, 14, 30), hours=3, host=world["d"], series=lingnan,
               status=EventStatus.WITHDRAWN)  # fmt: skip
    db.session.commit()
    plan = plan_for(world)
    assert plan.found and len(plan.sessions) == 1
    with app.test_request_context("/?lang=en"):
        (line,) = [phrase(n) for n in plan.notes if n["code"] == "existing_counted"]
    assert line == (
        "岭南科学论坛 already has 3 events this year (2027-07-03, 2027-07-17, 2027-07-31): "
        "they count toward its maximum and its spacing."
    )
    day = to_local(plan.sessions[0].start_at).date()
    assert all(abs(day - local(2027, 7, d).date()) >= timedelta(days=14) for d in (3, 17, 31))


def test_a_series_full_with_drafts_has_nothing_to_plan(world, app):
    for day in (6, 20):
        make_event(start=local(2027, 3, day, 14, 30), hours=3, host=world["d"],
                   series=world["lingnan"], status=EventStatus.DRAFT)  # fmt: skip
    world["lingnan"].target_min = world["lingnan"].target_max = 2
    db.session.commit()
    with app.test_request_context("/?lang=en"), pytest.raises(BadInput) as info:
        plan_for(world)
    assert "nothing to plan" in info.value.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Plan)) == 0
