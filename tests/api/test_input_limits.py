"""Every request body outside the events area is one model for the check and the document:
for each limit the API document states (maxLength, maxItems, minimum, maximum, enum), the
area's own service accepts a value at the limit and refuses one beyond it, naming the field
and, for lengths, the number. Changing the limit on one side only fails here."""

from datetime import date, timedelta

import pytest

from scheduler import directory_input as di
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role
from scheduler.api.openapi import build_document
from scheduler.calendar_sync import service as calendars
from scheduler.campaigns.service import create_campaign
from scheduler.errors import BadInput, RequestError
from scheduler.extensions import db
from scheduler.people.service import create_person
from scheduler.planner.applications import save_application
from scheduler.planner.load import parse_request
from scheduler.series.service import create_series
from scheduler.societies.models import SocietyKind
from scheduler.societies.schemas import SocietyInput
from scheduler.societies.service import create_society
from scheduler.venues.service import create_closure, create_venue
from tests.factories import make_series, make_society, make_user, make_venue

# The events area's bodies have their own test (test_schemas.py); Decision is read by the
# workflow's actions.
EVENT_BODIES = {"EventInput", "ConflictCheck", "OccurrenceChange", "Decision"}
FAR_YEAR = 2033


def _dates(n: int) -> list[str]:
    return [(date(FAR_YEAR, 1, 1) + timedelta(days=d)).isoformat() for d in range(n)]


# Lists with a maximum length: n items of the right kind.
ITEMS = {
    "time_slots": lambda n: [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30)][:n],
    "speakers": lambda n: [f"zunyi-expert-{i}" for i in range(n)],
    "preferred_dates": _dates,
    "unavailable_dates": _dates,
    "pins": lambda n: [{"series": "no-such-series", "host": "zy-tea"}] * n,
}


# The values at a limit that are still refused, for another reason than the limit.
OTHER_REASONS = {
    ("SeriesInput", "cadence_rrule"): "cadence_rrule must be a repeat rule",
    ("SeriesInput", "target_min"): "The annual minimum (1000) must not be above the maximum",
    ("SeriesInput", "default_venue"): "Unknown default_venue: ",
    ("SeriesInput", "fixed_host"): "Unknown fixed_host: ",
    ("SeriesInput", "inside_campaign"): "Unknown inside_campaign: ",
    ("UserInvitation", "society"): "Unknown society: ",
    ("UserChange", "society"): "Unknown society: ",
    ("ApplicationInput", "speakers"): "Unknown speakers: ",
    ("PlanRequest", "pins"): "A pin names a series that is not planned",
}


def _text(key: str, schema: dict, n: int) -> str:
    """n characters that are a valid value of the field apart from their number."""
    pattern = schema.get("pattern", "")
    if "@" in pattern:
        return "a" * (n - len("@zunyi.example")) + "@zunyi.example"
    if key in ("url", "stream_url"):
        return "https://cal.zunyi.example/" + "a" * (n - len("https://cal.zunyi.example/"))
    if pattern:  # a slug
        return "a" * n
    return "茶" * n


def _options(prop: dict, components: dict) -> list[dict]:
    """The property's schema and the branches of its anyOf, references resolved."""
    options = []
    for option in [prop, *prop.get("anyOf", [])]:
        if "$ref" in option:
            option = components[option["$ref"].rsplit("/", 1)[1]]
        options.append(option)
    return options


def _cases(key: str, prop: dict, components: dict) -> list[tuple]:
    """(values at the limit, a value beyond it, the number the refusal names) for each limit
    the document gives the property."""
    cases = []
    for option in _options(prop, components):
        if "maxLength" in option:
            n = option["maxLength"]
            cases.append(([_text(key, option, n)], _text(key, option, n + 1), str(n)))
        for bound, step in (("maximum", 1), ("minimum", -1)):
            if bound in option:
                cases.append(([option[bound]], option[bound] + step, None))
        if "enum" in option:
            cases.append((option["enum"], "zz-none-such", None))
        if option.get("type") == "array":
            if "maxItems" in option:
                make = ITEMS[key]  # a list with a maximum needs its items here
                cases.append(([make(option["maxItems"])], make(option["maxItems"] + 1), None))
            for at, beyond, _ in _cases(key, option["items"], components):
                cases.append(([[value] for value in at], [beyond], None))
    return cases


def _keywords(schema) -> list[str]:
    if isinstance(schema, dict):
        return [f'"{k}":' for k in schema] + [w for v in schema.values() for w in _keywords(v)]
    if isinstance(schema, list):
        return [w for v in schema for w in _keywords(v)]
    return []


def _attempt(call, data: dict) -> RequestError | None:
    """What the service says to ``data`` (None: accepted); nothing it wrote is kept."""
    try:
        call(data)
    except RequestError as refused:
        return refused
    finally:
        db.session.rollback()
    return None


