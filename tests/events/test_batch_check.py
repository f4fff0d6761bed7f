"""The batched conflict check (the approval queue's findings column) finds exactly what the
one-event check finds, rule by rule, in a number of queries that does not grow with the
batch."""

from datetime import date, timedelta

import sqlalchemy as sa

from scheduler.accounts.models import Role
from scheduler.enums import EventKind, EventStatus
from scheduler.events.batch_check import check_events
from scheduler.events.conflicts import check_event
from scheduler.events.models import Event
from scheduler.events.occurrences import sync_occurrences
from scheduler.events.queries import event_loader_options
from scheduler.extensions import db
from scheduler.timeutil import to_local
from scheduler.types import utcnow
from tests.conftest import sign_in
from tests.factories import (
    local,
    make_campaign,
    make_event,
    make_person,
    make_series,
    make_society,
    make_user,
    make_venue,
)

DRAFT = EventStatus.DRAFT


def _findings(found) -> list[tuple]:
    return sorted((f.rule, f.severity, f.message, f.occurrence_start) for f in found)


def _drafts() -> list[Event]:
    """Drafts in Xi'an that break nearly every rule, each one differently, plus clean ones."""
    hall = make_venue(slug="qujiang-hall", name="曲江报告厅", city="西安", capacity=50)
    annex = make_venue(slug="gaoxin-annex", name="高新区会议室", city="西安", capacity=300)
    host = make_society(slug="sx-physics", name="陕西省物理学会", city="西安")
    other = make_society(slug="xa-cast", name="西安市科协", city="西安")
    expert = make_person(slug="zhou-ming", name="周明", scarce=True, monthly_limit=1)
    series = make_series(slug="qinling", name="秦岭论坛", target_max=2, max_per_host=1,
                         min_spacing_days=30)  # fmt: skip
    month = make_campaign(start_date=date(2027, 10, 8), end_date=date(2027, 10, 31))
    booked = make_event(start=local(2027, 6, 3, 9), hours=3, venue=hall, host=other,
                        audiences=["youth"])  # fmt: skip
    booked.speakers = [expert]
    make_event(start=local(2027, 4, 10, 14), series=series, host=host, venue=annex)
    make_event(start=local(2027, 5, 20, 14), series=series, host=other, venue=annex)
    soon = to_local(utcnow() + timedelta(days=5)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    drafts = [
        # venue clash and too many people for the hall
        make_event(
            status=DRAFT, start=local(2027, 6, 3, 10), venue=hall, host=host, expected_attendance=80
        ),
        # the scarce expert, elsewhere at the same time; and the same audience in the city
        make_event(
            status=DRAFT, start=local(2027, 6, 3, 10), venue=annex, host=host, audiences=["youth"]
        ),
        # third session of the series, second for this host, three weeks after the last
        make_event(
            status=DRAFT, start=local(2027, 6, 10, 14), series=series, host=host, venue=annex
        ),
        make_event(
            status=DRAFT, start=local(2027, 9, 28, 14), campaign=month, host=host, venue=annex
        ),
        make_event(
            status=DRAFT, start=local(2027, 6, 3, 10), host=other, venue=annex
        ),  # host overlap
        make_event(
            status=DRAFT, start=local(2025, 10, 1, 14), host=host, venue=annex
        ),  # National Day
        make_event(
            status=DRAFT, start=soon, host=host, venue=annex, is_major=True
        ),  # filed too late
        # weekly, the second session collides in the hall
        make_event(
            status=DRAFT,
            start=local(2027, 5, 27, 10),
            venue=hall,
            host=host,
            rrule="FREQ=WEEKLY;COUNT=3",
        ),
        make_event(
            status=DRAFT, start=local(2027, 8, 2, 9), host=host, venue=annex
        ),  # nothing wrong
        make_event(
            status=DRAFT, start=local(2028, 1, 5, 9), host=other, venue=hall, kind=EventKind.SALON
        ),
    ]
    drafts[1].speakers = [expert]
    db.session.commit()
    return drafts


def test_the_batch_finds_what_one_check_finds_and_its_queries_stay_few(app, count_queries):
    ids = [e.id for e in _drafts()]
    db.session.expire_all()
    loaded = db.session.scalars(
        sa.select(Event).where(Event.id.in_(ids)).options(*event_loader_options())
    ).all()
    drafts = sorted(loaded, key=lambda e: ids.index(e.id))  # as the queue loads its page
    with count_queries() as few:
        batch = check_events(drafts[:3])
    with count_queries() as all_of_them:
        batch.update(check_events(drafts))
    one_by_one = {e.id: check_event(e) for e in drafts}
    for event in drafts:
        assert _findings(batch[event.id]) == _findings(one_by_one[event.id]), event.title
        assert all(not f.suggestions for f in batch[event.id])  # a list only counts them
    rules = {f.rule for found in batch.values() for f in found}
    assert rules >= {
        "venue_overlap", "speaker_overlap", "capacity", "campaign_window", "series_quota",
        "host_quota", "series_spacing", "filing_lead_time", "host_overlap", "holiday",
        "audience_overlap", "scarce_expert",
    }  # fmt: skip
    assert batch[drafts[8].id] == []
    # Ten events against three: only the holiday calendars of the extra years (2025, 2026,
    # 2028: one query each) are added, nothing per event.
    assert len(all_of_them) <= len(few) + 3 and len(few) <= 8


def test_an_empty_batch_and_events_without_times_cost_nothing(app, count_queries):
    with count_queries() as statements:
        assert check_events([]) == {}
    assert statements == []


def test_the_approval_queue_counts_errors_and_warnings_per_row(app, client):
    drafts = _drafts()
    # Filed too late (an error), overlapping its host's other event (a warning), clean.
    shown = (drafts[6], drafts[4], drafts[8])
    for event in shown:
        event.status = EventStatus.SUBMITTED
        event.submitted_at = utcnow()
        sync_occurrences(event)
    organizer = make_user(Role.ORGANIZER)
    db.session.commit()
    sign_in(client, organizer.email)
    page = client.get("/admin/approvals?lang=en").get_data(as_text=True)
    rows = {e.id: page.split(f">{e.title}</a>")[1].split("</tr>")[0] for e in shown}
    for event in shown:
        found = check_event(event)
        errors = sum(f.severity == "error" for f in found)
        warnings = len(found) - errors
        assert (f"{errors} error" in rows[event.id]) == bool(errors), rows[event.id]
        assert (f"{warnings} warning" in rows[event.id]) == bool(warnings), rows[event.id]
        assert ("none" in rows[event.id]) == (not found)
    assert "1 error" in rows[drafts[6].id] and "none" in rows[drafts[8].id]
