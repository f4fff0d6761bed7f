"""The conflict loader: real holidays, campaign data, and a constant number of queries."""

from datetime import date

from scheduler.campaigns.models import CampaignKind
from scheduler.enums import EventKind, EventStatus
from scheduler.events.conflicts import check_event
from scheduler.extensions import db
from tests.factories import fill_events, local, make_campaign, make_event, make_venue


def test_national_day_is_a_holiday_warning_from_the_official_calendar(app):
    event = make_event(start=local(2025, 10, 1, 14), status=EventStatus.DRAFT, kind=EventKind.FORUM)
    findings = check_event(event)
    assert [(f.rule, f.severity) for f in findings] == [("holiday", "warning")]
    assert "国庆" in findings[0].message or "National" in findings[0].message


def test_provisional_years_are_flagged(app):
    event = make_event(start=local(2027, 10, 1, 14), status=EventStatus.DRAFT)
    (finding,) = check_event(event)
    assert finding.rule == "holiday"
    assert "暂定" in finding.message or "provisional" in finding.message


def test_activity_before_the_unified_launch(app):
    month = make_campaign(
        kind=CampaignKind.ACADEMIC_MONTH,
        start_date=date(2027, 10, 1),
        end_date=date(2027, 10, 31),
        launch_at=local(2027, 10, 11, 9, 30),
    )
    early = make_event(start=local(2027, 10, 11, 8, 0), campaign=month, status=EventStatus.DRAFT)
    later = make_event(start=local(2027, 10, 12, 9, 0), campaign=month, status=EventStatus.DRAFT)
    assert [f.rule for f in check_event(early)] == ["campaign_window"]
    assert check_event(later) == []


def test_a_check_uses_a_constant_number_of_queries(app, count_queries):
    venue = make_venue(slug="busy-hall")

    def count():
        draft = make_event(
            start=local(2027, 6, 1, 9), venue=venue, status=EventStatus.DRAFT, audiences=["youth"]
        )
        db.session.commit()
        with count_queries() as statements:
            check_event(draft)
        db.session.delete(draft)
        db.session.commit()
        return len(statements)

    fill_events(10, audiences=["youth"])
    db.session.commit()
    small = count()
    fill_events(490, audiences=["youth"])
    db.session.commit()
    assert count() == small
