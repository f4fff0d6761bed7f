"""Full-text search (#16): /search and the API's ?q= find events by every name they show,
past and future, on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm), publicly only what the
public may see; renames through the product show at once; hostile input is only text."""

import importlib.util
import re
from html import unescape
from pathlib import Path

import sqlalchemy as sa

from scheduler.accounts.models import Role
from scheduler.campaigns.models import CampaignKind
from scheduler.enums import EventStatus
from scheduler.events.models import Event
from scheduler.extensions import db
from scheduler.search.index import documents_select, rebuild_all
from scheduler.search.models import EventSearch
from tests.conftest import bearer
from tests.factories import (
    local,
    make_campaign,
    make_event,
    make_person,
    make_series,
    make_society,
    make_user,
    make_venue,
)

EN = {"Accept-Language": "en"}
MIGRATION = Path(__file__).parents[2] / "migrations" / "versions" / "0011_event_search.py"


def seed() -> dict:
    """Events in Harbin and Kunming unlike the demo's: one coming with every kind of name,
    one past, one cancelled, and a draft and a submitted event at the same hall."""
    science_hall = make_venue(
        slug="gd-kexueguan", name="广东科学馆", address="连新路171号", city="广州"
    )
    garden = make_venue(slug="km-garden", name="昆明植物园报告厅", city="昆明")
    zhao = make_person(slug="zhao-hf", name="赵海峰", title="院士", affiliation="兰州大学")
    host = make_society(slug="hlj-astro", name="黑龙江省天文学会", short_name="龙江天文")
    cohost = make_society(slug="yn-botany", name="云南省植物学会")
    organizer = make_society(slug="hrb-kx", name="哈尔滨市科学技术协会")
    series = make_series(slug="bingcheng", name="冰城科学讲堂")
    campaign = make_campaign(
        slug="kepu-2030", name="二〇三〇全国科普日", kind=CampaignKind.SCIENCE_DAY,
        start_date=local(2030, 9, 1).date(), end_date=local(2030, 9, 30).date(),
    )  # fmt: skip
    events = {
        "stars": make_event(
            local(2030, 9, 12, 19), title="星空与人类", venue=science_hall, host=host,
            cohosts=[cohost], organizing_societies=[organizer], speakers=[zhao], series=series,
            campaign=campaign,
        ),
        "plants": make_event(
            local(2025, 4, 3, 14), title="植物的秘密", venue=garden, host=cohost,
            description="科普讲座：植物如何\n感知光", status=EventStatus.COMPLETED,
        ),
        "called_off": make_event(
            local(2030, 11, 5, 9), title="极光观测夜", venue=garden, host=host,
            status=EventStatus.CANCELLED,
        ),
        "draft": make_event(
            local(2030, 9, 20, 9), title="广东科学馆内部筹备会", venue=science_hall, host=host,
            status=EventStatus.DRAFT,
        ),
        "submitted": make_event(
            local(2030, 9, 21, 9), title="待审的星空讲座", venue=science_hall, host=host,
            status=EventStatus.SUBMITTED,
        ),
    }  # fmt: skip
    db.session.commit()
    return {"events": events, "host": host, "hall": science_hall, "zhao": zhao}


def found_titles(client, **args) -> list[str]:
    return titles_in(client.get("/search", query_string=args, headers=EN).get_data(as_text=True))


def titles_in(html: str) -> list[str]:
    titles = re.findall(r'<h3><a href="[^"]+">(.*?)</a>', html)
    return [unescape(re.sub(r"</?mark>", "", t)) for t in titles]


def api_titles(client, q: str, headers=None, **args) -> list[str]:
    args["q"] = q
    response = client.get("/api/v1/events", query_string=args, headers=headers or {})
    assert response.status_code == 200, response.get_data(as_text=True)
    return sorted(e["title"] for e in response.get_json()["items"])


