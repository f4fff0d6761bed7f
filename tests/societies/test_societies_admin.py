"""Society administration: the service's validation, the API and the organizer pages."""

import re

import pytest
import sqlalchemy as sa

from scheduler.accounts.models import Role
from scheduler.audit.models import AuditEntry
from scheduler.errors import BadInput, Conflict
from scheduler.extensions import db
from scheduler.societies.models import Society, SocietyKind
from scheduler.societies.service import (
    create_society,
    delete_society,
    set_society_active,
    update_society,
)
from tests.conftest import bearer, sign_in
from tests.factories import make_event, make_series, make_society, make_user

GOOD = {"name": "哈尔滨市机械工程学会", "kind": "city", "city": "哈尔滨"}


def count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Society))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "坏\x07名"}, "name"),
        ({"kind": "club"}, "kind"),
        ({"contact_email": "not-an-address"}, "contact_email"),
        ({"contact_email": "a@b"}, "contact_email"),
        ({"min_events_per_year": "-1"}, "min_events_per_year"),
        ({"min_events_per_year": "²"}, "min_events_per_year"),
        ({"min_events_per_year": "1e999"}, "min_events_per_year"),
        ({"min_events_per_year": float("inf")}, "min_events_per_year"),
        ({"min_events_per_year": float("nan")}, "min_events_per_year"),
        ({"min_events_per_year": True}, "min_events_per_year"),
        ({"active": "maybe"}, "active"),
        ({"slug": "Has Spaces"}, "slug"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(app, changes, field):
    with pytest.raises(BadInput) as refused:
        create_society({**GOOD, **changes}, None)
    assert refused.value.field == field
    assert refused.value.status == 400
    db.session.rollback()
    assert count() == 0


def test_values_from_a_spreadsheet_are_parsed_and_audited(app):
    organizer = make_user()
    society = create_society(
        {**GOOD, "short_name": " 哈机学会 ", "min_events_per_year": "3", "active": "是",
         "contact_email": "office@hrb-me.example.cn", "kind": "市级科协"}, organizer,
    )  # fmt: skip
    db.session.commit()
    assert society.short_name == "哈机学会"
    assert society.min_events_per_year == 3
    assert society.kind == SocietyKind.CITY
    assert society.slug.startswith("society-")  # made from a Chinese name
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity_type == "society"))
    assert entry.action == "create" and entry.actor_id == organizer.id
    assert entry.changes["name"] == [None, GOOD["name"]]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("2027年青年科学家沙龙", r"society-[0-9a-f]{8}"), ("IEEE 广州分会 2", r"ieee-2")],
)
def test_slugs_made_from_names_carry_a_word(app, name, expected):
    society = create_society({**GOOD, "name": name}, None)
    assert re.fullmatch(expected, society.slug)


def test_duplicate_name_or_slug_is_a_conflict(app):
    create_society({**GOOD, "slug": "hrb-me"}, None)
    with pytest.raises(Conflict):
        create_society({**GOOD, "slug": "other"}, None)
    with pytest.raises(Conflict):
        create_society({**GOOD, "name": "另一个学会", "slug": "hrb-me"}, None)
    other = create_society({**GOOD, "name": "齐齐哈尔学会", "slug": "qqhr"}, None)
    with pytest.raises(Conflict):
        update_society(other, {"name": GOOD["name"]}, None)
    assert other.name == "齐齐哈尔学会"  # refused: the row is left as it was


def test_a_referenced_society_cannot_be_deleted_but_can_be_deactivated(app):
    host = make_society(name="大庆石油学会")
    make_event(host=host, title="油田论坛")
    with pytest.raises(Conflict) as refused:
        delete_society(host, None)
    assert "油田论坛" in refused.value.message
    set_society_active(host, False, None)
    assert host.active is False
    unused = make_society()
    delete_society(unused, None)
    assert db.session.get(Society, unused.id) is None


def test_the_fixed_host_of_an_active_series_stays_active(app):
    host = make_society(name="牡丹江讲堂学会")
    make_series(name="牡丹江讲堂", host_mode="fixed", fixed_host_id=host.id)
    with pytest.raises(Conflict) as refused:
        set_society_active(host, False, None)
    assert "牡丹江讲堂" in refused.value.message


# --- the API -----------------------------------------------------------------------------


