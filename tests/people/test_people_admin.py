"""People (experts, speakers): validation, API, pages, and the scarce expert warning end to
end through the conflict loader."""

import pytest
import sqlalchemy as sa

from scheduler.accounts.models import Role
from scheduler.enums import EventStatus
from scheduler.errors import BadInput, Conflict
from scheduler.events.conflicts import check_event
from scheduler.extensions import db
from scheduler.people.models import Person
from scheduler.people.service import create_person, delete_person, update_person
from tests.conftest import bearer, sign_in
from tests.factories import local, make_event, make_person, make_society, make_user

EXPERT = {"name": "欧阳院士", "title": "中国科学院院士", "affiliation": "吉林大学"}


def people() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Person))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"monthly_limit": "0"}, "monthly_limit"),
        ({"monthly_limit": "-2"}, "monthly_limit"),
        ({"monthly_limit": "2.5"}, "monthly_limit"),
        ({"monthly_limit": "３"}, "monthly_limit"),  # a full-width digit
        ({"monthly_limit": 10**30}, "monthly_limit"),
        ({"scarce": "sometimes"}, "scarce"),
        ({"title": ["院士"]}, "title"),
        ({"affiliation": "x" * 201}, "affiliation"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(app, changes, field):
    with pytest.raises(BadInput) as refused:
        create_person({**EXPERT, **changes}, None)
    assert refused.value.field == field
    db.session.rollback()
    assert people() == 0


def test_scarce_flag_and_limit(app):
    person = create_person({**EXPERT, "scarce": "是", "monthly_limit": "2"}, None)
    assert person.scarce and person.monthly_limit == 2
    update_person(person, {"monthly_limit": ""}, None)
    assert person.monthly_limit is None
    # Namesakes at other institutions are other people; the same name and affiliation is not.
    create_person({**EXPERT, "affiliation": "延边大学"}, None)
    with pytest.raises(Conflict):
        create_person(EXPERT, None)


def test_a_speaker_cannot_be_deleted(app):
    speaker = make_person(name="长白山专家")
    make_event(speakers=[speaker], title="长白山生态讲座")
    with pytest.raises(Conflict) as refused:
        delete_person(speaker, None)
    assert "长白山生态讲座" in refused.value.message


def test_api_people(client):
    organizer = bearer(make_user())
    created = client.post(
        "/api/v1/people", json={**EXPERT, "slug": "ouyang", "scarce": True, "monthly_limit": 3},
        headers=organizer,
    )  # fmt: skip
    assert created.status_code == 201 and created.json["monthly_limit"] == 3
    public = client.get("/api/v1/people/ouyang").json
    assert public == {
        "id": created.json["id"], "slug": "ouyang", "name": "欧阳院士",
        "title": "中国科学院院士", "affiliation": "吉林大学", "scarce": True,
    }  # fmt: skip
    assert client.get("/api/v1/people/nobody").status_code == 404
    assert client.get("/api/v1/people?scarce=1").json["total"] == 1
    editor = bearer(make_user(Role.EDITOR, make_society()))
    assert client.patch("/api/v1/people/ouyang", json={"title": "x"}).status_code == 401
    assert (
        client.patch("/api/v1/people/ouyang", json={"title": "x"}, headers=editor).status_code
        == 403
    )
    bad = client.patch("/api/v1/people/ouyang", json={"monthly_limit": 0}, headers=organizer)
    assert bad.status_code == 400
    assert client.get("/api/v1/people/ouyang").json["title"] == "中国科学院院士"
    gone = client.patch("/api/v1/people/ouyang", json={"active": False}, headers=organizer)
    assert gone.status_code == 200 and client.get("/api/v1/people").json["total"] == 0
    assert client.delete("/api/v1/people/ouyang", headers=organizer).status_code == 204


def test_people_pages(client):
    make_user(email="org@jl.example")
    db.session.commit()
    token = sign_in(client, "org@jl.example")
    response = client.post(
        "/admin/directory/people/new",
        data={**EXPERT, "scarce": "y", "monthly_limit": "零", "csrf_token": token},
    )
    assert response.status_code == 400 and 'id="e-monthly_limit"' in response.get_data(as_text=True)
    assert people() == 0
    response = client.post(
        "/admin/directory/people/new",
        data={**EXPERT, "scarce": "y", "monthly_limit": "2", "csrf_token": token},
    )
    assert response.status_code == 302
    person = db.session.scalar(sa.select(Person))
    assert person.scarce and person.monthly_limit == 2
    listing = client.get("/admin/directory/people?q=吉林").get_data(as_text=True)
    assert "欧阳院士" in listing


def test_inactive_people_are_not_offered_but_stay_on_their_events(client):
    retired = make_person(name="退休专家ZQ", active=False)
    event = make_event(speakers=[retired], status=EventStatus.DRAFT, start=local(2031, 3, 3, 9))
    make_user(email="org3@jl.example")
    db.session.commit()
    sign_in(client, "org3@jl.example")
    assert "退休专家ZQ" not in client.get("/portal/events/new").get_data(as_text=True)
    assert "退休专家ZQ" in client.get(f"/portal/events/{event.id}/edit").get_data(as_text=True)


# --- the scarce expert warning, end to end -------------------------------------------------


def test_the_conflict_check_warns_when_a_scarce_expert_is_booked_too_often(app):
    academician = make_person(name="周院士", scarce=True, monthly_limit=2)
    for day in (3, 17):
        make_event(start=local(2031, 5, day, 9), speakers=[academician])
    make_event(start=local(2031, 5, 20, 9), speakers=[academician], status=EventStatus.DRAFT)
    make_event(start=local(2031, 6, 1, 9), speakers=[academician])
    third = make_event(
        start=local(2031, 5, 28, 14), speakers=[academician], status=EventStatus.DRAFT
    )
    (finding,) = [f for f in check_event(third) if f.rule == "scarce_expert"]
    assert finding.severity == "warning"
    assert "周院士" in finding.message and "2031-05" in finding.message
    academician.monthly_limit = 3
    db.session.flush()
    assert [f for f in check_event(third) if f.rule == "scarce_expert"] == []


def test_the_api_check_shows_the_warning(client):
    host = make_society(slug="jl-soc")
    make_person(slug="zhou", name="周院士", scarce=True, monthly_limit=1)
    db.session.commit()
    person = db.session.scalar(sa.select(Person))
    make_event(start=local(2031, 9, 3, 9), speakers=[person], host=host)
    editor = make_user(Role.EDITOR, host)
    db.session.commit()
    body = {"title": "院士报告", "kind": "lecture", "host": "jl-soc", "speakers": ["zhou"],
            "start": "2031-09-20T09:00", "end": "2031-09-20T11:00"}  # fmt: skip
    response = client.post("/api/v1/conflicts/check", json=body, headers=bearer(editor))
    rules = [(f["rule"], f["severity"]) for f in response.json["findings"]]
    assert ("scarce_expert", "warning") in rules


def test_the_scarce_check_uses_a_constant_number_of_queries(app, count_queries):
    academician = make_person(name="郑院士", scarce=True, monthly_limit=50)

    def count():
        draft = make_event(start=local(2031, 7, 1, 9), speakers=[academician],
                           status=EventStatus.DRAFT)  # fmt: skip
        db.session.commit()
        with count_queries() as statements:
            check_event(draft)
        db.session.delete(draft)
        db.session.commit()
        return len(statements)

    make_event(start=local(2031, 7, 2, 9), speakers=[academician])
    db.session.commit()
    small = count()
    for day in range(3, 28):
        make_event(start=local(2031, 7, day, 9), speakers=[academician])
    db.session.commit()
    assert count() == small
