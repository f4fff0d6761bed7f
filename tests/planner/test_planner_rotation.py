"""Fair rotation as a rule: nobody hosts twice while an applicant waits, and last year's
hosts wait while an applicant that did not host last year has nothing; broken only when a
plan needs it, and then each case is said (plain values, no database)."""

from dataclasses import replace
from datetime import date, time, timedelta

import pytest

from scheduler import create_app
from scheduler.planner.core.score import score, total
from scheduler.planner.core.solve import solve
from scheduler.planner.core.types import ApplicationInput, HostInput, Instance, VenueFacts, Weights
from scheduler.planner.phrases import phrase
from tests.planner.planner_world import NOW, TZ, forum

LIMIT = 5.0
# Six societies of 汕头 and 潮州: 1-3 hosted 岭南科学论坛 last year, 4-6 did not.
HOSTS = tuple(
    HostInput(
        id=h, name=f"{'汕头' if h <= 3 else '潮州'}{h}号学会", city="汕头" if h <= 3 else "潮州"
    )
    for h in range(1, 7)
)
HALL = VenueFacts(id=1, name="汕头科学会堂", city="汕头", capacity=150)


@pytest.fixture(scope="module")
def english():
    app = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")
    with app.test_request_context("/?lang=en"):
        yield


def lingnan(**kw):
    values = {"campaign": None, "weekdays": frozenset({5}), "sessions": 3, "target_min": 3,
              "target_max": 3, "min_spacing_days": 28, "max_per_host": 1,
              "preferred_months": frozenset({4, 5, 6, 7, 8, 9}),
              "hosted_last_year": frozenset({1, 2, 3})}  # fmt: skip
    values.update(kw)
    return forum(**values)


def instance(series, apps) -> Instance:
    return Instance(year=2027, tz=TZ, now=NOW, series=(series,), venues=(HALL,), hosts=HOSTS,
                    applications=apps)  # fmt: skip


def apply(hosts, unavailable=()) -> tuple:
    """Last year's hosts applied first and wish for May; the others wish for a Wednesday
    the series never uses (40 missed each), so the soft goals alone favour last year's."""
    return tuple(
        ApplicationInput(
            host_id=h,
            series_id=1,
            order=n,
            preferred_months=frozenset({5}) if h <= 3 else frozenset(),
            preferred_dates=frozenset() if h <= 3 else frozenset({date(2027, 5, 5)}),
            unavailable_dates=frozenset(unavailable) if h == 6 else frozenset(),
        )
        for n, h in enumerate(hosts)
    )


def hosts_of(result) -> list[int]:
    return sorted(a.host_id for a in result.assignments)


def test_fresh_applicants_are_chosen_over_last_years_hosts():
    """The issue's case: 3 sessions, 3 last-year hosts and 3 fresh applicants."""
    inst = instance(lingnan(), apply(range(1, 7)))
    result = solve(inst, LIMIT)
    assert result.status == "optimal"
    assert hosts_of(result) == [4, 5, 6]
    assert result.score["rotation"] == 0 and result.score["last_year"] == 0
    assert not [n for n in result.notes if n.code == "rotation_relaxed"]
    assert total(score(inst, result.assignments)) == result.objective
    # Without the rule, the soft goals would pick last year's hosts.
    soft = solve(replace(inst, weights=Weights(rotation=0)), LIMIT)
    assert hosts_of(soft) == [1, 2, 3]


def test_a_fresh_applicant_busy_on_every_date_lets_a_last_year_host_in(english):
    every_saturday = [date(2027, 1, 2) + timedelta(days=7 * w) for w in range(53)]
    inst = instance(lingnan(), apply(range(1, 7), unavailable=every_saturday))
    result = solve(inst, LIMIT)
    assert result.status == "optimal"
    chosen = hosts_of(result)
    assert chosen[1:] == [4, 5] and chosen[0] in (1, 2, 3)
    (note,) = [n for n in result.notes if n.code == "rotation_relaxed"]
    assert note.params["rule"] == "last_year" and note.params["cause"] == "busy"
    assert phrase(note.to_json()) == (
        f"潮州6号学会 gets no session of 岭南科学论坛 while 汕头{chosen[0]}号学会, who hosted last "
        "year, host again: it is unavailable or busy on every date the series can use."
    )
    assert result.score["rotation"] == 10000
    assert total(score(inst, result.assignments)) == result.objective


def test_nobody_hosts_twice_while_another_applicant_waits():
    series = lingnan(sessions=4, target_min=4, target_max=4, max_per_host=2,
                     hosted_last_year=frozenset())  # fmt: skip
    # 4 prefers May strongly (its wish and its home city), yet 5 and 6 host before 4 hosts
    # twice.
    inst = instance(series, apply([4, 5, 6, 1]))
    result = solve(inst, LIMIT)
    assert result.status == "optimal"
    assert hosts_of(result) == [1, 4, 5, 6]
    assert result.score["rotation"] == 0 and result.score["fairness"] == 0


def test_hosting_twice_is_said_when_the_only_other_applicant_cannot_host(english):
    series = lingnan(sessions=3, target_min=3, target_max=3, max_per_host=2,
                     hosted_last_year=frozenset(), slots=(time(14, 30),))  # fmt: skip
    every_saturday = [date(2027, 1, 2) + timedelta(days=7 * w) for w in range(53)]
    inst = instance(series, apply([4, 5, 6], unavailable=every_saturday))
    result = solve(inst, LIMIT)
    assert result.found and sorted(set(hosts_of(result))) == [4, 5]
    (note,) = [n for n in result.notes if n.code == "rotation_relaxed"]
    assert note.params["rule"] == "again" and note.params["host"] == "潮州6号学会"
    assert total(score(inst, result.assignments)) == result.objective
