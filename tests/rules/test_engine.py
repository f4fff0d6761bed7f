"""The conflict rules as pure functions: a table of situations and the findings they give."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.rules import (
    Booking,
    CampaignFacts,
    Context,
    HolidayFacts,
    Proposal,
    SeriesFacts,
    VenueFacts,
    check,
    has_errors,
)
from scheduler.rules.policy import policy_for

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 1, 1, tzinfo=UTC)
HALL = VenueFacts(id=1, name="科学馆报告厅", city="广州", capacity=200, buffer_minutes=30)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


def span(day, start_hour, end_hour, month=3):
    return (at(day, start_hour, month=month), at(day, end_hour, month=month))


def proposal(**kw) -> Proposal:
    values = {
        "title": "新活动",
        "kind": "forum",
        "host_id": 10,
        "venue_id": HALL.id,
        "slots": (span(5, 14, 16),),
        "city": "广州",
    }
    return Proposal(**{**values, **kw})


def booking(**kw) -> Booking:
    start, end = kw.pop("slot", span(5, 14, 16))
    values = {"event_id": 99, "title": "已有活动", "start": start, "end": end, "host_id": 20}
    return Booking(**{**values, **kw})


def context(**kw) -> Context:
    values = {"tz": TZ, "now": NOW, "policy": policy_for("forum"), "venue": HALL}
    values.update(kw)
    if "policy" not in kw and "kind" in values:
        values["policy"] = policy_for(values.pop("kind"))
    return Context(**values)


LINGNAN = SeriesFacts(id=7, name="岭南科学论坛", target_max=10, max_per_host=1, min_spacing_days=14)
OCTOBER = CampaignFacts(
    id=3,
    name="学术活动月",
    start_date=date(2027, 10, 1),
    end_date=date(2027, 10, 31),
    launch_at=datetime(2027, 10, 8, 9, 30, tzinfo=TZ).astimezone(UTC),
)

CASES = [
    # (id, proposal changes, context changes, expected (rule, severity) list)
    ("free", {}, {}, []),
    ("venue same time", {}, {"bookings": (booking(venue_id=1),)}, [("venue_overlap", "error")]),
    (
        "venue inside the buffer",
        {},
        {"bookings": (booking(venue_id=1, slot=span(5, 16, 17)),)},
        [("venue_overlap", "error")],
    ),
    (
        "venue after the buffer",
        {"slots": ((at(5, 14), at(5, 15, 30)),)},
        {"bookings": (booking(venue_id=1, slot=span(5, 16, 17)),)},
        [],
    ),
    ("other venue same time", {}, {"bookings": (booking(venue_id=2),)}, []),
    (
        "online venue never overlaps",
        {},
        {
            "venue": VenueFacts(id=1, name="线上", is_online=True),
            "bookings": (booking(venue_id=1),),
        },
        [],
    ),
    (
        "speaker double booked",
        {"speaker_ids": frozenset({5}), "venue_id": None},
        {"venue": None, "bookings": (booking(speaker_ids=frozenset({5, 6})),)},
        [("speaker_overlap", "error")],
    ),
    (
        "capacity",
        {"expected_attendance": 500},
        {},
        [("capacity", "error")],
    ),
    ("capacity fits", {"expected_attendance": 200}, {}, []),
    (
        "campaign outside window",
        {"campaign_id": 3, "slots": (span(28, 9, 11, month=9),)},
        {"campaign": OCTOBER},
        [("campaign_window", "error")],
    ),
    (
        "campaign before the unified launch",
        {"campaign_id": 3, "slots": (span(8, 8, 9, month=10),)},
        {"campaign": OCTOBER},
        [("campaign_window", "error")],
    ),
    (
        "campaign after the launch",
        {"campaign_id": 3, "slots": (span(8, 14, 16, month=10),)},
        {"campaign": OCTOBER},
        [],
    ),
    (
        "series annual maximum",
        {"series_id": 7},
        {"series": LINGNAN, "series_year_counts": {2027: 10}},
        [("series_quota", "error")],
    ),
    (
        "series below maximum",
        {"series_id": 7},
        {"series": LINGNAN, "series_year_counts": {2027: 9}},
        [],
    ),
    (
        "host already hosted this year",
        {"series_id": 7},
        {"series": LINGNAN, "host_year_counts": {2027: 1}},
        [("host_quota", "error")],
    ),
    (
        "host hosted last year only",
        {"series_id": 7},
        {"series": LINGNAN, "host_year_counts": {2026: 1}},
        [],
    ),
    (
        "major event filed late",
        {
            "is_major": True,
            "slots": ((NOW + timedelta(days=10), NOW + timedelta(days=10, hours=2)),),
        },
        {},
        [("filing_lead_time", "error")],
    ),
    (
        "major event filed in time",
        {
            "is_major": True,
            "slots": ((NOW + timedelta(days=15), NOW + timedelta(days=15, hours=2)),),
        },
        {},
        [],
    ),
    (
        "same host at the same time",
        {"venue_id": 2},
        {"bookings": (booking(host_id=10, venue_id=3),)},
        [("host_overlap", "warning")],
    ),
    (
        "exhibitions may overlap their own host",
        {"venue_id": 2, "kind": "exhibition"},
        {"bookings": (booking(host_id=10, venue_id=3),), "kind": "exhibition"},
        [],
    ),
    (
        "public holiday",
        {"slots": (span(1, 9, 11, month=10),)},
        {"holidays": HolidayFacts(days_off={date(2027, 10, 1): "国庆节"})},
        [("holiday", "warning")],
    ),
    (
        "make-up working day",
        {"slots": (span(9, 9, 11, month=10),)},
        {"holidays": HolidayFacts(workdays={date(2027, 10, 9): "国庆节调休"})},
        [("holiday", "warning")],
    ),
    (
        "science day activities welcome holidays",
        {"kind": "science_day", "slots": (span(1, 9, 11, month=10),)},
        {"holidays": HolidayFacts(days_off={date(2027, 10, 1): "国庆节"}), "kind": "science_day"},
        [],
    ),
    (
        "series sessions too close",
        {"series_id": 7, "venue_id": 2},
        {"series": LINGNAN, "bookings": (booking(series_id=7, venue_id=3, slot=span(12, 14, 16)),)},
        [("series_spacing", "warning")],
    ),
    (
        "series sessions far enough",
        {"series_id": 7, "venue_id": 2},
        {"series": LINGNAN, "bookings": (booking(series_id=7, venue_id=3, slot=span(19, 14, 16)),)},
        [],
    ),
    (
        "same audience same city same time",
        {"audiences": frozenset({"youth"}), "venue_id": 2},
        {"bookings": (booking(audiences=frozenset({"youth"}), city="广州", venue_id=3),)},
        [("audience_overlap", "warning")],
    ),
    (
        "same audience other city",
        {"audiences": frozenset({"youth"}), "venue_id": 2},
        {"bookings": (booking(audiences=frozenset({"youth"}), city="深圳", venue_id=3),)},
        [],
    ),
]


@pytest.mark.parametrize(
    ("changes", "ctx_changes", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule_matrix(changes, ctx_changes, expected):
    findings = check(proposal(**changes), context(**ctx_changes))
    assert [(f.rule, f.severity) for f in findings] == expected
    for f in findings:
        assert f.message and "%(" not in f.message


def test_recurring_event_is_checked_occurrence_by_occurrence():
    weekly = tuple(span(d, 14, 16) for d in (1, 8, 15, 22))
    taken = (booking(venue_id=1, slot=span(15, 15, 17)), booking(venue_id=1, slot=span(22, 9, 10)))
    findings = check(proposal(slots=weekly), context(bookings=taken))
    assert [f.occurrence_start for f in findings] == [weekly[2][0]]
    assert findings[0].conflicts_with.start == taken[0].start


def test_venue_conflict_suggests_three_nearest_free_slots_and_other_venues():
    other = VenueFacts(id=2, name="青少年宫", city="广州", capacity=300)
    busy_other = VenueFacts(id=3, name="图书馆", city="广州", capacity=300)
    findings = check(
        proposal(),
        context(
            bookings=(booking(venue_id=1),),
            other_venues=(other, busy_other),
            other_venue_busy={3: [span(5, 13, 15)]},
        ),
    )
    (finding,) = findings
    same_venue = [s for s in finding.suggestions if s.venue_id == 1]
    assert len(same_venue) == 3
    for s in same_venue:
        assert s.end - s.start == timedelta(hours=2)
        # free: ends 30 minutes (the buffer) before 14:00 or starts 30 minutes after 16:00
        assert s.end <= at(5, 13, 30) or s.start >= at(5, 16, 30)
    assert same_venue[0].start in (at(5, 11, 30), at(5, 16, 30))
    others = [s.venue_id for s in finding.suggestions if s.venue_id != 1]
    assert others == [2]


def test_suggestions_avoid_the_hosts_other_events():
    findings = check(
        proposal(),
        context(
            bookings=(booking(venue_id=1), booking(event_id=98, host_id=10, slot=span(5, 16, 19)))
        ),
    )
    venue_finding = next(f for f in findings if f.rule == "venue_overlap")
    for s in venue_finding.suggestions:
        assert not (s.start < at(5, 19) and s.end > at(5, 16))


def test_the_event_itself_is_never_a_conflict():
    own = booking(event_id=42, venue_id=1, host_id=10)
    assert check(proposal(event_id=42), context(bookings=(own,))) == []


def test_errors_and_overridable_errors():
    findings = check(proposal(series_id=7), context(series=LINGNAN, series_year_counts={2027: 10}))
    assert has_errors(findings)
    assert not has_errors(findings, overridable_ok=True)
    clash = check(proposal(), context(bookings=(booking(venue_id=1),)))
    assert has_errors(clash, overridable_ok=True)


def test_provisional_holidays_say_so():
    findings = check(
        proposal(slots=(span(1, 9, 11, month=10),)),
        context(
            holidays=HolidayFacts(
                days_off={date(2027, 10, 1): "国庆节"}, provisional_years=frozenset({2027})
            )
        ),
    )
    assert "provisional" in findings[0].message
