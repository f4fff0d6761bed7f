"""The society editor's event form (#16): suggestions that clear every error, the refused
page's suggestions opening the form, adding a speaker from the form, searchable lists, the
findings kept beside the fields, and the event page's own time zone."""

import html
import re

import pytest
import sqlalchemy as sa

from scheduler.accounts.models import Role
from scheduler.audit.models import AuditEntry
from scheduler.enums import EventKind, EventStatus
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.people.models import Person
from tests.conftest import sign_in
from tests.factories import (
    local,
    make_campaign,
    make_event,
    make_person,
    make_society,
    make_user,
    make_venue,
)

JSON = {"Accept": "application/json"}


@pytest.fixture
def harbin(app):
    """Harbin: a physics society, a rival, two halls, an academician busy one afternoon
    inside a short science week, an editor and an organizer."""
    host = make_society(slug="hlj-physics", name="黑龙江省物理学会", city="哈尔滨")
    rival = make_society(slug="hit-kexie", name="哈工大科协", city="哈尔滨")
    ice = make_venue(slug="ice-hall", name="冰城报告厅", city="哈尔滨", capacity=150)
    river = make_venue(slug="river-hall", name="松花江讲堂", city="哈尔滨", capacity=300)
    zhao = make_person(slug="zhao-ys", name="赵院士", title="院士", affiliation="哈工大")
    week = make_campaign(
        slug="hlj-science-week",
        name="冰城科技周",
        start_date=local(2031, 11, 10).date(),
        end_date=local(2031, 11, 14).date(),
    )
    make_event(
        start=local(2031, 11, 12, 14),
        host=rival,
        venue=ice,
        speakers=[zhao],
        title="超导前沿报告",
    )
    editor = make_user(Role.EDITOR, society=host, email="editor@hlj-physics.cn")
    db.session.commit()
    return {"host": host, "ice": ice, "river": river, "zhao": zhao, "week": week, "editor": editor}


def form(**kw) -> dict:
    values = {
        "title": "量子物理公众讲座",
        "kind": "lecture",
        "venue": "ice-hall",
        "campaign": "hlj-science-week",
        "start": "2031-11-12T14:30",
        "end": "2031-11-12T16:30",
        "expected_attendance": "120",
        "speakers": ["zhao-ys"],
        "repeat": "",
    }
    values.update(kw)
    return values


def errors_of(client, csrf, values) -> list[str]:
    found = client.post("/portal/check", data={**values, "csrf_token": csrf}).get_json()
    return [f["rule"] for f in found["findings"] if f["severity"] == "error"]


def test_every_suggestion_clears_every_error(client, harbin):
    csrf = sign_in(client, harbin["editor"].email)
    found = client.post("/portal/check", data={**form(), "csrf_token": csrf}).get_json()
    rules = [f["rule"] for f in found["findings"] if f["severity"] == "error"]
    assert rules == ["venue_overlap", "speaker_overlap"]
    offered = {
        (s["start"][:16], s["end"][:16], s["venue"]["name"])
        for f in found["findings"]
        for s in f["suggestions"]
    }
    assert offered  # moves in the hall remain
    # The academician speaks elsewhere then: the free hall at that time is not offered.
    assert not any(start == "2031-11-12T14:30" for start, _, _ in offered)
    slugs = {"冰城报告厅": "ice-hall", "松花江讲堂": "river-hall"}
    for start, end, venue in offered:
        # Inside the week (other days would leave the campaign error) and free of all errors.
        assert "2031-11-10" <= start[:10] <= "2031-11-14", start
        assert errors_of(client, csrf, form(start=start, end=end, venue=slugs[venue])) == []

    # Without the busy speaker, the other hall at the same time is offered (and clears).
    alone = client.post("/portal/check", data={**form(speakers=[]), "csrf_token": csrf}).get_json()
    elsewhere = [
        s for s in alone["findings"][0]["suggestions"] if s["venue"]["name"] == "松花江讲堂"
    ]
    assert [s["start"][:16] for s in elsewhere] == ["2031-11-12T14:30"]


def test_the_refused_submit_page_opens_the_form_with_a_suggestion(client, harbin):
    csrf = sign_in(client, harbin["editor"].email)
    created = client.post("/portal/events/new", data={**form(), "csrf_token": csrf})
    assert created.status_code == 302
    event_id = int(created.headers["Location"].rstrip("/").split("/")[-1])

    refused = client.post(f"/portal/events/{event_id}/submit", data={"csrf_token": csrf})
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    links = re.findall(r'<a class="suggestion" href="([^"]+)"', page)
    assert links and all(f"/portal/events/{event_id}/edit?" in link for link in links)

    opened = client.get(html.unescape(links[0]))
    assert opened.status_code == 200
    values = dict(re.findall(r'name="(start|end)"[^>]*value="([^"]*)"', opened.get_data(True)))
    assert values["start"] != "2031-11-12T14:30"
    saved = client.post(
        f"/portal/events/{event_id}/edit",
        data={**form(start=values["start"], end=values["end"]), "csrf_token": csrf},
    )
    assert saved.status_code == 302
    submitted = client.post(f"/portal/events/{event_id}/submit", data={"csrf_token": csrf})
    assert submitted.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event_id).status == EventStatus.SUBMITTED


