"""The directory writes (societies, venues with closures, people) answer what the OpenAPI
document says, refusals included."""

from scheduler.accounts.models import ApiToken
from scheduler.api.openapi import build_document
from scheduler.extensions import db
from scheduler.people.models import Person
from tests.conftest import assert_matches_schema
from tests.factories import make_event, make_user


def test_directory_responses_match_the_document(client):
    spec = build_document()
    row, plain = ApiToken.issue(make_user())
    db.session.add(row)
    db.session.commit()
    auth = {"Authorization": f"Bearer {plain}"}

    def call(method, path, schema, status, body=None):
        response = client.open(path, method=method, json=body, headers=auth)
        assert response.status_code == status, (path, response.get_json())
        assert_matches_schema(spec, schema, response.get_json())
        return response.get_json()

    society = {"name": "遵义市茶叶学会", "slug": "zy-tea", "kind": "city", "city": "遵义"}
    call("POST", "/api/v1/societies", "Society", 201, society)
    call("PATCH", "/api/v1/societies/zy-tea", "Society", 200, {"contact_email": "t@zy.example"})
    call("POST", "/api/v1/societies", "Refused", 409, society)
    call("GET", "/api/v1/societies", "SocietyPage", 200)
    venue = {"name": "遵义会堂", "slug": "zy-hall", "city": "遵义", "capacity": 150}
    call("POST", "/api/v1/venues", "Venue", 201, venue)
    call("POST", "/api/v1/venues", "Error", 400, {**venue, "slug": "zy-2", "capacity": 0})
    closure = call(
        "POST", "/api/v1/venues/zy-hall/closures", "Closure", 201,
        {"first_day": "2032-08-01", "last_day": "2032-08-02"},
    )  # fmt: skip
    path = f"/api/v1/venues/zy-hall/closures/{closure['id']}"
    call("PATCH", path, "Closure", 200, {"reason": "茶博会"})
    call("GET", "/api/v1/venues/zy-hall/closures", "ClosureList", 200)
    person = {"name": "黔茶专家", "slug": "qian-cha", "scarce": True, "monthly_limit": 4}
    call("POST", "/api/v1/people", "Person", 201, person)
    call("GET", "/api/v1/people/qian-cha", "Person", 200)
    call("GET", "/api/v1/people", "PersonPage", 200)
    call("GET", "/api/v1/people/nobody", "Error", 404)
    make_event(speakers=[db.session.scalar(db.select(Person))], title="茶学讲座")
    db.session.commit()
    call("DELETE", "/api/v1/people/qian-cha", "Refused", 409)
    for gone in (path, "/api/v1/venues/zy-hall", "/api/v1/societies/zy-tea"):
        assert client.delete(gone, headers=auth).status_code == 204
