"""The dates of a repeating event in the portal (#16): move one, cancel one, restore it,
through the workflow, with clear refusals that change nothing."""

import re
from datetime import timedelta

import sqlalchemy as sa

from scheduler.accounts.models import Role
from scheduler.audit.models import AuditEntry
from scheduler.enums import EventStatus
from scheduler.events.models import Event, Occurrence
from scheduler.extensions import db
from scheduler.types import utcnow
from tests.conftest import sign_in
from tests.factories import SHANGHAI, local, make_event, make_society, make_user, make_venue

S = EventStatus


def _world(status=S.DRAFT, **kw):
    host = make_society(slug="hz-physics", name="杭州物理学会", city="杭州")
    other = make_society(slug="nb-chem", name="宁波化学会", city="宁波")
    hall = make_venue(slug="xihu-hall", name="西湖报告厅", city="杭州", capacity=120)
    make_user(Role.EDITOR, host, email="bian@hz.example")
    make_user(Role.EDITOR, other, email="chen@nb.example")
    make_user(Role.ORGANIZER, None, email="org@zj.example")
    values = {"start": local(2027, 5, 4, 19), "rrule": "FREQ=WEEKLY;COUNT=4"}
    event = make_event(
        **{**values, **kw}, hours=1.5, title="西湖物理夜谈", status=status, host=host, venue=hall
    )
    db.session.commit()
    return event.id, hall


def _state(event_id: int):
    db.session.expire_all()
    event = db.session.get(Event, event_id)
    starts = sorted(
        o.start_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M") for o in event.occurrences
    )
    return dict(event.overrides or {}), list(event.exdates or []), starts


def _post(client, token, event_id, key, **form):
    return client.post(
        f"/portal/events/{event_id}/occurrences/{key}", data={"csrf_token": token, **form}
    )


def test_an_editor_moves_cancels_and_restores_single_dates(client):
    event_id, _ = _world()
    token = sign_in(client, "bian@hz.example")
    page = client.get(f"/portal/events/{event_id}/occurrences").get_data(as_text=True)
    assert page.count('name="op" value="cancel"') == 4
    assert "西湖物理夜谈" in page

    moved = _post(client, token, event_id, "2027-05-11T19:00", op="move",
                  start="2027-05-12T20:00", end="2027-05-12T21:30")  # fmt: skip
    assert moved.status_code == 302 and "/occurrences" in moved.location
    cancelled = _post(client, token, event_id, "2027-05-18T19:00", op="cancel")
    assert cancelled.status_code == 302
    overrides, exdates, starts = _state(event_id)
    assert overrides == {
        "2027-05-11T19:00": {"start": "2027-05-12T20:00", "end": "2027-05-12T21:30"}
    }
    assert exdates == ["2027-05-18T19:00"]
    assert starts == ["05-04 19:00", "05-12 20:00", "05-25 19:00"]

    page = client.get(f"/portal/events/{event_id}/occurrences").get_data(as_text=True)
    assert page.count('class="occurrence-row moved') == 1
    assert page.count('class="occurrence-row cancelled') == 1  # still listed, to restore
    assert page.count('value="restore"') == 2

    assert _post(client, token, event_id, "2027-05-18T19:00", op="restore").status_code == 302
    assert _post(client, token, event_id, "2027-05-11T19:00", op="restore").status_code == 302
    assert _state(event_id) == (
        {},
        [],
        ["05-04 19:00", "05-11 19:00", "05-18 19:00", "05-25 19:00"],
    )
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.entity_id == event_id)
    ).all()
    assert actions.count("update") == 4  # every change went through the workflow


MOVE = {"op": "move", "start": "2027-05-11T21:00", "end": "2027-05-11T22:00"}
BAD = [
    ({"op": "fly"}, "move, cancel or restore"),
    ({}, "move, cancel or restore"),
    ({**MOVE, "start": ""}, "date and a time"),
    ({**MOVE, "start": "next tuesday"}, "date and a time"),
    ({**MOVE, "end": "2027-05-11T20:00"}, "after the start"),
    ({**MOVE, "start": "2027-05-11T21:00+08:00"}, "date and a time"),
    ({"op": "restore"}, "nothing to restore"),
]