def test_each_kind_of_name_is_found_and_named(app, client):
    seed()
    cases = [
        ("广东科学馆", ["星空与人类"], "Venue:"),
        ("连新路", ["星空与人类"], "Venue:"),  # the address
        ("赵海峰", ["星空与人类"], "Speaker:"),
        ("兰州大学", ["星空与人类"], "Speaker:"),  # the speaker's affiliation
        ("黑龙江省天文学会", ["星空与人类", "极光观测夜"], "Host:"),
        ("龙江天文", ["星空与人类", "极光观测夜"], "Host:"),  # the short name
        ("哈尔滨市科学技术协会", ["星空与人类"], "Organizer:"),
        ("冰城科学讲堂", ["星空与人类"], "Series:"),
        ("二〇三〇全国科普日", ["星空与人类"], "Campaign:"),
        ("感知光", ["植物的秘密"], "Description:"),
    ]
    for query, titles, label in cases:
        html = client.get("/search", query_string={"q": query}, headers=EN).get_data(as_text=True)
        assert sorted(titles_in(html)) == sorted(titles), query
        assert f'<span class="found-field">{label}</span>' in html, query
        assert f"<mark>{query}</mark>" in html, query
    # The co-host is found too; its own hosted event names it as host.
    assert sorted(found_titles(client, q="云南省植物学会")) == ["星空与人类", "植物的秘密"]
    assert api_titles(client, "赵海峰") == ["星空与人类"]


def test_short_chinese_words_past_events_and_grouping(app, client):
    seed()
    # Two characters: shorter than a trigram, found by a scan (both databases).
    assert found_titles(client, q="科普") == ["星空与人类", "植物的秘密"]
    assert found_titles(client, q="植物") == ["星空与人类", "极光观测夜", "植物的秘密"]
    html = client.get("/search?q=植物", headers=EN).get_data(as_text=True)
    upcoming, past = html.split("<h2>Past events</h2>")
    assert "<h2>Upcoming events</h2>" in upcoming and "极光观测夜" in upcoming
    assert "的秘密" in past and "Cancelled" in upcoming
    # Several words: events holding all of them; case does not matter.
    assert found_titles(client, q="植物 秘密") == ["植物的秘密"]
    make_event(local(2030, 10, 1, 9), title="Deep Sky Imaging", host=make_society())
    db.session.commit()
    assert found_titles(client, q="deep SKY") == ["Deep Sky Imaging"]


def test_date_range_and_pages(app, client):
    seed()
    assert found_titles(client, q="植物", **{"from": "2030-09-01", "to": "2030-09-30"}) == [
        "星空与人类"
    ]
    assert found_titles(client, q="植物", to="2026-01-01") == ["植物的秘密"]
    assert found_titles(client, q="植物", **{"from": "2031-01-01"}) == []
    host = make_society(name="漠河观星社")
    for day in range(1, 24):
        make_event(local(2031, 1, day, 20), title=f"漠河观星第{day}夜", host=host)
    db.session.commit()
    first = client.get("/search?q=漠河观星", headers=EN).get_data(as_text=True)
    assert "23 events found." in first and "Page 1 of 2" in first and 'rel="next"' in first
    second = found_titles(client, q="漠河观星", page=2)
    assert second == ["漠河观星第21夜", "漠河观星第22夜", "漠河观星第23夜"]
    assert found_titles(client, q="漠河观星", page=9) == []