def _services() -> dict:
    """Each body's service, called with a valid body that the test changes one key of."""
    organizer = make_user(Role.ORGANIZER, email="organizer@zunyi.example")
    tea = make_society(slug="zy-tea", name="遵义市茶叶学会", city="遵义")
    editor = make_user(Role.EDITOR, society=tea, email="editor@zunyi.example")
    hall = make_venue(slug="zy-hall", name="遵义会堂", city="遵义", capacity=300)
    forum = make_series(slug="zy-forum", name="黔北茶学论坛", target_max=4)
    db.session.commit()

    def with_base(service, base):
        return lambda data: service({**base, **data})

    return {
        "SocietyInput": with_base(
            lambda d: create_society(d, organizer), {"name": "遵义市蚕桑学会", "kind": "city"}
        ),
        "VenueInput": with_base(
            lambda d: create_venue(d, organizer),
            {"name": "遵义线上会场", "is_online": True, "stream_url": "https://live.zy.example/1"},
        ),
        "PersonInput": with_base(lambda d: create_person(d, organizer), {"name": "黔北茶学专家"}),
        "ClosureInput": with_base(
            lambda d: create_closure(hall, d, organizer),
            {"first_day": "2033-02-01", "last_day": "2033-02-03"},
        ),
        "SeriesInput": with_base(
            lambda d: create_series(d, organizer), {"name": "遵义茶文化讲堂", "kind": "lecture"}
        ),
        "CampaignInput": with_base(
            lambda d: create_campaign(d, organizer),
            {
                "name": "遵义科技活动周",
                "kind": "science_day",
                "start_date": "2033-05-20",
                "end_date": "2033-05-26",
            },
        ),
        "UserInvitation": with_base(
            lambda d: accounts.invite_user(d, organizer),
            {"email": "new@zunyi.example", "role": "organizer"},
        ),
        "UserChange": lambda d: accounts.update_user(editor, d, organizer),
        "ApiTokenInput": lambda d: accounts.create_api_token(organizer, d["name"]),
        "ApplicationInput": with_base(
            lambda d: save_application(d, organizer),
            {"series": forum.slug, "year": FAR_YEAR, "society": tea.slug},
        ),
        "PlanRequest": with_base(parse_request, {"year": FAR_YEAR, "series": [forum.slug]}),
        "CalendarSourceInput": with_base(
            lambda d: calendars.save_source(tea, d, organizer),
            {"url": "https://cal.zunyi.example/tea.ics"},
        ),
    }


def test_every_limit_in_the_document_is_the_one_the_service_enforces(app):
    document = build_document()
    components = document["components"]["schemas"]
    bodies = {
        operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        for path in document["paths"].values()
        for operation in path.values()
        if "requestBody" in operation
    }
    services = _services()
    assert set(services) == bodies - EVENT_BODIES  # a new body needs its service here
    # A bound pydantic could not place (after a validator) would show as its own keyword,
    # which no OpenAPI reader knows.
    assert not {'"ge":', '"le":', '"max_length":'} & set(_keywords(components))
    with app.test_request_context(headers={"Accept-Language": "en"}):
        for name, call in services.items():
            checked = 0
            for key, prop in components[name]["properties"].items():
                for at_limit, beyond, number in _cases(key, prop, components):
                    over = _attempt(call, {key: beyond})
                    assert isinstance(over, BadInput), (name, key, beyond, over)
                    assert over.field == key, (name, key, over.message)
                    assert number is None or number in over.message, (name, key, over.message)
                    for value in at_limit:
                        refused = _attempt(call, {key: value})
                        if refused is not None and refused.field == key:
                            other = OTHER_REASONS.get((name, key), "(accepted)")
                            assert refused.message.startswith(other), (name, key, refused.message)
                    checked += 1
            assert checked, name  # every body states limits


# A society body with one thing wrong, the field at fault and the start of its message.
WRONG = [
    ({"name": "茶" * 201, "kind": "city"}, "name", "name is longer than 200 characters."),
    ({"name": "遵义", "kind": "city", "min_events_per_year": "1001"}, "min_events_per_year",
     "min_events_per_year must be between 0 and 1000."),
    ({"name": "遵义", "kind": "city", "active": "也许"}, "active", "active must be true or false."),
    ({"name": "遵义", "kind": "tea-house"}, "kind", "kind must be one of: provincial,"),
]  # fmt: skip


def test_a_body_gets_its_fields_message_and_a_page_its_labels(app):
    """The service's check and the directory pages' check are the same model; a page's
    message names the field's label instead of its key."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        for body, field, message in WRONG:
            with pytest.raises(BadInput) as refused:
                di.validate(SocietyInput, body)
            assert (refused.value.field, refused.value.message[: len(message)]) == (field, message)
            labelled = di.field_errors(SocietyInput, body, {field: "Label"})
            assert list(labelled) == [field]
            assert labelled[field].startswith(message.replace(field, "Label", 1))
        # What a spreadsheet cell or a form sends is read leniently, as before.
        values = di.validate(
            SocietyInput, {"name": " 遵义 ", "kind": "City association", "active": "否",
                           "min_events_per_year": "", "contact_phone": 8512345678}
        )  # fmt: skip
        assert values == {
            "name": "遵义", "kind": SocietyKind.CITY, "active": False, "min_events_per_year": 1,
            "contact_phone": "8512345678",
        }  # fmt: skip
        with pytest.raises(BadInput, match=r"Unknown fields: colour, mood\.") as refused:
            di.validate(SocietyInput, {"name": "遵义", "mood": 1, "colour": "red"})
        assert refused.value.field == "colour"