def test_api_create_update_delete(client):
    headers = bearer(make_user())
    created = client.post("/api/v1/societies", json={**GOOD, "slug": "hrb-me"}, headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["slug"] == "hrb-me" and created.json["contact_email"] == ""
    patched = client.patch(
        "/api/v1/societies/hrb-me", json={"contact_email": "hi@hrb.example"}, headers=headers
    )
    assert patched.status_code == 200 and patched.json["contact_email"] == "hi@hrb.example"
    assert client.delete("/api/v1/societies/hrb-me", headers=headers).status_code == 204
    assert client.delete("/api/v1/societies/hrb-me", headers=headers).status_code == 404


def test_api_refusals_write_nothing(client):
    editor = make_user(Role.EDITOR, make_society(name="绥化学会"))
    organizer = bearer(make_user())
    before = count()
    assert client.post("/api/v1/societies", json=GOOD).status_code == 401
    assert client.post("/api/v1/societies", json=GOOD, headers=bearer(editor)).status_code == 403
    bad = client.post("/api/v1/societies", json={**GOOD, "kind": "x"}, headers=organizer)
    assert bad.status_code == 400 and bad.json["field"] == "kind"
    assert client.post("/api/v1/societies", json=[1], headers=organizer).status_code == 400
    assert count() == before
    client.post("/api/v1/societies", json=GOOD, headers=organizer)
    again = client.post("/api/v1/societies", json=GOOD, headers=organizer)
    assert again.status_code == 409 and again.json["error"] == "conflict"
    assert count() == before + 1


def test_contacts_are_for_organizers_only(client):
    make_society(name="伊春学会", contact_email="secret@yc.example", contact_phone="0458-1")
    db.session.commit()
    public = client.get("/api/v1/societies").get_data(as_text=True)
    assert "secret@yc.example" not in public
    mine = client.get("/api/v1/societies", headers=bearer(make_user())).get_data(as_text=True)
    assert "secret@yc.example" in mine


# --- the pages ---------------------------------------------------------------------------


def test_pages_create_edit_with_errors_deactivate_and_refuse_delete(client):
    make_user(email="org@hlj.example")
    db.session.commit()
    token = sign_in(client, "org@hlj.example")
    page = client.get("/admin/directory")
    assert page.status_code == 200 and "/admin/directory/societies" in page.get_data(as_text=True)
    form = {**GOOD, "slug": "hrb-me", "min_events_per_year": "2", "csrf_token": token}
    response = client.post("/admin/directory/societies/new", data=form)
    assert response.status_code == 302
    society = db.session.scalar(sa.select(Society).where(Society.slug == "hrb-me"))
    bad = {**form, "contact_email": "nope", "min_events_per_year": "many", "name": ""}
    response = client.post("/admin/directory/societies/hrb-me", data=bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert html.count('role="alert"') >= 3  # each field's error next to it
    assert 'id="e-contact_email"' in html and 'id="e-min_events_per_year"' in html
    db.session.refresh(society)
    assert society.contact_email == "" and society.name == GOOD["name"]
    make_event(host=society, title="冰雪论坛")
    db.session.commit()
    response = client.post(
        "/admin/directory/societies/hrb-me/delete", data={"csrf_token": token},
        follow_redirects=True,
    )  # fmt: skip
    assert "冰雪论坛" in response.get_data(as_text=True)
    assert db.session.get(Society, society.id) is not None
    client.post(
        "/admin/directory/societies/hrb-me/active", data={"active": "false", "csrf_token": token}
    )
    db.session.refresh(society)
    assert society.active is False
    listing = client.get("/admin/directory/societies").get_data(as_text=True)
    assert GOOD["name"] not in listing
    listing = client.get("/admin/directory/societies?inactive=1&q=机械").get_data(as_text=True)
    assert GOOD["name"] in listing


def test_a_form_without_csrf_is_refused(client):
    make_user(email="org2@hlj.example")
    db.session.commit()
    sign_in(client, "org2@hlj.example")
    response = client.post("/admin/directory/societies/new", data=GOOD)
    assert response.status_code == 400
    assert count() == 0


def test_a_duplicate_the_checks_miss_is_still_a_conflict(app, monkeypatch):
    """Two requests racing past the look-up: the unique key refuses the second with a 409,
    and the transaction stays usable."""
    create_society({**GOOD, "slug": "hrb-me"}, None)
    monkeypatch.setattr("scheduler.directory_input.refuse_duplicate", lambda *a, **k: None)
    with pytest.raises(Conflict):
        create_society({**GOOD, "name": "另一个学会", "slug": "hrb-me"}, None)
    assert count() == 1
    create_society({**GOOD, "name": "鸡西学会"}, None)
    assert count() == 2
