"""Suggestions that clear every error (pure): each candidate is checked again in memory."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler.rules import Booking, CampaignFacts, Context, Proposal, VenueFacts, check, clearing
from scheduler.rules.clearing import MAX_CANDIDATES, POOL, clearing_suggestions
from scheduler.rules.policy import policy_for

TZ = ZoneInfo("Asia/Urumqi")  # another association's zone
NOW = datetime(2030, 1, 1, tzinfo=UTC)
HALL = VenueFacts(id=1, name="天山报告厅", city="乌鲁木齐", capacity=100, buffer_minutes=30)
OTHER = VenueFacts(id=2, name="红山讲堂", city="乌鲁木齐", capacity=300)
MAJOR_HALL = VenueFacts(id=3, name="博格达厅", city="乌鲁木齐", capacity=50)


def at(day: int, hour: int) -> datetime:
    return datetime(2030, 6, day, hour, tzinfo=TZ).astimezone(UTC)


def run(p: Proposal, **kw) -> list:
    values = {
        "tz": TZ,
        "now": NOW,
        "policy": policy_for("lecture"),
        "venue": HALL,
        "other_venues": (OTHER,),
        "suggestion_pool": POOL,
    }
    ctx = Context(**{**values, **kw})
    return clearing_suggestions(p, ctx, check(p, ctx))


def proposal(**kw) -> Proposal:
    values = {
        "title": "丝路天文讲座",
        "kind": "lecture",
        "host_id": 10,
        "venue_id": HALL.id,
        "slots": ((at(12, 15), at(12, 17)),),
        "speaker_ids": frozenset({7}),
        "city": "乌鲁木齐",
    }
    return Proposal(**{**values, **kw})


def busy_hall(**kw) -> Booking:
    values = {"event_id": 90, "title": "已有活动", "start": at(12, 15), "end": at(12, 17),
              "host_id": 20, "venue_id": HALL.id}  # fmt: skip
    return Booking(**{**values, **kw})


def offered(findings) -> set:
    return {(s.start, s.venue_id) for f in findings for s in f.suggestions}


def test_a_busy_speaker_is_never_offered_the_same_time_elsewhere():
    speaker_busy = busy_hall(speaker_ids=frozenset({7}))
    findings = run(proposal(), bookings=(speaker_busy,))
    assert [f.rule for f in findings] == ["venue_overlap", "speaker_overlap"]
    assert offered(findings) and (at(12, 15), OTHER.id) not in offered(findings)
    # With the speaker free, the other hall at that very time is offered.
    alone = run(proposal(speaker_ids=frozenset()), bookings=(busy_hall(),))
    assert (at(12, 15), OTHER.id) in offered(alone)


def test_suggestions_leaving_the_campaign_window_are_dropped():
    week = CampaignFacts(
        id=4, name="天文周", start_date=date(2030, 6, 12), end_date=date(2030, 6, 12)
    )
    full_day = tuple(
        busy_hall(event_id=90 + h, start=at(12, h), end=at(12, h + 1)) for h in range(8, 21)
    )
    findings = run(proposal(campaign_id=4), campaign=week, bookings=full_day)
    assert findings[0].rule == "venue_overlap"
    # The hall is full that day, the other hall would do: only it remains.
    assert offered(findings) == {(at(12, 15), OTHER.id)}
    full_other = {OTHER.id: [(at(12, 8), at(12, 21))]}
    none = run(
        proposal(campaign_id=4), campaign=week, bookings=full_day, other_venue_busy=full_other
    )
    assert offered(none) == set()


def test_a_smaller_hall_that_overflows_is_not_offered():
    p = proposal(expected_attendance=80)
    findings = run(p, bookings=(busy_hall(),), other_venues=(MAJOR_HALL, OTHER))
    assert MAJOR_HALL.id not in {v for _, v in offered(findings)}


def test_a_repeating_event_moves_as_a_whole_and_every_session_must_clear():
    weekly = tuple((at(d, 15), at(d, 17)) for d in (5, 12, 19))
    # The hall is busy on the 12th; at 17:30 it is free that day but not on the 19th.
    bookings = (busy_hall(), busy_hall(event_id=91, start=at(19, 17), end=at(19, 20)))
    findings = run(proposal(slots=weekly), bookings=bookings)
    starts = {s for s, v in offered(findings) if v == HALL.id}
    assert starts and all(not (at(12, 17) <= s < at(12, 20)) for s in starts)
    for s in starts:
        shift = s - at(12, 15)
        moved = proposal(slots=tuple((a + shift, b + shift) for a, b in weekly))
        ctx = Context(TZ, NOW, policy_for("lecture"), HALL, bookings=bookings)
        assert not [f for f in check(moved, ctx) if f.severity == "error"]


def test_the_number_of_candidates_checked_is_bounded(monkeypatch):
    calls = []
    real = clearing.check
    monkeypatch.setattr(clearing, "check", lambda p, c: calls.append(1) or real(p, c))
    daily = tuple((at(1, 15) + timedelta(days=d), at(1, 17) + timedelta(days=d)) for d in range(20))
    bookings = tuple(busy_hall(event_id=100 + d, start=a, end=b) for d, (a, b) in enumerate(daily))
    run(proposal(slots=daily), bookings=bookings)
    assert 0 < len(calls) <= MAX_CANDIDATES
