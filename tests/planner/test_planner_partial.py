"""Partial plans: sessions between the minimum and the maximum, and one series that cannot
be planned never blocks the others (plain values, no database)."""

import itertools
from datetime import date, time, timedelta

import pytest

from scheduler import create_app
from scheduler.planner.core.solve import solve
from scheduler.planner.core.types import ApplicationInput, HostInput, SeriesFacts, VenueFacts
from scheduler.planner.phrases import not_planned, phrase
from tests.planner.planner_world import TZ, small

LIMIT = 5.0
# Five societies of 湛江 and 茂名, unlike the demo's 广州 ones.
HOSTS = tuple(HostInput(id=10 + n, name=f"湛江{n}号学会", city="湛江") for n in range(5))
HALLS = (
    VenueFacts(id=7, name="湛江科技馆报告厅", city="湛江", capacity=260, buffer_minutes=20),
    VenueFacts(id=8, name="茂名会议中心", city="茂名", capacity=500),
)


@pytest.fixture(scope="module")
def english():
    app = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")
    with app.test_request_context("/?lang=en"):
        yield


def salon(sid: int = 5, **kw) -> SeriesFacts:
    values = {"id": sid, "slug": f"salon-{sid}", "name": f"海洋科普沙龙{sid}", "kind": "salon",
                  "sessions": 6, "target_min": 4, "target_max": 6, "duration_minutes": 120,
                  "slots": (time(19, 0),), "weekdays": frozenset({2}), "min_spacing_days": 21,
                  "expected_attendance": 120, "max_per_host": 1}  # fmt: skip
    values.update(kw)
    return SeriesFacts(**values)


def apps(series_id: int, hosts=HOSTS) -> tuple:
    return tuple(
        ApplicationInput(host_id=h.id, series_id=series_id, order=n) for n, h in enumerate(hosts)
    )


def world(series, applications):
    return small(series=tuple(series), venues=HALLS, hosts=HOSTS, applications=applications)


def test_min_four_max_six_with_five_applicants_plans_five(english):
    result = solve(world([salon()], apps(5)), LIMIT)
    assert result.found
    assert len(result.assignments) == 5
    assert sorted(a.host_id for a in result.assignments) == [h.id for h in HOSTS]
    (note,) = result.notes
    assert note.code == "fewer_hosts"
    assert phrase(note.to_json()) == (
        "海洋科普沙龙5 gets 5 of its 6 sessions: 5 societies applied and each may host 1."
    )


def test_below_the_minimum_the_series_is_left_out_and_the_rest_is_planned(english):
    """A whole-year run: one series nobody applied to, one with two applicants for a
    minimum of four; the third series is planned all the same."""
    lonely = salon(6, name="南海讲堂")
    short = salon(7, name="雷州半岛论坛")
    applications = apps(5) + apps(7, HOSTS[:2])
    result = solve(world([salon(), lonely, short], applications), LIMIT)
    assert result.found
    assert {a.series_id for a in result.assignments} == {5}
    lines = not_planned([n.to_json() for n in result.notes])
    assert lines[0] == "南海讲堂 is not planned: No society has applied to host 南海讲堂 yet."
    assert lines[1].startswith("雷州半岛论坛 is not planned: 雷州半岛论坛 needs 4 hosts")
    assert len(lines) == 2


def test_when_only_fewer_dates_are_free_the_series_gets_what_fits(english):
    """The halls are closed from February to November: 4 Wednesdays 21 days apart fit in
    the months left, not 6 (counting dates alone, without the halls, says more would fit)."""
    closed = ((date(2027, 2, 1), date(2027, 11, 30)),)
    halls = tuple(VenueFacts(**{**h.__dict__, "closures": closed}) for h in HALLS)
    inst = small(series=(salon(),), venues=halls, hosts=HOSTS, applications=apps(5))
    result = solve(inst, LIMIT)
    assert result.found
    assert len(result.assignments) == 4
    months = {a.start.astimezone(TZ).month for a in result.assignments}
    assert months == {1, 12}
    assert [(n.code, n.params["planned"]) for n in result.notes] == [
        ("fewer_hosts", 5),
        ("fewer_counted", 4),
    ]
    # Counted without the solver, and said with the closures and the spacing that decide it.
    assert "are closed 2027-02-01–2027-11-30" in phrase(result.notes[1].to_json())
    assert "at least 21 days apart" in phrase(result.notes[1].to_json())


def test_a_series_that_cannot_reach_its_minimum_alone_is_still_infeasible(english):
    """With one series only there is nothing else to plan: no plan, with the reason."""
    result = solve(world([salon(target_min=6)], apps(5)), LIMIT)
    assert result.status == "infeasible" and not result.assignments
    assert [r.code for r in result.reasons] == ["hosts_short"]


def test_spacing_gap_is_kept_between_planned_sessions():
    result = solve(world([salon()], apps(5)), LIMIT)
    days = sorted(a.start.astimezone(TZ).date() for a in result.assignments)
    assert all(b - a >= timedelta(days=21) for a, b in itertools.pairwise(days))
