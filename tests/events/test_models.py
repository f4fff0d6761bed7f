"""The data model: constraints hold on both databases, datetimes round-trip in UTC."""

from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa

from scheduler.accounts.models import Role, User
from scheduler.events.models import Event, Occurrence
from scheduler.extensions import db
from scheduler.series.models import Series
from scheduler.venues.models import Venue
from tests.factories import local, make_event, make_series, make_society, make_venue


def test_datetimes_are_stored_in_utc_and_read_back_aware(app):
    event = make_event(start=local(2027, 3, 5, 14, 30))
    db.session.commit()
    db.session.expire_all()
    stored = db.session.execute(sa.text("SELECT start_at FROM events")).scalar_one()
    assert str(stored).startswith("2027-03-05 06:30")  # 14:30 in Shanghai is 06:30 UTC
    again = db.session.get(Event, event.id)
    assert again.start_at.tzinfo is not None
    assert again.start_at == local(2027, 3, 5, 14, 30).astimezone(UTC)


def test_naive_datetimes_are_refused(app):
    host = make_society()
    naive = local(2027, 1, 1, 9).replace(tzinfo=None)
    db.session.add(Event(title="x", kind="forum", host=host, start_at=naive, end_at=naive))
    with pytest.raises(sa.exc.StatementError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (
            lambda h: Event(
                title="x",
                kind="forum",
                host=h,
                start_at=local(2027, 1, 1, 10),
                end_at=local(2027, 1, 1, 9),
            ),
            "end before start",
        ),
        (
            lambda h: Event(
                title="x",
                kind="forum",
                host=h,
                start_at=local(2027, 1, 1, 10),
                end_at=local(2027, 1, 1, 10),
            ),
            "end equal to start",
        ),
        (
            lambda h: Event(
                title="x",
                kind="forum",
                host=h,
                start_at=local(2027, 1, 1, 10),
                end_at=local(2027, 1, 1, 11),
                expected_attendance=-1,
            ),
            "negative attendance",
        ),
        (lambda h: Venue(slug="v", name="v", capacity=-5), "negative capacity"),
        (lambda h: Venue(slug="v", name="v", buffer_minutes=-1), "negative buffer"),
        (
            lambda h: Series(slug="s", name="s", kind="forum", target_min=5, target_max=3),
            "series min above max",
        ),
        (
            lambda h: User(email="e@x.org", password_hash="x", role=Role.EDITOR),
            "editor without society",
        ),
    ],
)
def test_check_constraints_refuse_invalid_rows(app, make, why):
    host = make_society()
    db.session.add(make(host))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_slugs_are_unique(app):
    make_venue(slug="hall")
    with pytest.raises(sa.exc.IntegrityError):
        make_venue(slug="hall")
    db.session.rollback()


def test_weekly_event_materializes_each_occurrence_in_local_time(app):
    event = make_event(
        start=local(2027, 3, 3, 19, 0),
        rrule="FREQ=WEEKLY;COUNT=4",
        exdates=["2027-03-17T19:00"],
    )
    db.session.commit()
    starts = [
        o.start_at for o in db.session.scalars(sa.select(Occurrence).order_by(Occurrence.start_at))
    ]
    assert starts == [local(2027, 3, d, 19, 0) for d in (3, 10, 24)]
    assert all(o.end_at - o.start_at == timedelta(hours=2) for o in event.occurrences)


def test_series_colour_and_relations_round_trip(app):
    series = make_series(color="#aa3300", preferred_months=[3, 10])
    venue = make_venue()
    event = make_event(series=series, venue=venue, audiences=["youth", "elderly"])
    db.session.commit()
    db.session.expire_all()
    again = db.session.get(Event, event.id)
    assert again.series.preferred_months == [3, 10]
    assert [a.value for a in again.audiences] == ["elderly", "youth"]
    assert again.occurrences[0].venue_id == venue.id