def test_bad_input_is_a_clear_refusal_that_changes_nothing(client):
    event_id, _ = _world()
    token = sign_in(client, "bian@hz.example")
    client.get("/portal/?lang=en")
    before = _state(event_id)
    for form, message in BAD:
        response = _post(client, token, event_id, "2027-05-11T19:00", **form)
        assert response.status_code == 400, form
        assert message in response.get_data(as_text=True), form
        assert _state(event_id) == before, form


def test_unknown_dates_other_societies_and_single_events_are_refused(client):
    event_id, _ = _world()
    single = make_event(start=local(2027, 6, 1, 9), host_id=db.session.get(Event, event_id).host_id,
                        status=S.DRAFT).id  # fmt: skip
    db.session.commit()
    token = sign_in(client, "bian@hz.example")
    assert _post(client, token, event_id, "2027-05-12T19:00", op="cancel").status_code == 404
    assert _post(client, token, event_id, "not-a-date", op="cancel").status_code == 404
    assert client.get(f"/portal/events/{single}/occurrences").status_code == 404
    assert client.get("/portal/events/999999/occurrences").status_code == 404
    before = _state(event_id)

    other = client.application.test_client()
    other_token = sign_in(other, "chen@nb.example")
    assert other.get(f"/portal/events/{event_id}/occurrences").status_code == 403
    assert _post(other, other_token, event_id, "2027-05-11T19:00", op="cancel").status_code == 403
    no_csrf = client.post(
        f"/portal/events/{event_id}/occurrences/2027-05-11T19:00", data={"op": "cancel"}
    )
    assert no_csrf.status_code == 400
    assert _state(event_id) == before


def test_an_approved_event_is_read_only_for_its_editor_and_a_clash_is_shown(client):
    event_id, hall = _world(S.APPROVED)
    make_event(start=local(2027, 5, 13, 19), hours=2, title="宁波化学讲座", venue=hall,
               host=make_society(city="杭州"))  # fmt: skip
    db.session.commit()
    token = sign_in(client, "bian@hz.example")
    page = client.get(f"/portal/events/{event_id}/occurrences").get_data(as_text=True)
    assert 'value="cancel"' not in page and "不能在此更改日期" in page
    assert _post(client, token, event_id, "2027-05-11T19:00", op="cancel").status_code == 409
    before = _state(event_id)

    organizer = client.application.test_client()
    org_token = sign_in(organizer, "org@zj.example")
    clash = _post(organizer, org_token, event_id, "2027-05-11T19:00", op="move",
                  start="2027-05-13T19:30", end="2027-05-13T21:00")  # fmt: skip
    assert clash.status_code == 409
    html = clash.get_data(as_text=True)
    assert "宁波化学讲座" in html and 'class="finding error' in html
    assert _state(event_id) == before
    fine = _post(organizer, org_token, event_id, "2027-05-11T19:00", op="move",
                 start="2027-05-14T19:30", end="2027-05-14T21:00")  # fmt: skip
    assert fine.status_code == 302
    assert db.session.get(Event, event_id).sequence == 1  # subscribers see the change


def test_past_dates_are_greyed_and_the_list_opens_at_the_next_date(client):
    now = utcnow().astimezone(SHANGHAI)
    first = (now - timedelta(weeks=30)).replace(hour=19, minute=0, second=0, microsecond=0)
    event_id, _ = _world(start=first, rrule="FREQ=WEEKLY;COUNT=45")
    sign_in(client, "bian@hz.example")
    page = client.get(f"/portal/events/{event_id}/occurrences").get_data(as_text=True)
    assert 'rel="prev"' in page and 'rel="next"' in page  # page 2 of 3
    rows = re.findall(r'class="occurrence-row (\w+)( past)?"', page)
    past = [r for r in rows if r[1]]
    assert 0 < len(past) < len(rows) <= 20
    assert page.count('value="cancel"') == len(rows) - len(past)  # none on past dates
    first_page = client.get(f"/portal/events/{event_id}/occurrences?page=1").get_data(as_text=True)
    assert first_page.count(' past"') == 20 and 'value="cancel"' not in first_page
    assert client.get(f"/portal/events/{event_id}/occurrences?page=99").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Occurrence)) == 45
