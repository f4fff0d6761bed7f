"""The planner core on plain values: known optima, explanations, determinism, re-checks."""

from dataclasses import replace
from datetime import date, time, timedelta

import pytest

from scheduler import create_app
from scheduler.planner.core import greedy, verify
from scheduler.planner.core import solve as solve_module
from scheduler.planner.core.score import score, total
from scheduler.planner.core.solve import PlanInputError, solve
from scheduler.planner.core.types import (
    ApplicationInput,
    Calendar,
    CampaignFacts,
    Incumbent,
    Pin,
    SeriesFacts,
    VenueFacts,
)
from scheduler.planner.phrases import phrase
from tests.planner.planner_world import HOSTS, TZ, applications, at, forum, province, small, venues

LIMIT = 5.0


@pytest.fixture(scope="module")
def english():
    """Phrasing needs Flask-Babel: an app without a database, in English."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")
    with app.test_request_context("/?lang=en"):
        yield


def sessions(result):
    return [
        (a.start.astimezone(TZ).strftime("%m-%d %H:%M"), a.venue_id, a.host_id)
        for a in sorted(result.assignments, key=lambda a: a.start)
    ]


def checked(inst, result) -> int:
    return verify.conflicts(
        verify.check_plan(inst, result.assignments, verify.bookings_from_instance(inst))
    )


# --- known optima ----------------------------------------------------------------------------


def test_small_instance_reaches_its_known_optimum():
    # Only 1 and 15 May are 14 days apart among the window's Saturdays. 丙 (3) hosted last
    # year: fair rotation gives both sessions to 甲 (1) and 乙 (2), who did not. 甲 wished
    # for May (0) and takes 1 May in the 120-seat hall of 广州, its home (2 for 20 spare
    # seats); 乙 wished for 8 May (40) and takes 15 May in its home 深圳 (300 seats: 10, not
    # the 10 of a session away from home plus 2). Each is 3 days from its evenly spread
    # date (2 per day): 12 + 40 + 12 = 64.
    result = solve(small(), LIMIT)
    assert result.status == "optimal"
    assert result.objective == 64 and result.best_bound == 64 and result.gap == 0
    assert sessions(result) == [("05-01 14:30", 1, 1), ("05-15 14:30", 2, 2)]
    assert result.score == {**dict.fromkeys(result.score, 0), "spread": 12,
                            "date_preference": 40, "venue_fit": 12}  # fmt: skip
    assert total(score(small(), result.assignments)) == result.objective
    assert checked(small(), result) == 0


def test_a_booking_with_the_buffer_pushes_a_session_to_another_venue():
    # 13:00-14:15 in the hall plus its 30 minutes of buffer reaches 14:45: 甲 moves to 深圳
    # (10 for spare seats, 10 away from home), cheaper than 乙 missing its date (40). Nobody
    # hosted last year here, so the rotation rule leaves 丙 free to host.
    busy = ((at(2027, 5, 15, 13, 0), at(2027, 5, 15, 14, 15)),)
    inst = small(series=(forum(hosted_last_year=frozenset()),), venues=venues(busy=busy))
    result = solve(inst, LIMIT)
    assert result.status == "optimal" and result.objective == 34
    assert sessions(result) == [("05-01 14:30", 1, 3), ("05-15 14:30", 2, 1)]
    assert checked(inst, result) == 0


def test_every_session_is_explained(english):
    result = solve(small(), LIMIT)
    first, second = sorted(result.assignments, key=lambda a: a.start)
    assert [r.code for r in first.reasons] == ["host_month", "new_host", "venue", "spread"]
    assert [r.code for r in second.reasons] == [
        "host_wish_missed", "new_host", "venue", "spread"
    ]  # fmt: skip
    assert phrase(first.reasons[0].to_json()) == "in a month 广州甲学会 asked for"
    assert phrase(first.reasons[2].to_json()) == (
        "广州报告厅 holds 120 for 100 expected, in the host's city"
    )


def test_fair_rotation_before_anyone_hosts_twice():
    # Three sessions, three applicants who may each host twice: everyone hosts once.
    series = forum(campaign=None, weekdays=frozenset(), sessions=3, max_per_host=2,
                   min_spacing_days=30, hosted_last_year=frozenset())  # fmt: skip
    apps = tuple(ApplicationInput(host_id=h, series_id=1, order=h) for h in (1, 2, 3))
    result = solve(small(series=(series,), applications=apps), LIMIT)
    assert result.found and sorted(a.host_id for a in result.assignments) == [1, 2, 3]
    assert result.score["fairness"] == 0


def test_weekends_and_holidays_are_avoided_where_the_series_asks():
    series = forum(campaign=None, weekdays=frozenset(), sessions=1, avoid_weekends=True,
                   avoid_holidays=True, hosted_last_year=frozenset())  # fmt: skip
    # 1 May is a Saturday, 4 May a day off: of the three wished dates only 6 May is free.
    calendar = Calendar(days_off={date(2027, 5, 3): "劳动节", date(2027, 5, 4): "劳动节"})
    apps = (ApplicationInput(host_id=1, series_id=1,
                             preferred_dates=frozenset({date(2027, 5, 1), date(2027, 5, 4),
                                                        date(2027, 5, 6)})),)  # fmt: skip
    inst = small(series=(series,), applications=apps, calendar=calendar)
    result = solve(inst, LIMIT)
    assert result.status == "optimal"
    assert sessions(result)[0][0] == "05-06 14:30"  # the only wished date on a working day


# --- determinism and the conflict engine ------------------------------------------------------


def test_same_input_same_plan(monkeypatch):
    # A deterministic budget small enough to end the search before the wall clock, even
    # on a busy machine: then the plan cannot depend on the machine's load.
    monkeypatch.setattr(solve_module, "DETERMINISTIC_PER_SECOND", 0.01)
    inst = province()
    first, second = solve(inst, LIMIT), solve(inst, LIMIT)
    assert first.found
    assert "wall clock" not in {first.stats["stopped_by"], second.stats["stopped_by"]}
    assert sessions(first) == sessions(second)
    assert first.objective == second.objective


def test_every_plan_passes_the_conflict_engine_against_the_calendar_and_itself():
    inst = province(seed=5, events=600)
    result = solve(inst, LIMIT)
    assert result.found and len(result.assignments) == 26
    assert checked(inst, result) == 0
    assert total(score(inst, result.assignments)) == result.objective
    # The engine does see conflicts when there are some: two sessions stacked in one hall.
    a, b = result.assignments[:2]
    stacked = [a, replace(b, start=a.start, end=a.end, venue_id=a.venue_id)]
    found = verify.check_plan(inst, stacked, verify.bookings_from_instance(inst))
    assert {f.rule for c in found for f in c.conflicts} >= {"venue_overlap"}


def test_the_greedy_baseline_plans_without_looking_at_hosts():
    inst = province(seed=5, events=600)
    plan = greedy.baseline(inst)
    assert len(plan) == 26
    assert total(score(inst, plan)) > solve(inst, LIMIT).objective


# --- pins and re-planning --------------------------------------------------------------------


def test_pinned_sessions_stay_as_pinned():
    pin = Pin(series_id=1, start=at(2027, 5, 1, 14, 30), host_id=1, venue_id=2)
    result = solve(small(pins=(pin,)), LIMIT)
    assert result.found
    assert sessions(result)[0] == ("05-01 14:30", 2, 1)
    first = min(result.assignments, key=lambda a: a.start)
    assert first.pinned_date and first.pinned_host and first.pinned_venue


def test_replanning_after_a_hall_closes_moves_only_what_it_must():
    incumbents = (
        Incumbent(101, 1, at(2027, 5, 1, 14, 30), at(2027, 5, 1, 17, 30), 1, 1),
        Incumbent(102, 1, at(2027, 5, 15, 14, 30), at(2027, 5, 15, 17, 30), 1, 2),
    )
    closed = venues(closures=((date(2027, 5, 15), date(2027, 5, 15)),))
    inst = small(venues=closed, incumbents=incumbents)
    result = solve(inst, LIMIT)
    assert result.status == "optimal"
    by_event = {a.incumbent.event_id: a for a in result.assignments}
    assert by_event[101].change == "kept"
    assert by_event[102].change == "moved" and by_event[102].venue_id == 2
    assert by_event[102].start == incumbents[1].start and by_event[102].host_id == 2
    assert result.score["move"] == 0 and result.score["change"] == 300


# --- when there is no plan -------------------------------------------------------------------


def reasons(inst):
    result = solve(inst, LIMIT)
    assert result.status == "infeasible"
    return result.reasons


def test_too_few_hosts_is_explained(english):
    only_one = tuple(applications()[:1])
    (reason,) = reasons(small(applications=only_one))
    assert reason.code == "hosts_short"
    assert phrase(reason.to_json()) == (
        "岭南科学论坛 needs 2 hosts, but only 1 societies applied and each may host once."
    )


def test_no_venue_large_enough_is_explained(english):
    (reason,) = reasons(small(series=(forum(expected_attendance=800),)))
    assert reason.code == "no_venue_fits"
    assert phrase(reason.to_json()) == "No venue holds 800 people."


def test_no_free_venue_on_the_weekends_left_in_october(english):
    october = CampaignFacts(2, "学术活动月", date(2027, 10, 1), date(2027, 10, 31))
    series = forum(campaign=october, weekdays=frozenset({5, 6}), sessions=3, target_min=3,
                   target_max=3, min_spacing_days=1, expected_attendance=800, city="广州",
                   max_per_host=3, hosted_last_year=frozenset())  # fmt: skip
    weekend = [date(2027, 10, 1) + timedelta(days=d) for d in range(31)]
    weekend = [d for d in weekend if d.weekday() >= 5]
    busy = tuple((at(d.year, d.month, d.day, 9, 0), at(d.year, d.month, d.day, 20, 0))
                 for d in weekend[2:])  # fmt: skip
    halls = (
        VenueFacts(id=1, name="广东科学馆", city="广州", capacity=1000, busy=busy),
        VenueFacts(id=2, name="深圳会展中心", city="深圳", capacity=2000),
    )
    (reason,) = reasons(small(series=(series,), venues=halls))
    assert reason.code == "venues_short"
    assert phrase(reason.to_json()) == (
        "No venue in 广州 that holds 800 people is free on the 10 weekend days left in "
        "学术活动月 (2027-10-01 to 2027-10-31) for the 3 sessions of 岭南科学论坛."
    )


def test_hosts_busy_on_every_date_left_is_explained(english):
    busy = ((at(2027, 5, 15, 9, 0), at(2027, 5, 15, 20, 0)),)
    hosts = tuple(replace(h, busy=busy) for h in HOSTS)
    (reason,) = reasons(small(hosts=hosts))
    assert reason.code == "hosts_busy"
    assert "are busy or unavailable" in phrase(reason.to_json())


def test_a_pin_that_cannot_stay_is_explained(english):
    busy = ((at(2027, 5, 1, 14, 0), at(2027, 5, 1, 16, 0)),)
    pin = Pin(series_id=1, start=at(2027, 5, 1, 14, 30), venue_id=1)
    (reason,) = reasons(small(pins=(pin,), venues=venues(busy=busy)))
    assert reason.code == "pin_blocked"
    assert phrase(reason.to_json()).startswith(
        "The pinned session of 岭南科学论坛 (2027-05-01 14:30, 广州报告厅) cannot stay"
    )


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"applications": ()}, "no_applicants"),
        (
            {
                "series": (
                    forum(
                        campaign=None, sessions=60, target_min=60, target_max=60, min_spacing_days=7
                    ),
                )
            },
            "too_many",
        ),
        ({"pins": (Pin(series_id=1, host_id=99),)}, "pin_host_not_applicant"),
    ],
)
def test_input_that_cannot_be_planned_is_refused_before_solving(change, code):
    with pytest.raises(PlanInputError) as info:
        solve(small(**change), LIMIT)
    assert [r.code for r in info.value.reasons] == [code]


def test_a_series_without_sessions_left_is_only_noted():
    full = forum(sessions=0)
    other = SeriesFacts(
        id=2,
        slug="salon",
        name="秘书长沙龙",
        kind="salon",
        sessions=1,
        duration_minutes=120,
        slots=(time(9, 0),),
        expected_attendance=50,
    )
    apps = (ApplicationInput(host_id=2, series_id=2),)
    result = solve(small(series=(full, other), applications=apps, hosts=HOSTS), LIMIT)
    assert result.found and [n.code for n in result.notes] == ["series_full"]
    assert len(result.assignments) == 1
