"""One schema for input and the API document: each body is a pydantic model, the document's
components are derived from the models, and the event input is checked with the same model,
so a changed limit changes both the check and the document."""

import inspect
from typing import Annotated

import pytest
import sqlalchemy as sa
from pydantic import StringConstraints

from scheduler.accounts.models import Role
from scheduler.api import openapi
from scheduler.api.schemas import MODELS, component_schemas
from scheduler.errors import BadInput
from scheduler.events import schemas
from scheduler.events.input import check_shape, parse_event_input
from scheduler.events.models import Event
from scheduler.extensions import db
from tests.conftest import bearer
from tests.factories import make_society, make_user, make_venue


def _max_length(prop: dict) -> int:
    """The maxLength of a property, nullable (anyOf [..., null]) or not."""
    for option in [prop, *prop.get("anyOf", [])]:
        if "maxLength" in option:
            return option["maxLength"]
    raise AssertionError(f"no maxLength in {prop}")


def test_every_component_of_the_document_comes_from_a_model():
    document = openapi.build_document()
    assert document["components"]["schemas"] == component_schemas(MODELS)
    # No body's shape or length is written by hand in the document's module (only the query
    # and path parameters are, which no body model describes).
    source = inspect.getsource(openapi)
    for word in ("maxLength", '"properties"', "additionalProperties", '"required": ['):
        assert word not in source, word
    bodies = {
        operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        for path in document["paths"].values()
        for operation in path.values()
        if "requestBody" in operation
    }
    names = {model.__name__ for model in MODELS}
    assert {ref.rsplit("/", 1)[1] for ref in bodies} <= names


def test_the_title_limit_is_one_number_for_the_document_the_check_and_the_column():
    components = component_schemas()
    limit = schemas.MAX_TITLE
    assert _max_length(components["EventInput"]["properties"]["title"]) == limit
    assert _max_length(components["ConflictCheck"]["properties"]["title"]) == limit
    assert _max_length(components["Event"]["properties"]["title"]) == limit
    assert Event.__table__.c.title.type.length == limit
    assert components["EventInput"]["properties"]["expected_attendance"]["anyOf"][0] == {
        "type": "integer",
        "minimum": 0,
        "maximum": schemas.MAX_ATTENDANCE,
    }


class NarrowTitles(schemas.EventInput):
    """The event body with a shorter title: both the document and the check must follow."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=12)] | None = None


@pytest.fixture
def hosts(app):
    make_society(slug="hz-optics", name="杭州市光学学会", city="杭州")
    make_venue(slug="west-lake-hall", name="西湖报告厅", city="杭州", capacity=80)
    headers = bearer(make_user(Role.ORGANIZER))
    return {**headers, "Accept-Language": "en"}


def _body(title: str) -> dict:
    return {
        "title": title,
        "kind": "salon",
        "host": "hz-optics",
        "venue": "west-lake-hall",
        "start": "2032-11-03T19:00",
        "end": "2032-11-03T21:00",
    }


def test_a_title_over_the_models_limit_is_refused_with_that_limit(client, hosts, monkeypatch):
    limit = schemas.MAX_TITLE
    refused = client.post("/api/v1/events", json=_body("光" * (limit + 1)), headers=hosts)
    assert refused.status_code == 400
    assert refused.json["field"] == "title"
    assert refused.json["message"] == f"title is longer than {limit} characters."
    # Spaces around the title do not count: it is stripped before the limit.
    created = client.post("/api/v1/events", json=_body(f"  {'光' * limit}  "), headers=hosts)
    assert created.status_code == 201, created.json
    assert created.json["title"] == "光" * limit
    schemas.EventWithFindings.model_validate(created.json)  # the response model holds too

    # A narrower model: the document and the check both follow it.
    assert (
        _max_length(component_schemas((NarrowTitles,))["NarrowTitles"]["properties"]["title"]) == 12
    )
    monkeypatch.setattr(schemas, "EventInput", NarrowTitles)
    refused = client.post("/api/v1/events", json=_body("西湖光学沙龙第十三期讲座会"), headers=hosts)
    assert refused.status_code == 400
    assert refused.json["message"] == "title is longer than 12 characters."
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 1


# Bodies of the wrong shape and the message each gets (the field is the first key at fault).
SHAPES = [
    ({"title": 17}, "title", "title must be text."),
    ({"description": "x" * (schemas.MAX_DESCRIPTION + 1)}, "description", "longer than 20000"),
    ({"kind": "picnic"}, "kind", "kind must be one of: forum,"),
    ({"venue": 2.5}, "venue", "venue must be an id or a slug."),
    ({"cohosts": "hz-optics"}, "cohosts", "cohosts must be a list."),
    ({"speakers": [{"id": 1}]}, "speakers", "must be a list of ids or slugs."),
    ({"audiences": ["tourists"]}, "audiences", "audiences must be among: public,"),
    ({"expected_attendance": schemas.MAX_ATTENDANCE + 1}, "expected_attendance", "whole"),
    ({"expected_attendance": "3e2"}, "expected_attendance", "whole number from 0"),
    ({"is_major": "perhaps"}, "is_major", "is_major must be true or false."),
    ({"timezone": ["Asia/Tokyo"]}, "timezone", "Unknown time zone"),
    ({"rrule": "F" * (schemas.MAX_RRULE + 1)}, "rrule", "not a valid recurrence rule"),
    ({"exdates": "2032-11-10"}, "exdates", "exdates must be a list"),
    ({"rdates": ["2032-11-10"] * (schemas.MAX_RDATES + 1)}, "rdates", "rdates must be a list"),
    ({"overrides": {"2032-11-10T19:00": {"start": "x"}}}, "overrides", "overrides must map"),
    ({"title": "ok", "colour": "red", "mood": 1}, "colour", "Unknown field: colour, mood."),
]


def test_shapes_and_limits_come_back_as_the_fields_messages(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        for body, field, message in SHAPES:
            with pytest.raises(BadInput) as refused:
                check_shape(body)
            assert (refused.value.field, message in refused.value.message) == (field, True), body
        # What a form sends passes the shape check as it always did.
        shaped = check_shape(
            {"all_day": "on", "is_major": "", "expected_attendance": " 40 ", "cohosts": ""}
        )
        assert (shaped.all_day, shaped.is_major, shaped.expected_attendance) == (True, False, 40)
        # Any JSON value in any field is either shaped or a BadInput, never another error.
        for field in schemas.EventInput.model_fields:
            for odd in (None, "", 0, -1, 1.5, True, [], [None], {}, {"a": None}, "x" * 600):
                try:
                    check_shape({field: odd})
                except BadInput as refused:
                    assert refused.field == field
        with pytest.raises(BadInput, match="must be a JSON object"):
            parse_event_input(["title"])
