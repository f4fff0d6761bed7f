"""An .ics import touches only the importing society's events: a UID that is another
society's event (this deployment's own event-<id>@host UIDs, as a file from another
deployment with the default UID host carries them, or another society's imported UIDs) is
skipped with a reason that names nothing of the other society's event."""

import pytest
import sqlalchemy as sa

from scheduler.audit.models import AuditEntry
from scheduler.enums import EventStatus
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.feeds.importer import import_ics
from tests.factories import local, make_event, make_society, make_venue


def calendar(*events: tuple[str, str, int]) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//elsewhere//EN"]
    for uid, title, day in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            f"SUMMARY:{title}",
            "DTSTAMP:20310101T000000Z",
            f"DTSTART;TZID=Asia/Shanghai:203111{day:02d}T090000",
            f"DTEND;TZID=Asia/Shanghai:203111{day:02d}T110000",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.fixture
def world(app):
    mine = make_society(slug="lz-desert", name="兰州市沙漠学会", city="兰州")
    theirs = make_society(slug="xn-plateau", name="西宁市高原学会", city="西宁")
    hall = make_venue(slug="yellow-river-hall", name="黄河报告厅", city="兰州")
    own = make_event(host=mine, venue=hall, title="治沙经验交流", start=local(2031, 11, 1, 9))
    private = make_event(
        host=theirs,
        title="高原生态内部研讨",
        status=EventStatus.SUBMITTED,
        start=local(2031, 11, 2, 9),
    )
    imported = make_event(
        host=theirs,
        title="青海湖鸟类观测",
        imported_uid="birds@qh.example",
        start=local(2031, 11, 3, 9),
    )
    db.session.commit()
    return {"mine": mine, "own": own, "private": private, "imported": imported}


def snapshot(event_id: int) -> tuple:
    db.session.expire_all()
    event = db.session.get(Event, event_id)
    return event.title, event.status, event.start_at, event.host_id, event.sequence


def test_another_deployments_default_uids_never_touch_another_society(app, world):
    uid_host = app.config["EVENT_UID_HOST"]
    private, own = world["private"], world["own"]
    before = snapshot(private.id)
    audit = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
    data = calendar(
        (f"event-{private.id}@{uid_host}", "覆盖他会的活动", 10),
        (f"event-{own.id}@{uid_host}", "治沙经验交流（更新）", 11),
    )
    result = import_ics(data, "lz-desert")
    db.session.commit()
    items = {item.uid: item for item in result.items}
    foreign = items[f"event-{private.id}@{uid_host}"]
    assert foreign.outcome == "skipped"
    assert "another society" in foreign.reason or "其他学会" in foreign.reason
    for secret in ("西宁", "高原", "xn-plateau", str(private.id) + " "):
        assert secret not in foreign.reason
    assert snapshot(private.id) == before
    # Its own event, by this deployment's UID, is updated as before.
    assert items[f"event-{own.id}@{uid_host}"].outcome == "updated"
    assert snapshot(own.id)[0] == "治沙经验交流（更新）"
    new_audit = db.session.scalars(
        sa.select(AuditEntry).order_by(AuditEntry.id).offset(audit)
    ).all()
    assert all(entry.entity_id != private.id for entry in new_audit)


def test_another_societys_file_is_skipped_item_by_item(app, world):
    imported = world["imported"]
    before = snapshot(imported.id)
    data = calendar(
        ("birds@qh.example", "青海湖鸟类观测（改）", 12), ("dunes@gs.example", "沙丘徒步科普", 13)
    )
    result = import_ics(data, "lz-desert")
    db.session.commit()
    outcomes = {item.uid: item.outcome for item in result.items}
    assert outcomes == {"birds@qh.example": "skipped", "dunes@gs.example": "created"}
    assert snapshot(imported.id) == before
    created = db.session.scalar(sa.select(Event).where(Event.imported_uid == "dunes@gs.example"))
    assert created.host_id == world["mine"].id
    # The owner imports its own file again: its event is matched and updated.
    result = import_ics(data, "xn-plateau")
    db.session.commit()
    outcomes = {item.uid: item.outcome for item in result.items}
    assert outcomes == {"birds@qh.example": "updated", "dunes@gs.example": "skipped"}
    assert snapshot(imported.id)[0] == "青海湖鸟类观测（改）"
