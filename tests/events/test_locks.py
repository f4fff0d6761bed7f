"""Every change re-reads what it changes under a lock and checks it there (both databases).

Another connection changes the row behind the session's back, as a concurrent request
would; the change then sees the row as it is now: a lost race is a 409 that says what
happened and writes nothing (no audit entry, no notice).
"""

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from scheduler.accounts.models import Role
from scheduler.audit.models import AuditEntry
from scheduler.enums import EventStatus
from scheduler.events import workflow
from scheduler.events.models import Event
from scheduler.events.occurrences import sync_occurrences
from scheduler.extensions import db
from scheduler.notifications.models import OutboxMessage
from scheduler.planner.applications import save_application
from scheduler.planner.apply import PlanRefused, accept_plan
from scheduler.planner.models import Plan, PlanSession, PlanStatus, SolverStatus
from scheduler.types import utcnow
from tests.events.invariants import broken_invariants
from tests.factories import (
    local,
    make_event,
    make_person,
    make_series,
    make_society,
    make_user,
    make_venue,
)

S = EventStatus


def behind_our_back(sql, **params) -> None:
    """What a concurrent request commits while this session still holds its old copy."""
    with db.engine.connect() as other:
        other.execute(sa.text(sql) if isinstance(sql, str) else sql, params)
        other.commit()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def people(app):
    host = make_society(slug="xian-physics", name="西安物理学会", city="西安",
                        contact_email="office@xian-physics.example")  # fmt: skip
    return {
        "host": host,
        "editor": make_user(Role.EDITOR, society=host),
        "organizer": make_user(Role.ORGANIZER),
    }


@pytest.mark.parametrize(
    "change, name",
    [
        (lambda e, p: workflow.approve(e, p["organizer"]), "approved"),
        (lambda e, p: workflow.reject(e, p["organizer"], "重复申报"), "rejected"),
        (lambda e, p: workflow.withdraw(e, p["editor"]), "withdrawn"),
        (lambda e, p: workflow.update_event(e, {"title": "新标题"}, p["editor"]), "edited"),
    ],
)
def test_a_change_that_lost_the_race_is_409_and_writes_nothing(people, change, name):
    event = make_event(status=S.SUBMITTED, host=people["host"], venue=make_venue(city="西安"),
                       start=local(2031, 4, 2, 9), submitted_at=utcnow())  # fmt: skip
    if name == "edited":
        event.status = S.WITHDRAWN  # an editor may edit a withdrawn event
        sync_occurrences(event)
    db.session.commit()
    assert event.status in (S.SUBMITTED, S.WITHDRAWN)  # the session's copy is loaded
    behind_our_back("UPDATE events SET status = 'rejected' WHERE id = :id", id=event.id)
    audits, notices = count(AuditEntry), count(OutboxMessage)

    with pytest.raises(workflow.TransitionRefused) as refused:
        change(event, people)
    assert refused.value.status == 409
    assert "changed meanwhile" in refused.value.message or "已在此期间" in refused.value.message
    db.session.rollback()
    assert db.session.get(Event, event.id).status == S.REJECTED
    assert (count(AuditEntry), count(OutboxMessage)) == (audits, notices)


def test_a_change_of_a_deleted_event_is_409(people):
    event = make_event(status=S.DRAFT, host=people["host"], start=local(2031, 5, 2, 9))
    db.session.commit()
    assert event.title
    behind_our_back("DELETE FROM events WHERE id = :id", id=event.id)
    with pytest.raises(workflow.TransitionRefused, match=r"deleted|删除"):
        workflow.submit(event, people["editor"])
    db.session.rollback()
    assert count(AuditEntry) == 0


def test_a_single_occurrence_change_keeps_what_changed_meanwhile(people):
    """Moving one session while another was cancelled meanwhile keeps both changes."""
    event = make_event(status=S.DRAFT, host=people["host"], start=local(2031, 6, 3, 19),
                       rrule="FREQ=WEEKLY;COUNT=4")  # fmt: skip
    db.session.commit()
    assert event.exdates == []
    table = Event.__table__
    behind_our_back(
        table.update().where(table.c.id == event.id).values(exdates=["2031-06-24T19:00"])
    )
    workflow.change_occurrence(
        event, "2031-06-10T19:00", {"start": "2031-06-11T19:00", "end": "2031-06-11T21:00"},
        people["editor"],
    )  # fmt: skip
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.exdates == ["2031-06-24T19:00"]
    assert set(event.overrides) == {"2031-06-10T19:00"}
    starts = [o.start_at for o in event.occurrences]
    assert local(2031, 6, 11, 19) in starts and local(2031, 6, 24, 19) not in starts
    assert broken_invariants() == {}


