"""The event bodies of the API, declared once: ``events/input.py`` checks their shapes and
limits with these models, and the API document's schemas are derived from them
(``api/schemas.py``). Docstrings become the document's descriptions."""

import math
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
)

from ..enums import Audience, EventKind, EventStatus
from ..rules.policy import SEVERITY

MAX_TITLE, MAX_DESCRIPTION, MAX_URL = 200, 20_000, 500
MAX_RRULE, MAX_ZONE_NAME, MAX_REASON = 500, 64, 2000
MAX_RDATES = MAX_OVERRIDES = 500
MAX_ATTENDANCE = 1_000_000
MAX_ACTUAL_ATTENDANCE = 10_000_000  # who came, recorded when an event is completed


def _text(limit: int, description: str = ""):
    """Text that is stripped before its length is checked."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=limit),
        Field(description=description or None),
    ]


def _blank_is_none(value):
    return None if value == "" else value


def _falsy_is_none(value):
    return value or None


def flag(value):
    """A form's or JSON's yes/no; anything else is left for the strict bool to refuse."""
    if isinstance(value, bool):
        return value
    if value in ("true", "on", "1", 1):
        return True
    if value in ("false", "off", "0", 0, "", None):
        return False
    return value


def _whole_number(value):
    """A count from JSON (an int, or an integral float) or a form (ASCII digits); -1 when it
    is none, which the minimum refuses (so "²", "1e999", Infinity, NaN and true never pass)."""
    if value in (None, ""):
        return 0
    if isinstance(value, bool):
        return -1
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else -1
    if isinstance(value, str):
        value = value.strip()
        return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else -1
    return value if isinstance(value, int) else -1


Flag = Annotated[StrictBool, BeforeValidator(flag)]
# A reference to a row: its id or its slug; null or "" for none.
RowRef = Annotated[StrictInt | StrictStr | None, BeforeValidator(_blank_is_none)]
RowRefs = Annotated[list[StrictInt | StrictStr] | None, BeforeValidator(_blank_is_none)]
LocalTime = Annotated[
    StrictStr, Field(description="Local ISO 8601 date-time, or a date if all_day.")
]


class MovedOccurrence(BaseModel):
    """One moved occurrence: its new local start and end (the key is its start in the rule)."""

    start: StrictStr
    end: StrictStr


class EventInput(BaseModel):
    """An event body: POST creates, PATCH changes only the fields sent. Rows are named by id
    or slug; times are local to the event's zone; rrule needs COUNT or UNTIL."""

    model_config = ConfigDict(extra="forbid", title="EventInput")

    title: _text(MAX_TITLE) | None = None
    description: _text(MAX_DESCRIPTION) | None = None
    kind: EventKind | None = None
    series: RowRef = None
    campaign: RowRef = None
    venue: RowRef = None
    host: RowRef = None
    cohosts: RowRefs = None
    organizers: RowRefs = None
    speakers: RowRefs = None
    audiences: Annotated[list[Audience] | None, BeforeValidator(_falsy_is_none)] = None
    online_url: _text(MAX_URL, "http(s) address of the stream.") | None = None
    expected_attendance: Annotated[
        Annotated[int, Field(ge=0, le=MAX_ATTENDANCE)] | None, BeforeValidator(_whole_number)
    ] = None
    is_major: Flag = False
    all_day: Flag = False
    timezone: Annotated[
        Annotated[StrictStr, Field(max_length=MAX_ZONE_NAME)] | None,
        Field(description='IANA zone name ("Europe/Berlin"); "" is the association\'s zone.'),
    ] = None
    start: LocalTime | None = None
    end: LocalTime | None = None
    rrule: Annotated[
        Annotated[StrictStr, Field(max_length=MAX_RRULE)] | None,
        BeforeValidator(_falsy_is_none),
        Field(description="RFC 5545 RRULE with COUNT or UNTIL."),
    ] = None
    exdates: Annotated[list[StrictStr] | None, BeforeValidator(_falsy_is_none)] = None
    rdates: Annotated[
        Annotated[list[StrictStr], Field(max_length=MAX_RDATES)] | None,
        BeforeValidator(_blank_is_none),
        Field(
            description="Extra local starts (RFC 5545 RDATE): dates if all_day, else date-times."
        ),
    ] = None
    overrides: Annotated[
        Annotated[dict[StrictStr, MovedOccurrence], Field(max_length=MAX_OVERRIDES)] | None,
        BeforeValidator(_falsy_is_none),
    ] = None


