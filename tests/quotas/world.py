"""A small province whose quota figures are known by heart (NOW is 15 June 2027, noon).

Lingnan forum (target 3-4, one session per host): 2026 hosted by phys and scut; 2027 by phys
(March, completed, major filed on time, 300 attendees) and sz (May, approved and ended, major
filed late, co-hosted by scut). October is the academic month: sz hosts an approved activity
co-hosted by phys; scut's activity is cancelled. sz also has a weekly lecture in September
(three sessions). sleepy last held something in March 2025; gone is inactive.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from scheduler.accounts.models import Role
from scheduler.campaigns.models import Campaign
from scheduler.enums import EventKind, EventStatus
from scheduler.extensions import db
from scheduler.quotas import service
from scheduler.series.models import Series
from scheduler.societies.models import Society, SocietyKind
from tests.factories import (
    local,
    make_campaign,
    make_event,
    make_series,
    make_society,
    make_user,
)

S = EventStatus
NOW = local(2027, 6, 15, 12, 0)


@dataclass
class World:
    lingnan: Series
    phys: Society
    sz: Society
    scut: Society
    sleepy: Society
    gone: Society
    month: Campaign
    organizer: object
    sz_editor: object
    phys_editor: object


def build_world() -> World:
    lingnan = make_series(
        slug="lingnan", name="岭南科学论坛", target_min=3, target_max=4, max_per_host=1
    )
    phys = make_society(slug="gd-physics", name="广东省物理学会", city="广州")
    sz = make_society(slug="sz-cast", name="深圳市科协", kind=SocietyKind.CITY, city="深圳")
    scut = make_society(
        slug="scut-cast", name="华南理工大学科协", kind=SocietyKind.UNIVERSITY, city="广州"
    )
    sleepy = make_society(slug="sleepy", name="汕头沉睡学会", city="汕头")
    gone = make_society(slug="gone", name="已撤销学会", active=False)
    month = make_campaign(
        slug="academic-month-2027",
        start_date=date(2027, 10, 1),
        end_date=date(2027, 10, 31),
        participation_target=0.5,
    )
    completed = {"status": S.COMPLETED}
    make_event(local(2026, 4, 10, 14, 30), series=lingnan, host=phys, **completed)
    make_event(local(2026, 5, 10, 14, 30), series=lingnan, host=scut, **completed)
    march = local(2027, 3, 12, 14, 30)
    make_event(
        march,
        series=lingnan,
        host=phys,
        is_major=True,
        submitted_at=march - timedelta(days=15),  # exactly the lead time: on time
        actual_attendance=300,
        **completed,
    )
    may = local(2027, 5, 20, 14, 30)
    make_event(
        may,
        series=lingnan,
        host=sz,
        cohosts=[scut],
        is_major=True,
        submitted_at=may - timedelta(days=15) + timedelta(seconds=1),  # a second late
    )
    make_event(
        local(2027, 10, 9, 9, 30),
        kind=EventKind.ACADEMIC_MONTH,
        host=sz,
        cohosts=[phys],
        campaign=month,
    )
    make_event(
        local(2027, 10, 20, 9, 30),
        kind=EventKind.ACADEMIC_MONTH,
        host=scut,
        campaign=month,
        status=S.CANCELLED,
    )
    make_event(local(2027, 9, 4, 10), kind=EventKind.LECTURE, host=sz, rrule="FREQ=WEEKLY;COUNT=3")
    make_event(local(2025, 3, 1, 10), host=sleepy, **completed)
    world = World(
        lingnan=lingnan,
        phys=phys,
        sz=sz,
        scut=scut,
        sleepy=sleepy,
        gone=gone,
        month=month,
        organizer=make_user(Role.ORGANIZER),
        sz_editor=make_user(Role.EDITOR, society=sz),
        phys_editor=make_user(Role.EDITOR, society=phys),
    )
    db.session.commit()
    return world


def freeze(monkeypatch) -> None:
    monkeypatch.setattr(service, "clock", lambda: NOW)