def _plan(series, starts, venue, host, made) -> Plan:
    plan = Plan(year=2036, series_slugs=[series.slug], status=PlanStatus.DRAFT, time_limit=5,
                solver_status=SolverStatus.OPTIMAL, conflicts=[], created_at=made)  # fmt: skip
    for n, start in enumerate(starts, 1):
        plan.sessions.append(
            PlanSession(series_id=series.id, position=n, start_at=start,
                        end_at=start + timedelta(hours=2), venue_id=venue.id, host_id=host.id)
        )  # fmt: skip
    db.session.add(plan)
    return plan


def test_a_plan_made_before_another_plan_of_its_series_was_accepted_is_stale(people):
    series = make_series(slug="qinling-lectures", name="秦岭大讲堂", max_per_host=5)
    hall = make_venue(city="西安")
    made = utcnow() - timedelta(minutes=5)
    first = _plan(series, [local(2036, 3, 7, 19)], hall, people["host"], made)
    second = _plan(series, [local(2036, 9, 7, 19)], hall, people["host"], made)
    db.session.commit()
    accept_plan(first, people["organizer"])
    with pytest.raises(PlanRefused) as refused:
        accept_plan(second, people["organizer"])
    assert refused.value.status == 409 and f"#{first.id}" in refused.value.message
    db.session.rollback()
    assert second.status == PlanStatus.DRAFT and count(Event) == 1
    # A plan accepted meanwhile by someone else: 409 naming its status now, nothing written.
    third = _plan(series, [local(2036, 11, 7, 19)], hall, people["host"], utcnow())
    db.session.commit()
    assert third.status == PlanStatus.DRAFT
    behind_our_back("UPDATE plans SET status = 'undone' WHERE id = :id", id=third.id)
    with pytest.raises(PlanRefused, match=r"changed meanwhile|已在此期间"):
        accept_plan(third, people["organizer"])
    db.session.rollback()
    assert count(Event) == 1


def test_applying_again_with_the_same_wishes_writes_no_audit_entry(people):
    series = make_series(slug="weihe-forum", name="渭河论坛")
    db.session.commit()
    body = {"series": series.slug, "year": 2036, "preferred_months": [4, 10]}
    app, created = save_application(body, people["editor"])
    assert created
    again, created = save_application(dict(body), people["editor"])
    assert (again.id, created) == (app.id, False)
    changed, _ = save_application({**body, "preferred_months": [5]}, people["editor"])
    assert changed.preferred_months == [5]
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.entity_type == "host_application")
    ).all()
    assert sorted(actions) == ["apply", "update"]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_change_aborted_by_a_deadlock_is_a_409(people, database_url):
    """Another transaction holds the speaker's lock and then wants the event's row, which
    our submission holds while waiting for that speaker: PostgreSQL aborts ours (40P01).
    It lost a race: 409, nothing written, never a 5xx."""
    expert = make_person(slug="academician-qin", name="秦院士")
    event = make_event(status=S.DRAFT, host=people["host"], speakers=[expert],
                       start=local(2031, 7, 1, 9), venue=make_venue(city="西安"))  # fmt: skip
    db.session.commit()
    engine = sa.create_engine(database_url)
    other = engine.connect()  # never gives up first
    other.execute(sa.text("SET LOCAL deadlock_timeout = '60s'"))
    other.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtext('speaker'), :id)"), {"id": expert.id}
    )
    waiting = sa.text(
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE NOT l.granted AND a.datname = current_database()"
    )

    def want_the_event():
        with engine.connect() as watcher:  # until our submission waits for the speaker
            for _ in range(600):
                if watcher.execute(waiting).scalar():
                    break
                time.sleep(0.05)
        other.execute(sa.text("SELECT id FROM events WHERE id = :id FOR UPDATE"), {"id": event.id})
        other.commit()

    thread = threading.Thread(target=want_the_event, daemon=True)
    thread.start()
    try:
        with pytest.raises(workflow.TransitionRefused) as refused:
            workflow.submit(event, people["editor"])
    finally:
        thread.join(60)
        other.close()
        engine.dispose()
    assert refused.value.status == 409
    db.session.rollback()
    assert db.session.get(Event, event.id).status == S.DRAFT
    assert (count(AuditEntry), count(OutboxMessage)) == (0, 0)