def test_the_form_keeps_findings_beside_the_fields_and_loads_its_scripts(client, harbin):
    csrf = sign_in(client, harbin["editor"].email)
    for response in (
        client.get("/portal/events/new"),
        client.post(
            "/portal/events/new", data={**form(end="2031-11-12T13:00"), "csrf_token": csrf}
        ),
    ):
        page = response.get_data(as_text=True)
        assert page.index('id="findings"') < page.index('type="submit">')  # before the button
        assert 'class="form-findings"' in page
        assert "js/event-form.js" in page and "tom-select.complete.min.js" in page
        assert "tom-select.default.min.css" in page
        assert page.count("data-searchable") == 3
        assert 'id="add-speaker"' in page
    assert response.status_code == 400  # the refused form, still with its script
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1


def people_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Person))


def test_an_editor_adds_a_speaker_from_the_form(client, harbin):
    csrf = sign_in(client, harbin["editor"].email)
    added = client.post(
        "/portal/speakers/new",
        data={
            "name": "  钱博士 ",
            "title": "副研究员",
            "affiliation": "黑龙江大学",
            "csrf_token": csrf,
        },
        headers=JSON,
    )
    assert added.status_code == 201
    body = added.get_json()
    person = db.session.scalar(sa.select(Person).where(Person.slug == body["slug"]))
    assert (person.name, person.title, person.affiliation) == ("钱博士", "副研究员", "黑龙江大学")
    assert body["label"] == "钱博士（副研究员）" and not body["reused"]
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                AuditEntry.entity_type == "person", AuditEntry.entity_id == person.id
            )
        )
        == 1
    )

    # The same name and affiliation again: the listed one is chosen, nothing is added.
    again = client.post(
        "/portal/speakers/new",
        data={"name": "钱博士", "affiliation": "黑龙江大学", "csrf_token": csrf},
        headers=JSON,
    )
    assert again.status_code == 200 and again.get_json()["slug"] == body["slug"]
    assert again.get_json()["reused"]
    before = people_count()
    harbin["zhao"].active = False
    db.session.commit()
    for data, status, words in (
        ({"name": "   "}, 400, "讲者姓名"),
        ({"name": "赵院士", "affiliation": "哈工大"}, 409, "已停用"),
        ({"name": "孙" * 121}, 400, "120"),
    ):
        refused = client.post(
            "/portal/speakers/new", data={**data, "csrf_token": csrf}, headers=JSON
        )
        assert refused.status_code == status, refused.get_data(as_text=True)
        assert words in refused.get_json()["error"]
    no_token = client.post("/portal/speakers/new", data={"name": "李工"}, headers=JSON)
    assert no_token.status_code == 400
    assert people_count() == before

    # Without JavaScript: a plain page, back to the form with the speaker chosen.
    assert "返回活动表单" in client.get("/portal/speakers/new?next=/portal/events/new").get_data(
        True
    )
    plain = client.post(
        "/portal/speakers/new",
        data={"name": "周老师", "next": "/portal/events/new", "csrf_token": csrf},
    )
    assert plain.status_code == 302
    slug = db.session.scalar(sa.select(Person.slug).where(Person.name == "周老师"))
    assert plain.headers["Location"] == f"/portal/events/new?speaker={slug}"
    back = client.get(plain.headers["Location"]).get_data(as_text=True)
    assert re.search(rf'<option value="{slug}" selected>周老师', back)
    elsewhere = client.post(
        "/portal/speakers/new",
        data={"name": "吴老师", "next": "https://evil.example/", "csrf_token": csrf},
    )
    assert elsewhere.headers["Location"].startswith("/portal/events/new?speaker=")
    bad = client.post("/portal/speakers/new", data={"name": "", "csrf_token": csrf})
    assert bad.status_code == 400 and "讲者姓名" in bad.get_data(as_text=True)


def test_the_event_page_shows_its_own_zone_and_the_association_time(client, harbin):
    berlin = make_event(
        start=local(2031, 7, 1, 16),  # 10:00 in Berlin (summer time)
        host=harbin["host"],
        timezone="Europe/Berlin",
        kind=EventKind.SALON,
        is_major=True,
        speakers=[harbin["zhao"]],
        expected_attendance=40,
        status=EventStatus.DRAFT,
        title="柏林校友物理沙龙",
    )
    db.session.commit()
    sign_in(client, harbin["editor"].email)
    page = client.get(f"/portal/events/{berlin.id}").get_data(as_text=True)
    when = re.search(r"<dt>时间</dt><dd>(.*?)</dd>", page, re.S).group(1)
    assert "10:00 – 12:00" in when and "(Europe/Berlin)" in when
    assert "Asia/Shanghai" in when and "16:00 – 18:00" in when
    for shown in ("沙龙", "赵院士", "40"):
        assert shown in page, shown
    english = client.get(f"/portal/events/{berlin.id}?lang=en").get_data(as_text=True)
    assert "Local time in Asia/Shanghai" in english