class ConflictCheck(EventInput):
    """The conflict check takes an event body, or the id of an existing event plus changes."""

    model_config = ConfigDict(title="ConflictCheck")

    id: StrictInt | None = Field(None, description="An existing event, changed by the body.")


class OccurrenceChange(BaseModel):
    """Move one occurrence (start and end), cancel it, or reset it to the rule's time."""

    start: StrictStr | None = None
    end: StrictStr | None = None
    cancelled: StrictBool | None = None
    reset: StrictBool | None = None


class Decision(BaseModel):
    """The body of a status change: the reason, override to approve over errors, and the
    actual attendance when completing."""

    reason: Annotated[StrictStr, Field(max_length=MAX_REASON)] = ""
    override: StrictBool = False
    actual_attendance: Annotated[
        Annotated[int, Field(ge=0, le=MAX_ACTUAL_ATTENDANCE)] | None,
        BeforeValidator(lambda value: None if value == "" else value),
    ] = Field(None, description="complete only: the people who came.")


# --- responses ------------------------------------------------------------------------------


class Ref(BaseModel):
    id: int
    slug: str
    name: str
    city: str = ""
    is_online: bool = False


class Speaker(BaseModel):
    id: int
    slug: str
    name: str
    title: str


class Occurrence(BaseModel):
    start: str = Field(json_schema_extra={"format": "date-time"})
    end: str = Field(json_schema_extra={"format": "date-time"})
    cancelled: bool


DateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class Event(BaseModel):
    id: int
    uid: str
    title: Annotated[str, Field(max_length=MAX_TITLE)]
    description: str
    kind: EventKind
    status: EventStatus
    decision_reason: str
    start: DateTime
    end: DateTime
    all_day: bool
    timezone: Annotated[str, Field(max_length=MAX_ZONE_NAME)]
    rrule: str | None
    exdates: list[str]
    rdates: Annotated[list[str], Field(max_length=MAX_RDATES)]
    overrides: dict[str, MovedOccurrence]
    series: Ref | None
    campaign: Ref | None
    host: Ref
    cohosts: list[Ref]
    organizers: list[Ref]
    venue: Ref | None
    online_url: str | None
    speakers: list[Speaker]
    audiences: list[Audience]
    expected_attendance: Annotated[int, Field(ge=0)]
    is_major: bool
    sequence: Annotated[int, Field(ge=0)]
    occurrences: list[Occurrence]
    created_at: DateTime
    updated_at: DateTime


class ConflictingEvent(BaseModel):
    id: int
    title: str
    start: DateTime
    end: DateTime


class SuggestedVenue(BaseModel):
    id: int
    name: str


class Suggestion(BaseModel):
    start: DateTime
    end: DateTime
    venue: SuggestedVenue | None


class Finding(BaseModel):
    rule: Literal[tuple(SEVERITY)]  # type: ignore[valid-type]
    severity: Literal["error", "warning"]
    message: str
    occurrence_start: DateTime | None
    conflicts_with: ConflictingEvent | None
    suggestions: list[Suggestion]


class Findings(BaseModel):
    findings: list[Finding]


class EventWithFindings(Event):
    findings: list[Finding]


MODELS = (
    EventInput,
    ConflictCheck,
    OccurrenceChange,
    Decision,
    Event,
    EventWithFindings,
    Findings,
    Finding,
    Occurrence,
    Ref,
)
