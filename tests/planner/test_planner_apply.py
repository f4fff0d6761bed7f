"""The planner's shell on both databases: load, run, accept through the workflow, undo,
re-plan after a hall closes."""

import pytest
import sqlalchemy as sa

from scheduler.audit.models import AuditEntry
from scheduler.enums import EventStatus
from scheduler.errors import BadInput
from scheduler.events.conflicts import check_event
from scheduler.events.models import Event, Occurrence
from scheduler.extensions import db
from scheduler.planner.apply import PlanRefused, accept_plan, run_plan, undo_plan
from scheduler.planner.load import Request, load_instance, parse_request
from scheduler.planner.models import Plan, PlanStatus, VenueClosure
from scheduler.series.models import Series
from scheduler.timeutil import to_local
from tests.planner.planner_world import NOW, build_db_world


@pytest.fixture
def world(app):
    return build_db_world()


def request(**kw) -> Request:
    return parse_request({"year": 2027, "series": ["lingnan"], "time_limit": 5, **kw})


def calendar() -> set:
    """What the calendar holds: every live occurrence with its event's status."""
    rows = db.session.execute(
        sa.select(
            Occurrence.event_id,
            Occurrence.start_at,
            Occurrence.venue_id,
            Occurrence.host_id,
            Occurrence.holds_slot,
            Event.status,
        ).join(Event, Event.id == Occurrence.event_id)
    )
    return {tuple(r) for r in rows}


def test_the_input_comes_from_the_database(world):
    inst = load_instance(request(), NOW).instance
    (s,) = inst.series
    assert (s.sessions, s.weekdays, s.min_spacing_days) == (3, frozenset({5}), 14)
    assert s.hosted_last_year == {world["c"].id}
    assert {a.host_id for a in inst.applications} == {world["a"].id, world["b"].id, world["c"].id}
    hall = next(v for v in inst.venues if v.id == world["hall"].id)
    assert len(hall.busy) == 1 and hall.buffer_minutes == 30  # the 2026 session is not
    assert not inst.calendar.official  # 2027's holidays are not published yet: provisional
    assert {v.capacity for v in inst.venues} >= {300, 200, 30}


def test_running_writes_only_the_plan_and_bad_input_writes_nothing(world):
    before = calendar()
    with pytest.raises(BadInput, match="nosuch"):
        run_plan(parse_request({"year": 2027, "series": ["nosuch"]}), world["organizer"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Plan)) == 0
    plan = run_plan(request(), world["organizer"], NOW)
    assert plan.status == PlanStatus.DRAFT and plan.found and plan.conflicts == []
    assert len(plan.sessions) == 3 and calendar() == before


def test_accept_creates_approved_events_then_undo_restores_the_calendar(world):
    before = calendar()
    plan = run_plan(request(), world["organizer"], NOW)
    accept_plan(plan, world["organizer"], NOW)
    assert plan.status == PlanStatus.ACCEPTED
    events = [db.session.get(Event, s.event_id) for s in plan.sessions]
    assert all(e.status == EventStatus.APPROVED and e.series_id == world["lingnan"].id
               for e in events)  # fmt: skip
    assert sorted(e.host_id for e in events) == sorted(
        [world["a"].id, world["b"].id, world["c"].id]
    )
    assert [e.title for e in sorted(events, key=lambda e: e.start_at)] == [
        "岭南科学论坛 2027年第1期",
        "岭南科学论坛 2027年第2期",
        "岭南科学论坛 2027年第3期",
    ]
    for e in events:  # the conflict engine agrees with the solver, on the real calendar
        assert [f for f in check_event(e) if f.severity == "error"] == []
    approvals = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "approve")
    ).all()
    assert {a.reason for a in approvals} == {f"plan #{plan.id}"} and len(approvals) == 3

    undo_plan(plan, world["organizer"], NOW)
    assert plan.status == PlanStatus.UNDONE
    assert calendar() == before
    assert all(s.event_id is None for s in plan.sessions)
    with pytest.raises(PlanRefused):
        undo_plan(plan, world["organizer"], NOW)
    with pytest.raises(PlanRefused):
        accept_plan(plan, world["organizer"], NOW)


def test_replanning_after_a_hall_closes_moves_the_fewest_sessions(world):
    first = run_plan(request(), world["organizer"], NOW)
    accept_plan(first, world["organizer"], NOW)
    at_hall = [s for s in first.sessions if s.venue_id == world["hall"].id]
    assert at_hall, "the plan uses the hall"
    closed = at_hall[0]
    day = to_local(closed.start_at).date()
    db.session.add(VenueClosure(venue_id=world["hall"].id, first_day=day, last_day=day))
    db.session.commit()
    accepted = calendar()

    second = run_plan(request(), world["organizer"], NOW)
    changes = sorted(s.change for s in second.sessions)
    assert changes == ["kept", "kept", "moved"]
    moved = next(s for s in second.sessions if s.change == "moved")
    assert moved.replaces_event_id == closed.event_id and moved.venue_id != world["hall"].id
    accept_plan(second, world["organizer"], NOW)
    event = db.session.get(Event, closed.event_id)
    assert event.venue_id == moved.venue_id and event.status == EventStatus.APPROVED
    assert len(db.session.scalars(sa.select(Event).where(Event.series_id.is_not(None))).all()) == 4

    with pytest.raises(PlanRefused, match=f"#{second.id}"):
        undo_plan(first, world["organizer"], NOW)  # the later plan took these sessions over
    undo_plan(second, world["organizer"], NOW)
    assert calendar() == accepted


def test_no_plan_is_stored_with_its_reasons(world):
    db.session.execute(
        sa.update(Series).where(Series.id == world["lingnan"].id).values(target_min=4, target_max=4)
    )
    db.session.commit()
    plan = run_plan(request(), world["organizer"], NOW)
    assert plan.solver_status.value == "infeasible" and plan.sessions == []
    assert [r["code"] for r in plan.explanation] == ["hosts_short"]
    with pytest.raises(PlanRefused):
        accept_plan(plan, world["organizer"], NOW)


def test_a_plan_is_saved_although_another_process_wrote_during_the_solve(world, monkeypatch):
    """On SQLite a read snapshot cannot become a write after another connection committed
    (the scheduler's lease, a submission): the plan must still be saved, not 'locked'."""
    import scheduler.planner.core.solve as solve_module

    real_solve = solve_module.solve

    def solve_while_another_process_writes(*args, **kwargs):
        result = real_solve(*args, **kwargs)
        with db.engine.connect() as other:  # a second connection, as another process has
            other.execute(sa.text("UPDATE series SET description = 'touched'"))
            other.commit()
        return result

    monkeypatch.setattr(solve_module, "solve", solve_while_another_process_writes)
    plan = run_plan(request(), world["organizer"], NOW)
    assert db.session.get(Plan, plan.id) is not None and len(plan.sessions) == 3
