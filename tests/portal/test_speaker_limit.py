"""Editors add at most SPEAKER_CREATE_LIMIT new speakers from the event form in a while: past
it, a clear 429 on the dialog's JSON and on the plain page, and nothing is added. Choosing a
listed speaker, other editors and organizers are not held back."""

from datetime import timedelta

import sqlalchemy as sa

from scheduler.accounts.models import Role
from scheduler.audit.models import AuditEntry
from scheduler.extensions import db
from scheduler.people.models import Person
from tests.conftest import sign_in
from tests.factories import make_society, make_user

JSON = {"Accept": "application/json"}
NEW = "/portal/speakers/new"


def people() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Person))


def test_editors_are_limited_in_new_speakers(app, client):
    app.config["SPEAKER_CREATE_LIMIT"] = "2 per hour"
    society = make_society(slug="xn-ecology", name="西宁生态学会", city="西宁")
    editor = make_user(Role.EDITOR, society, email="ma.lin@xn-ecology.example")
    neighbour = make_user(Role.EDITOR, society, email="han.bo@xn-ecology.example")
    organizer = make_user(Role.ORGANIZER, email="kx@qh-cast.example")
    db.session.commit()
    csrf = sign_in(client, editor.email)

    def add(name: str, headers=JSON, affiliation: str = "青海大学"):
        data = {"name": name, "affiliation": affiliation, "csrf_token": csrf}
        return client.post(NEW, data=data, headers=headers)

    assert [add("马教授").status_code, add("韩研究员").status_code] == [201, 201]
    refused = add("李博士")
    assert refused.status_code == 429
    assert "2" in refused.get_json()["error"] and "60" in refused.get_json()["error"]
    assert 3590 <= int(refused.headers["Retry-After"]) <= 3600  # the first one just added
    assert add("马教授").status_code == 200  # a listed speaker is still chosen
    page = add("李博士", headers={})
    assert page.status_code == 429 and "60 分钟" in page.get_data(as_text=True)
    assert page.headers["Retry-After"].isdigit()
    assert people() == 2

    for user, status in ((neighbour, 201), (organizer, 201)):
        other = app.test_client()
        token = sign_in(other, user.email)
        data = {"name": f"张老师{user.id}", "csrf_token": token}
        assert other.post(NEW, data=data, headers=JSON).status_code == status

    # 59 minutes later the editor is told to come back in a minute; an hour later may add.
    def older(**by) -> None:
        mine = sa.select(AuditEntry).where(AuditEntry.actor_id == editor.id)
        for entry in db.session.scalars(mine):
            entry.at -= timedelta(**by)
        db.session.commit()

    older(minutes=59)
    assert 50 <= int(add("李博士").headers["Retry-After"]) <= 60
    older(minutes=1, seconds=1)
    assert add("李博士").status_code == 201