def test_renames_through_the_api_show_at_once(app, client):
    world = seed()
    organizer = bearer(make_user(Role.ORGANIZER))
    answer = client.patch(
        "/api/v1/venues/gd-kexueguan", json={"name": "粤海科学中心"}, headers=organizer
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert found_titles(client, q="粤海科学中心") == ["星空与人类"]
    assert found_titles(client, q="广东科学馆") == []
    assert api_titles(client, "粤海科学中心") == ["星空与人类"]
    # A speaker renamed in the directory, and one added to an event (no column of it changes).
    world["zhao"].name = "赵海川"
    plants = world["events"]["plants"]
    plants.speakers.append(make_person(name="钱静怡"))
    db.session.commit()
    assert found_titles(client, q="赵海川") == ["星空与人类"]
    assert found_titles(client, q="钱静怡") == ["植物的秘密"]
    # A deleted event takes its document along.
    db.session.delete(world["events"]["draft"])
    db.session.commit()
    documents = db.session.scalar(sa.select(sa.func.count()).select_from(EventSearch))
    assert documents == db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 4


def test_drafts_and_pending_events_are_never_found_publicly(app, client):
    world = seed()
    assert found_titles(client, q="广东科学馆") == ["星空与人类"]
    assert found_titles(client, q="筹备会") == [] and found_titles(client, q="待审") == []
    assert api_titles(client, "筹备会") == [] and api_titles(client, "待审") == []
    # The host's editor sees its own draft through the API; another society's does not.
    editor = bearer(make_user(Role.EDITOR, society=world["host"]))
    every = {"status": "draft,submitted,approved,cancelled,completed"}
    assert api_titles(client, "广东科学馆", editor, **every) == [
        "广东科学馆内部筹备会", "待审的星空讲座", "星空与人类"
    ]  # fmt: skip
    stranger = bearer(make_user(Role.EDITOR, society=make_society()))
    assert api_titles(client, "广东科学馆", stranger, **every) == ["星空与人类"]


def test_statements_do_not_grow_with_the_results(app, client, count_queries):
    host = make_society(name="昆仑山科普协会")
    make_event(local(2030, 5, 1, 9), title="昆仑讲坛开篇", host=host)
    db.session.commit()
    with count_queries() as few:
        assert client.get("/search?q=昆仑").status_code == 200
    for day in range(2, 20):
        make_event(local(2030, 5, day, 9), title=f"昆仑讲坛{day}", host=host,
                   speakers=[make_person()], venue=make_venue())  # fmt: skip
    db.session.commit()
    with count_queries() as many:
        html = client.get("/search?q=昆仑", headers=EN).get_data(as_text=True)
    assert "19 events found." in html
    assert len(many) == len(few) <= 6, many


HOSTILE = [
    "'; DROP TABLE events; --",
    '" OR 1=1 --',
    "%",
    "_",
    "\\",
    'NEAR("星空" "人类")',
    "星空*",
    "title:星空",
    "AND OR NOT",
    "^星",
    '"""',
    "<script>alert(1)</script>",
]


def test_injection_looking_input_is_only_text(app, client):
    seed()
    for text in HOSTILE:
        response = client.get("/search", query_string={"q": text})
        assert response.status_code == 200, text
        assert titles_in(response.get_data(as_text=True)) == [], text
        assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
        assert api_titles(client, text) == [], text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 5
    # Literal wildcards and quotes still match where they are.
    make_event(local(2030, 6, 1, 9), title='100% "真" 科学_课', host=make_society())
    db.session.commit()
    for text in ("100%", '"真"', "科学_课", "_课"):
        assert found_titles(client, q=text) == ['100% "真" 科学_课'], text


BAD = [
    ({"q": "星" * 101}, "100 characters"),
    ({"q": "星空", "from": "2030-13-01"}, "from is not a valid date"),
    ({"q": "星空", "from": "2030-09-02", "to": "2030-09-01"}, "from must be before to"),
    ({"q": "星空", "page": "abc"}, "page must be a number"),
    ({"q": "星空", "page": "0"}, "page must be a number"),
]


def test_bad_input_gets_the_form_and_a_message(app, client):
    for args, message in BAD:
        response = client.get("/search", query_string=args, headers=EN)
        html = response.get_data(as_text=True)
        assert response.status_code == 400, args
        assert message in html and 'name="q"' in html and 'role="alert"' in html, args


def test_empty_query_shows_the_form_with_a_hint(app, client):
    seed()
    html = client.get("/search?q=+++", headers=EN).get_data(as_text=True)
    assert 'name="q"' in html and "Type a word to search" in html
    assert "<h3>" not in html
    zh = client.get("/search").get_data(as_text=True)
    assert "搜索" in zh


def test_many_words_are_all_required_and_the_api_takes_them(app, client):
    seed()
    words = "星空 与 人类 广东 科学馆 赵海峰 兰州 大学 冰城 讲堂 天文"
    assert api_titles(client, words) == ["星空与人类"]
    assert api_titles(client, words + " 秘密") == []


def test_rebuild_and_the_migration_write_the_same_documents(app):
    """After a bulk load that bypassed the session, rebuild_all writes every document; the
    migration's frozen SQL (which fills existing databases) builds the same text."""
    seed()
    connection = db.session.connection()
    connection.execute(sa.delete(EventSearch))
    rebuild_all(connection)
    built = dict(connection.execute(documents_select()).all())
    stored = dict(connection.execute(sa.select(EventSearch.event_id, EventSearch.document)).all())
    assert stored == built and len(built) == 5
    spec = importlib.util.spec_from_file_location("migration_0011", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    insert = migration._documents_sql(connection.dialect.name == "postgresql")
    select = insert.split(" ", 5)[5]  # what follows INSERT INTO event_search (event_id, document)
    assert dict(connection.execute(sa.text(select)).all()) == built
    db.session.rollback()
