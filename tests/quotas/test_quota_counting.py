"""The counting rules, pinned by one table that runs against the pure rules and against the
SQL aggregates of the dashboard on both databases."""

from datetime import UTC, timedelta

import pytest

from scheduler.enums import EventStatus
from scheduler.extensions import db
from scheduler.quotas import counting, service
from tests.factories import SHANGHAI, local, make_event, make_series

S = EventStatus
NOW = local(2027, 6, 15, 12, 0)
PAST = NOW - timedelta(days=30)
FUTURE = NOW + timedelta(days=30)

# status, start, hours, expected (planned, approved, held)
RULES = [
    pytest.param(S.DRAFT, FUTURE, 2, (1, 0, 0), id="draft-future-is-planned"),
    pytest.param(S.SUBMITTED, FUTURE, 2, (1, 0, 0), id="submitted-future-is-planned"),
    pytest.param(S.CHANGES_REQUESTED, FUTURE, 2, (1, 0, 0), id="changes-requested-is-planned"),
    pytest.param(S.APPROVED, FUTURE, 2, (1, 1, 0), id="approved-future-planned-and-approved"),
    pytest.param(S.APPROVED, PAST, 2, (0, 1, 1), id="approved-and-ended-is-held"),
    pytest.param(S.COMPLETED, PAST, 2, (0, 1, 1), id="completed-is-held"),
    pytest.param(S.COMPLETED, FUTURE, 2, (0, 1, 1), id="completed-is-held-whatever-the-date"),
    pytest.param(S.APPROVED, NOW - timedelta(hours=1), 2, (1, 1, 0), id="ongoing-not-yet-held"),
    pytest.param(S.APPROVED, NOW - timedelta(hours=2), 2, (0, 1, 1), id="ended-at-now-is-held"),
    pytest.param(S.DRAFT, PAST, 2, (0, 0, 0), id="past-draft-counts-nowhere"),
    pytest.param(S.SUBMITTED, PAST, 2, (0, 0, 0), id="never-approved-past-counts-nowhere"),
    pytest.param(S.REJECTED, FUTURE, 2, (0, 0, 0), id="rejected-does-not-count"),
    pytest.param(S.REJECTED, PAST, 2, (0, 0, 0), id="rejected-past-does-not-count"),
    pytest.param(S.WITHDRAWN, FUTURE, 2, (0, 0, 0), id="withdrawn-does-not-count"),
    pytest.param(S.CANCELLED, FUTURE, 2, (0, 0, 0), id="cancelled-future-does-not-count"),
    pytest.param(S.CANCELLED, PAST, 2, (0, 0, 0), id="cancelled-past-does-not-count"),
]


@pytest.mark.parametrize(("status", "start", "hours", "expected"), RULES)
def test_pure_rules(status, start, hours, expected):
    end = start + timedelta(hours=hours)
    buckets = counting.classify(status, end, status == S.CANCELLED, NOW)
    assert (int(buckets.planned), int(buckets.approved), int(buckets.held)) == expected
    assert buckets.counted == bool(expected[0] or expected[2])


@pytest.mark.parametrize(("status", "start", "hours", "expected"), RULES)
def test_sql_aggregates_follow_the_same_rules(app, status, start, hours, expected):
    series = make_series()
    make_event(start, hours=hours, series=series, status=status)
    db.session.commit()
    [progress] = service.series_progress(2027, NOW, [series], service.all_societies())
    assert (progress.planned, progress.approved, progress.held) == expected
    assert progress.projected == expected[0] + expected[2]


# start (local), rrule, sessions per year
YEARS = [
    pytest.param(local(2027, 1, 1, 0, 30), "", {2026: 0, 2027: 1}, id="local-new-year-morning"),
    pytest.param(local(2026, 12, 31, 23, 30), "", {2026: 1, 2027: 0}, id="local-new-years-eve"),
    pytest.param(
        local(2027, 12, 17, 9), "FREQ=WEEKLY;COUNT=4", {2027: 3, 2028: 1}, id="per-occurrence"
    ),
    pytest.param(
        local(2027, 3, 1, 9),
        "FREQ=MONTHLY;COUNT=12",
        {2027: 10, 2028: 2},
        id="monthly-across-years",
    ),
]


