"""A first plan at once at four times a province, and explanations counted before any
solver runs, within their share of the time limit (plain values, no database)."""

from dataclasses import replace
from datetime import date

import pytest

from bench.planner_scale import four_times
from scheduler import create_app
from scheduler.planner.core import greedy
from scheduler.planner.core import solve as solve_module
from scheduler.planner.core.explain import phrase as explain_phrase
from scheduler.planner.core.model import PlanModel
from scheduler.planner.core.solve import EXPLAIN_SHARE, solve
from scheduler.planner.core.types import ApplicationInput, VenueFacts
from scheduler.planner.phrases import not_planned, phrase
from tests.planner.planner_world import MAY, at, forum, small, venues


@pytest.fixture(scope="module")
def english():
    app = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")
    with app.test_request_context("/?lang=en"):
        yield


def test_four_times_a_province_has_a_plan_within_a_tiny_deterministic_budget():
    """The greedy plan is built inside the model's candidates (venue shortlists, each
    session's dates), so it is a complete hint and the solver's first plan at once."""
    inst = four_times()
    assert sum(s.sessions for s in inst.series) == 168
    pm = PlanModel(inst, venue_limit=inst.venue_shortlist)
    assert pm.stats["pruned_venues"]  # shortlists are in play
    pm.stats["hint"] = solve_module._hint(inst, pm)
    assert pm.stats["hint"] == "careful"
    solver = solve_module._first_plan(pm, wall=120.0, seed=1)
    assert solver is not None and solver.deterministic_time <= 0.05
    # The first plan is the greedy plan itself, all 168 sessions.
    venues = {sv.s.id: sv.venues for sv in pm.series}
    hinted = {(a.series_id, a.start, a.venue_id, a.host_id) for a in greedy.careful(inst, venues)}
    assert {(a.series_id, a.start, a.venue_id, a.host_id) for a in pm.read(solver)} == hinted
    assert len(hinted) == 168


# --- explanations counted without the solver ---------------------------------------------------


def counted(inst, limit=5.0):
    """The reasons of a lone series, checked to come from the counts (no search ran)."""
    result = solve(inst, limit)
    assert result.status == "infeasible"
    assert "deterministic_seconds" not in result.stats  # no solver was needed
    assert result.stats["explain_seconds"] <= EXPLAIN_SHARE * limit
    return result.reasons


def test_too_few_applicants_is_counted_never_the_fallback(english):
    apps = (ApplicationInput(host_id=1, series_id=1),)
    (reason,) = counted(small(applications=apps))
    assert reason.code == "hosts_short"
    assert "1 societies applied" in phrase(reason.to_json())


def test_closures_plus_spacing_are_named_not_a_shortage_of_halls(english):
    """Both halls close 1-7 May: 8 and 15 May are left, 7 days apart, and the series needs
    14 days between its two sessions."""
    shut = ((date(2027, 5, 1), date(2027, 5, 7)),)
    halls = tuple(replace(v, closures=shut) for v in venues())
    (reason,) = counted(small(venues=halls))
    assert reason.code == "dates_closed"
    assert phrase(reason.to_json()) == (
        "岭南科学论坛 needs 2 sessions at least 14 days apart in 五月论坛周 (2027-05-01 to "
        "2027-05-16), but 广州报告厅、深圳会堂, which hold 100 people, are closed "
        "2027-05-01–2027-05-07: the 2 days left hold only 1."
    )


def test_a_set_up_buffer_that_decides_it_is_named(english):
    """Both halls are booked until 14:15 on 15 May; with their 30 minutes of buffer the
    14:30 session cannot start there, without it it could."""
    busy = ((at(2027, 5, 15, 13, 0), at(2027, 5, 15, 14, 15)),)
    halls = tuple(replace(v, busy=busy, buffer_minutes=30) for v in venues())
    (reason,) = counted(small(venues=halls))
    assert reason.code == "buffer_blocks"
    text = phrase(reason.to_json())
    assert "the set-up buffer of 广州报告厅、深圳会堂 (30 minutes around each booking)" in text
    assert "leaves room for only 1" in text


def test_two_series_sharing_the_one_big_hall_name_it_and_the_window(english):
    """Two 800-people series, two sessions each, in the three Saturdays of 五月论坛周: each
    fits alone, only 成都 hall holds them, and it has room for three. The first is planned,
    the second is left out with the hall and the window named."""
    hall = (VenueFacts(id=9, name="成都大礼堂", city="成都", capacity=1000, buffer_minutes=60),)
    first = forum(expected_attendance=800, min_spacing_days=7, hosted_last_year=frozenset())
    second = replace(first, id=2, slug="second", name="川西科学讲坛")
    apps = tuple(ApplicationInput(host_id=h, series_id=s, order=h)
                 for s in (1, 2) for h in (1, 2, 3))  # fmt: skip
    inst = small(series=(first, second), venues=venues() + hall, applications=apps)
    result = solve(inst, 5.0)
    assert result.found and {a.series_id for a in result.assignments} == {1}
    assert result.stats["explain_seconds"] <= EXPLAIN_SHARE * 5.0
    (line,) = not_planned([n.to_json() for n in result.notes])
    assert line == (
        "川西科学讲坛 is not planned: Only 成都大礼堂 can hold 岭南科学论坛, 川西科学讲坛: "
        "between 2027-05-01 and 2027-05-15 it has room for 3 sessions, and together they "
        "need 4."
    )


def test_series_competing_in_the_solver_name_the_hall_and_the_window(english):
    hall = (VenueFacts(id=9, name="成都大礼堂", city="成都", capacity=1000),)
    first = forum(expected_attendance=800)
    second = replace(first, id=2, name="川西科学讲坛")
    inst = small(series=(first, second), venues=venues() + hall)
    (reason,) = explain_phrase(inst, {(1, "venues_free"), (2, "venues_free")})
    assert phrase(reason.to_json()) == (
        "岭南科学论坛, 川西科学讲坛 cannot all be planned: they compete for venues free of "
        "other bookings, in 成都大礼堂 between 2027-05-01 and 2027-05-15."
    )


def test_what_only_the_solver_can_explain_stays_within_its_share_of_the_limit(english):
    """甲 is unavailable on 1 and 15 May, the only two Saturdays 14 days apart, and 乙 may
    host once: every date has a free host, so counting passes; the solver's core says it."""
    away = frozenset({date(2027, 5, 1), date(2027, 5, 15)})
    apps = (
        ApplicationInput(host_id=1, series_id=1, unavailable_dates=away),
        ApplicationInput(host_id=2, series_id=1, order=1),
    )
    limit = 10.0
    result = solve(small(applications=apps, series=(forum(hosted_last_year=frozenset()),)), limit)
    assert result.status == "infeasible"
    assert [r.code for r in result.reasons] == ["hosts_busy"]
    assert result.stats["explain_seconds"] <= EXPLAIN_SHARE * limit + 0.5
    assert result.wall_seconds <= limit + 0.5
    assert MAY.name in phrase(result.reasons[0].to_json())
