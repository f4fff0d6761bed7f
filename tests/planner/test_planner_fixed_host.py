"""Series with a fixed host: planned with no host applications, every session hosted by that
host with no per-host maximum, accepted without host-quota errors; an inactive fixed host
is refused with a message naming it."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from scheduler.demo import load_demo_data
from scheduler.enums import EventKind
from scheduler.errors import BadInput
from scheduler.events.conflicts import check_event
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.planner.apply import accept_plan, run_plan
from scheduler.planner.load import load_instance, parse_request
from scheduler.planner.models import HostApplication, Plan, PlanSession, PlanStatus
from scheduler.series.models import HostMode, Series
from tests.factories import local, make_event, make_series, make_society, make_user, make_venue

NOW = datetime(2030, 11, 20, 2, tzinfo=UTC)


@pytest.fixture
def world(app):
    """A Yunnan association: its own lecture hall in Kunming, run by the association."""
    association = make_society(slug="yn-cast", name="云南省科学技术协会", city="昆明")
    rival = make_society(slug="km-botany", name="昆明植物学会", city="昆明")
    hall = make_venue(slug="km-hall", name="云南科技馆讲堂", city="昆明", capacity=300)
    series = make_series(
        slug="yunling-lectures",
        name="云岭大讲堂",
        kind=EventKind.LECTURE,
        cadence_rrule="FREQ=MONTHLY;BYDAY=2SA",
        target_min=6,
        target_max=8,
        max_per_host=1,  # for hosts from applications; the fixed host has no maximum
        min_spacing_days=20,
        duration_minutes=120,
        default_start_time="09:30",
        expected_attendance=200,
        default_venue=hall,
        host_mode=HostMode.FIXED,
        fixed_host=association,
    )
    organizer = make_user()
    db.session.commit()
    return {"association": association, "rival": rival, "series": series,
            "organizer": organizer}  # fmt: skip


def request():
    return parse_request({"year": 2031, "series": ["yunling-lectures"], "time_limit": 5})


def test_plans_with_zero_applications_and_one_host_for_every_session(world):
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HostApplication)) == 0
    plan = run_plan(request(), world["organizer"], NOW)
    assert plan.found and plan.conflicts == []
    assert len(plan.sessions) == 8  # the annual maximum, far above max_per_host
    assert {s.host_id for s in plan.sessions} == {world["association"].id}
    assert all(s.start_at.weekday() == 5 for s in plan.sessions)  # Saturdays (BYDAY)
    assert "fairness" not in plan.score or plan.score["fairness"] == 0

    accept_plan(plan, world["organizer"], NOW)
    events = db.session.scalars(sa.select(Event).where(Event.series_id == world["series"].id))
    for event in events:  # the conflict engine applies no per-host maximum to it either
        assert [f.rule for f in check_event(event, NOW) if f.severity == "error"] == []


def test_applications_of_other_societies_are_ignored(world):
    db.session.add(HostApplication(society_id=world["rival"].id,
                                   series_id=world["series"].id, year=2031))  # fmt: skip
    db.session.commit()
    inst = load_instance(request(), NOW).instance
    assert [(a.host_id, a.series_id) for a in inst.applications] == [
        (world["association"].id, world["series"].id)
    ]
    (s,) = inst.series
    assert s.fixed_host and s.max_per_host >= s.sessions == 8


def test_another_host_of_the_series_still_has_the_maximum(world):
    def session(host, month):
        return make_event(local(2031, month, 8, 9, 30), series=world["series"], host=host,
                          kind=EventKind.LECTURE)  # fmt: skip

    session(world["rival"], 3)
    extra = session(world["rival"], 4)
    session(world["association"], 5)
    own = session(world["association"], 6)
    assert "host_quota" in [f.rule for f in check_event(extra, NOW)]
    assert "host_quota" not in [f.rule for f in check_event(own, NOW)]


def test_an_inactive_fixed_host_is_refused_by_name(world):
    world["association"].active = False
    db.session.commit()
    with pytest.raises(BadInput, match="云南省科学技术协会"):
        run_plan(request(), world["organizer"], NOW)


@pytest.mark.slow
def test_the_readme_plan_commands_work_on_the_demo_data(app):
    """Both `plan` lines of the README, verbatim, on the demo: 学会大讲堂 has a fixed host
    and 企业双周论坛 has host applications for next year."""
    load_demo_data(date(2026, 11, 23))
    runner = app.test_cli_runner()
    every = runner.invoke(args=["plan", "--year", "2027"])
    assert every.exit_code == 0, every.output
    assert "学会大讲堂" in every.output and "企业双周论坛" in every.output
    chosen = runner.invoke(args=["plan", "--year", "2027", "--series", "lingnan-forum",
                                 "--series", "society-lecture-hall", "--time-limit", "30",
                                 "--apply"])  # fmt: skip
    assert chosen.exit_code == 0, chosen.output
    hall = db.session.scalar(sa.select(Series).where(Series.slug == "society-lecture-hall"))
    accepted = db.session.scalars(
        sa.select(PlanSession)
        .join(Plan, Plan.id == PlanSession.plan_id)
        .where(Plan.status == PlanStatus.ACCEPTED, PlanSession.series_id == hall.id)
    ).all()
    assert accepted and {s.host_id for s in accepted} == {hall.fixed_host_id}
    assert all(s.event_id is not None for s in accepted)