@pytest.mark.parametrize(("start", "rrule", "per_year"), YEARS)
def test_sessions_count_in_the_local_year_they_start(app, start, rrule, per_year):
    series = make_series()
    make_event(start, series=series, rrule=rrule, status=S.COMPLETED)
    db.session.commit()
    for year, expected in per_year.items():
        [p] = service.series_progress(year, NOW, [series], service.all_societies())
        assert p.held == expected, year
        assert counting.local_year(start, SHANGHAI) in per_year


@pytest.mark.parametrize(
    ("start", "month"),
    [
        (local(2027, 3, 31, 23, 30), 3),  # 15:30 UTC on 31 March
        (local(2027, 4, 1, 0, 30), 4),  # 16:30 UTC on 31 March: April in Shanghai
        (local(2027, 12, 31, 23, 0), 12),
        (local(2027, 1, 1, 0, 0), 1),
    ],
)
def test_pace_uses_local_months(app, start, month):
    series = make_series()
    make_event(start, series=series)
    db.session.commit()
    [p] = service.series_progress(2027, NOW, [series], service.all_societies())
    assert [m.month for m in p.months if m.counted] == [month]
    assert counting.month_of(start, SHANGHAI) == month


def test_a_cancelled_occurrence_counts_as_a_cancellation_only(app):
    series = make_series()
    event = make_event(FUTURE, series=series, rrule="FREQ=WEEKLY;COUNT=3")
    event.occurrences[1].cancelled = True
    db.session.commit()
    [p] = service.series_progress(2027, NOW, [series], service.all_societies())
    assert (p.planned, p.approved) == (2, 2)
    [figures] = service.society_years(2027, NOW, society_ids=[event.host_id])
    assert figures.cancelled == 1 and figures.hosted == 2


@pytest.mark.parametrize(
    ("target_min", "target_max", "held", "approved", "planned", "status"),
    [
        (0, 0, 3, 3, 0, "no_target"),
        (10, 10, 10, 10, 0, "met"),
        (10, 10, 4, 8, 6, "on_track"),
        (10, 10, 4, 6, 3, "short"),
        (10, 10, 4, 11, 7, "over_maximum"),
        (8, 10, 2, 2, 9, "over_maximum"),
        (8, 10, 2, 2, 8, "on_track"),
    ],
)
def test_progress_status(target_min, target_max, held, approved, planned, status):
    assert counting.progress_status(target_min, target_max, held, approved, planned) == status


def test_even_pace_and_cumulative():
    assert counting.even_pace(12) == [float(m) for m in range(1, 13)]
    assert counting.even_pace(10)[5] == 5.0
    assert counting.cumulative([1, 0, 2]) == [1, 1, 3]
    assert counting.pace_target(0, 4) == 4 and counting.pace_target(3, 4) == 3


@pytest.mark.parametrize(
    ("last_held", "planned", "dormant"),
    [
        (None, 0, True),
        (None, 1, False),
        (local(2026, 6, 14, 12), 0, True),  # twelve months and a day ago
        (local(2026, 6, 16, 12), 0, False),
        (local(2025, 1, 1, 9), 2, False),  # something planned
    ],
)
def test_dormant(last_held, planned, dormant):
    assert counting.is_dormant(last_held, planned, NOW) is dormant


def test_months_before_clamps_to_the_end_of_the_month():
    assert counting.months_before(local(2027, 3, 31, 8), 1) == local(2027, 2, 28, 8)
    assert counting.months_before(local(2027, 1, 15, 8), 12) == local(2026, 1, 15, 8)


@pytest.mark.parametrize(
    ("filed_days_before", "late"),
    [(20, False), (15, False), (14.99, True), (1, True), (-1, True)],
)
def test_filed_late(filed_days_before, late):
    start = local(2027, 5, 1, 9).astimezone(UTC)
    submitted = start - timedelta(days=filed_days_before)
    assert counting.filed_late(submitted, start, 15) is late
