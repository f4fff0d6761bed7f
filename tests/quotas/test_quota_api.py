"""GET /api/v1/quotas: who sees what, the OpenAPI document, bad input, constant queries."""

import pytest
from openapi_spec_validator import validate

from scheduler.accounts.models import Role
from scheduler.extensions import db
from tests.conftest import assert_matches_schema, bearer, sign_in
from tests.factories import fill_events, make_society, make_user
from tests.quotas.world import build_world, freeze


@pytest.fixture
def world(app, monkeypatch):
    freeze(monkeypatch)
    return build_world()


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def by_slug(items: list) -> dict:
    return {item["slug"]: item for item in items}


def test_the_document_describes_the_endpoint(spec):
    validate(spec)
    operation = spec["paths"]["/quotas"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"year", "series", "society"}
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404"}


def test_anonymous_callers_get_401(client, world):
    response = client.get("/api/v1/quotas?year=2027")
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


def test_organizers_see_everything(client, world, spec):
    response = client.get("/api/v1/quotas?year=2027", headers=bearer(world.organizer))
    assert response.status_code == 200
    body = response.get_json()
    assert_matches_schema(spec, "Quotas", body)
    assert body["scope"] == "all" and body["year"] == 2027
    lingnan = by_slug(body["series"])["lingnan"]
    assert (lingnan["held"], lingnan["planned"], lingnan["status"]) == (2, 0, "short")
    assert [m["cumulative"] for m in lingnan["months"]][4] == 2
    assert [h["slug"] for h in lingnan["waiting_since_last_year"]] == ["scut-cast"]
    societies = by_slug(body["societies"])
    assert set(societies) == {"gd-physics", "sz-cast", "scut-cast", "sleepy"}
    sz = societies["sz-cast"]
    assert sz["hosted_by_kind"]["lecture"] == 3 and sz["major_filed_late"] == 1
    assert societies["sleepy"]["dormant"] is True
    [month] = body["campaigns"]
    assert (month["participating"], month["active"], month["target_met"]) == (2, 4, True)


def test_editors_see_their_own_society_only(client, world, spec):
    headers = bearer(world.sz_editor)
    body = client.get("/api/v1/quotas?year=2027", headers=headers).get_json()
    assert_matches_schema(spec, "Quotas", body)
    assert body["scope"] == "society"
    assert [s["slug"] for s in body["societies"]] == ["sz-cast"]
    [allowance] = body["societies"][0]["allowances"]
    assert (allowance["series"], allowance["booked"], allowance["remaining"]) == ("lingnan", 1, 0)
    assert body["campaigns"] == []
    assert "hosts" not in body["series"][0]  # other societies' rotation is internal
    own = client.get("/api/v1/quotas?year=2027&society=sz-cast", headers=headers)
    assert own.status_code == 200
    other = client.get("/api/v1/quotas?year=2027&society=gd-physics", headers=headers)
    assert other.status_code == 403
    assert other.get_json()["error"] == "forbidden"


def test_a_signed_in_session_works_too(client, world):
    sign_in(client, world.phys_editor.email)
    body = client.get("/api/v1/quotas?year=2027").get_json()
    assert [s["slug"] for s in body["societies"]] == ["gd-physics"]


def test_organizers_may_ask_for_one_society_and_one_series(client, world, spec):
    headers = bearer(world.organizer)
    body = client.get(
        "/api/v1/quotas?year=2027&society=scut-cast&series=lingnan", headers=headers
    ).get_json()
    assert_matches_schema(spec, "Quotas", body)
    assert body["scope"] == "society"
    [scut] = body["societies"]
    assert (scut["cohosted"], scut["cancelled"], scut["hosted"]) == (1, 1, 0)
    assert [s["slug"] for s in body["series"]] == ["lingnan"]


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("year=next", 400, "year"),
        ("year=1999", 400, "year"),
        ("year=2101", 400, "year"),
        ("year=２０２７", 400, "year"),  # full-width digits
        ("series=nope", 404, "series"),
        ("society=nobody", 404, "society"),
    ],
)
def test_bad_input_is_a_json_error(client, world, query, status, field):
    response = client.get(f"/api/v1/quotas?{query}", headers=bearer(world.organizer))
    assert response.status_code == status
    body = response.get_json()
    assert body["message"] and body["field"] == field


def test_the_api_uses_a_constant_number_of_queries(client, count_queries, monkeypatch):
    freeze(monkeypatch)
    headers = bearer(make_user(Role.ORGANIZER))

    def fill(n, month):
        fill_events(n, month=month, cohosts=[make_society()])
        db.session.commit()

    def count():
        with count_queries() as statements:
            response = client.get("/api/v1/quotas?year=2027", headers=headers)
        assert response.status_code == 200
        return len(statements), sum(s["projected"] for s in response.get_json()["series"])

    fill(10, 5)
    count()  # the token's first use is recorded (a write), once a minute
    small, total_small = count()
    fill(490, 6)
    large, total_large = count()
    assert (total_small, total_large) == (10, 500)
    assert small == large, (small, large)
