"""The read-only JSON API: filters, pagination, the OpenAPI document, bad input."""

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from scheduler.accounts.models import Role
from scheduler.enums import EventStatus
from scheduler.extensions import db
from tests.factories import (
    fill_events,
    local,
    make_campaign,
    make_event,
    make_series,
    make_society,
    make_user,
    make_venue,
)


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def assert_matches(spec, schema_name, body):
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
    errors = list(Draft202012Validator(schema).iter_errors(body))
    assert not errors, [e.message for e in errors[:3]]


def test_openapi_document_is_valid_openapi_3_1(spec):
    validate(spec)
    assert set(spec["paths"]) >= {
        "/events",
        "/events/{id}",
        "/societies",
        "/venues",
        "/series",
        "/campaigns",
    }


def test_every_list_endpoint_conforms_to_the_document(client, spec):
    venue = make_venue(city="深圳")
    series = make_series()
    campaign = make_campaign()
    make_event(venue=venue, series=series, campaign=campaign, audiences=["youth"])
    make_event(rrule="FREQ=WEEKLY;COUNT=3")
    db.session.commit()
    for path, schema in [
        ("/api/v1/events", "EventPage"),
        ("/api/v1/societies", "SocietyPage"),
        ("/api/v1/venues", "VenuePage"),
        ("/api/v1/series", "SeriesPage"),
        ("/api/v1/campaigns", "CampaignPage"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.get_json()
        assert body["items"], path
        assert_matches(spec, schema, body)
    one = client.get(f"/api/v1/events/{body['items'][0]['id'] if False else 1}")
    assert one.status_code == 200
    assert_matches(spec, "Event", one.get_json())


def test_events_filters_combine(client):
    gz, sz = make_venue(city="广州"), make_venue(city="深圳")
    youth_gz = make_event(local(2027, 3, 1, 9), venue=gz, audiences=["youth"], title="广州青少年")
    make_event(local(2027, 3, 1, 9), venue=sz, audiences=["youth"], title="深圳青少年")
    make_event(local(2027, 3, 2, 9), venue=gz, audiences=["elderly"], title="广州老年")
    make_event(local(2027, 3, 3, 9), venue=gz, audiences=["youth"], status=EventStatus.DRAFT)
    db.session.commit()
    body = client.get("/api/v1/events?city=广州&audience=youth").get_json()
    assert [e["id"] for e in body["items"]] == [youth_gz.id]
    assert body["total"] == 1


def test_events_window_uses_occurrences_of_recurring_events(client):
    weekly = make_event(start=local(2027, 3, 1, 9), rrule="FREQ=WEEKLY;COUNT=10")
    make_event(start=local(2027, 1, 4, 9))
    db.session.commit()
    body = client.get("/api/v1/events?from=2027-04-01&to=2027-04-30").get_json()
    assert [e["id"] for e in body["items"]] == [weekly.id]
    starts = [o["start"][:10] for o in body["items"][0]["occurrences"]]
    assert starts == ["2027-04-05", "2027-04-12", "2027-04-19", "2027-04-26"]


def test_filters_by_series_society_kind_and_cohost(client):
    series = make_series(slug="lingnan")
    host, cohost = make_society(slug="host"), make_society(slug="cohost")
    in_series = make_event(series=series, host=host)
    cohosted = make_event(kind="lecture", cohosts=[cohost])
    db.session.commit()
    assert [e["id"] for e in client.get("/api/v1/events?series=lingnan").get_json()["items"]] == [
        in_series.id
    ]
    assert [e["id"] for e in client.get("/api/v1/events?society=cohost").get_json()["items"]] == [
        cohosted.id
    ]
    assert [e["id"] for e in client.get("/api/v1/events?kind=lecture").get_json()["items"]] == [
        cohosted.id
    ]


def test_pagination_walks_every_event_once(client):
    ids = [make_event(start=local(2027, 5, day, 9)).id for day in range(1, 8)]
    db.session.commit()
    seen = []
    for page in (1, 2, 3):
        body = client.get(f"/api/v1/events?per_page=3&page={page}").get_json()
        assert body["pages"] == 3 and body["total"] == 7
        seen += [e["id"] for e in body["items"]]
    assert seen == ids


def test_unpublished_events_are_hidden_from_the_public(client):
    draft = make_event(status=EventStatus.DRAFT)
    db.session.commit()
    assert client.get(f"/api/v1/events/{draft.id}").status_code == 404
    assert client.get("/api/v1/events").get_json()["total"] == 0
    assert client.get("/api/v1/events?status=draft").status_code == 400


def test_status_filter_for_signed_in_users(client, app):
    from scheduler.accounts.models import ApiToken

    own, other = make_society(), make_society()
    mine = make_event(status=EventStatus.DRAFT, host=own)
    make_event(status=EventStatus.DRAFT, host=other)
    editor = make_user(Role.EDITOR, society=own)
    organizer = make_user(Role.ORGANIZER)
    tokens = {}
    for who, user in (("editor", editor), ("organizer", organizer)):
        row, plain = ApiToken.issue(user)
        db.session.add(row)
        tokens[who] = {"Authorization": f"Bearer {plain}"}
    db.session.commit()
    as_editor = client.get("/api/v1/events?status=draft", headers=tokens["editor"]).get_json()
    assert [e["id"] for e in as_editor["items"]] == [mine.id]
    as_organizer = client.get("/api/v1/events?status=draft", headers=tokens["organizer"]).get_json()
    assert as_organizer["total"] == 2
    bad = client.get("/api/v1/events?status=draft", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 400  # an unknown token is anonymous


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("kind=party", 400, "kind"),
        ("audience=aliens", 400, "audience"),
        ("series=no-such-series", 400, "series"),
        ("society=nobody", 400, "society"),
        ("venue=nowhere", 400, "venue"),
        ("campaign=never", 400, "campaign"),
        ("from=2027-13-01", 400, "from"),
        ("from=yesterday", 400, "from"),
        ("to=2027-02-30", 400, "to"),
        ("from=1900-01-01", 400, "from"),
        ("from=2027-05-01&to=2027-04-01", 400, "from"),
        ("page=0", 400, "page"),
        ("page=abc", 400, "page"),
        ("per_page=100000", 400, "per_page"),
        ("page=99", 404, None),
    ],
)
def test_bad_input_gets_a_json_error_never_a_500(client, query, status, field):
    response = client.get(f"/api/v1/events?{query}")
    assert response.status_code == status
    body = response.get_json()
    assert body["error"] and body["message"]
    if field:
        assert body["field"] == field


def test_unknown_ids_and_paths_are_json_404(client):
    for path in ("/api/v1/events/999999", "/api/v1/nothing-here"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.get_json()["error"] == "not_found"


def test_error_messages_follow_the_requested_language(client):
    zh = client.get("/api/v1/events?kind=party", headers={"Accept-Language": "zh-CN"}).get_json()
    en = client.get("/api/v1/events?kind=party", headers={"Accept-Language": "en"}).get_json()
    assert en["message"].startswith("Unknown kind")
    assert zh["message"] != en["message"]
    assert "未知" in zh["message"]


def test_event_list_uses_a_constant_number_of_queries(client, count_queries):
    def fill(n, month):
        fill_events(n, month=month, audiences=["youth"], cohosts=[make_society()])
        db.session.commit()

    def count():
        with count_queries() as statements:
            response = client.get("/api/v1/events?from=2027-01-01&to=2027-12-31&per_page=500")
        assert response.status_code == 200
        return len(statements), response.get_json()["total"]

    fill(10, 5)
    small, total_small = count()
    fill(490, 6)
    large, total_large = count()
    assert (total_small, total_large) == (10, 500)
    assert small == large
