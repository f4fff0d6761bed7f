"""The planner's request bodies (a run of the planner, a host application), declared once:
``load.parse_request`` and ``applications.save_application`` validate with them and the API
document is derived from them. Rows are looked up, and dates checked against the year,
after the shape is checked."""

from typing import Annotated

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from .. import directory_input as di
from ..errors import BadInput
from ..events.input import refuse_control_characters
from ..limits import MAX_PLAN_YEAR, MIN_PLAN_YEAR
from .core.types import DEFAULT_SEED, DEFAULT_TIME_LIMIT, MAX_TIME_LIMIT, MIN_TIME_LIMIT

MAX_PINS = 500
MAX_SEED = 2**31 - 1
MAX_DATES = 60
MAX_NOTE = 2000
MAX_SPEAKERS = 10
PIN_KEYS = ("series", "start", "host", "venue")


def parse_year(raw) -> int:
    if isinstance(raw, bool):
        raw = None
    try:
        year = int(str(raw).strip())
    except (TypeError, ValueError):
        raise BadInput(_("year must be a four-digit year such as 2027."), field="year") from None
    if not MIN_PLAN_YEAR <= year <= MAX_PLAN_YEAR:
        raise BadInput(
            _("year must be between %(low)s and %(high)s.", low=MIN_PLAN_YEAR, high=MAX_PLAN_YEAR),
            field="year",
        )
    return year


def parse_time_limit(raw) -> float:
    if raw in (None, ""):
        return DEFAULT_TIME_LIMIT
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = -1.0
    if isinstance(raw, bool) or not MIN_TIME_LIMIT <= value <= MAX_TIME_LIMIT:
        raise BadInput(
            _(
                "time_limit must be between %(low)s and %(high)s seconds.",
                low=int(MIN_TIME_LIMIT),
                high=int(MAX_TIME_LIMIT),
            ),
            field="time_limit",
        )
    return value


def parse_seed(raw) -> int:
    if raw in (None, ""):
        return DEFAULT_SEED
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = -1
    if isinstance(raw, bool) or not 0 <= value <= MAX_SEED:
        raise BadInput(_("seed must be a whole number from 0."), field="seed")
    return value


def _series_slugs(value, name: str) -> list[str]:
    """Series slugs, stripped, each once; [] for all active series with a target."""
    if value in (None, "", []):
        return []
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise BadInput(_("series must be a list of series slugs."), field=name)
    return list(dict.fromkeys(s.strip() for s in value if s.strip()))


def _pins(value, name: str) -> list[dict]:
    pins = value or []
    if not isinstance(pins, list) or len(pins) > MAX_PINS:
        raise BadInput(_("pins must be a list of pinned sessions."), field=name)
    for pin in pins:
        if (
            not isinstance(pin, dict)
            or set(pin) - set(PIN_KEYS)
            or not isinstance(pin.get("series"), str)
            or not all(v is None or isinstance(v, str) for v in pin.values())
        ):
            raise BadInput(
                _("A pin has series and any of start, host and venue (slugs)."), field=name
            )
    return pins


# The bounds sit on the inner type, where the document shows them (minimum, maximum).
Year = Annotated[
    Annotated[int, Field(ge=MIN_PLAN_YEAR, le=MAX_PLAN_YEAR)],
    di.checked(lambda v, _name: parse_year(v)),
]


class Pin(BaseModel):
    """Fix a session of a planned series: its start, host or venue (at least one)."""

    model_config = ConfigDict(extra="forbid")

    series: str
    start: str | None = Field(None, description="Local date-time (or date) in the year.")
    host: str | None = Field(None, description="A society's slug.")
    venue: str | None = Field(None, description="A venue's slug.")


class PlanRequest(di.Body):
    year: Year
    series: Annotated[
        list[str],
        di.checked(_series_slugs),
        Field(description="Series slugs (default: every active series with a target)."),
    ] = None
    time_limit: Annotated[
        Annotated[float, Field(ge=MIN_TIME_LIMIT, le=MAX_TIME_LIMIT)],
        di.checked(lambda v, _name: parse_time_limit(v)),
        Field(description="Seconds."),
    ] = DEFAULT_TIME_LIMIT
    seed: Annotated[
        Annotated[int, Field(ge=0, le=MAX_SEED)], di.checked(lambda v, _name: parse_seed(v))
    ] = DEFAULT_SEED
    pins: Annotated[list[Pin], di.checked(_pins), Field(max_length=MAX_PINS)] = None


# --- a host application ----------------------------------------------------------------------


def _row(value, name: str, optional: bool = False):
    """The id or slug of a row (looked up by the service)."""
    if optional and value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise BadInput(_("%(field)s is required.", field=name), field=name)
    return value


def _months(value, name: str) -> list[int]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(
        isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 12 for m in value
    ):
        raise BadInput(_("preferred_months must be a list of months from 1 to 12."), field=name)
    return sorted(set(value))


def _dates(value, name: str) -> list[str]:
    """At most MAX_DATES items, as text (the service checks each is a date in the year)."""
    if value in (None, ""):
        return []
    if not isinstance(value, list) or len(value) > MAX_DATES:
        raise BadInput(
            _("%(field)s must be a list of at most %(n)s dates.", field=name, n=MAX_DATES),
            field=name,
        )
    return [str(item) for item in value]


def _speakers(value, name: str) -> list:
    speakers = value or []
    if not isinstance(speakers, list) or len(speakers) > MAX_SPEAKERS:
        # The message's 10 is MAX_SPEAKERS.
        raise BadInput(_("speakers must be a list of at most 10 people."), field=name)
    return [_row(s, name) for s in speakers]


def _note(value, name: str) -> str:
    note = value or ""
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise BadInput(_("The note is longer than %(n)s characters.", n=MAX_NOTE), field=name)
    refuse_control_characters(note, name)
    return note.strip()


RowRef = StrictStr | StrictInt
Dates = Annotated[
    list[Annotated[str, Field(json_schema_extra={"format": "date"})]],
    di.checked(_dates),
    Field(max_length=MAX_DATES, description="Local dates (YYYY-MM-DD) in the year."),
]


class ApplicationInput(di.Body):
    """Apply to host sessions of a series in a year; applying again replaces the wishes."""

    series: Annotated[RowRef, di.checked(_row), Field(description="Id or slug.")]
    year: Year
    society: Annotated[
        RowRef | None,
        di.checked(_row, optional=True),
        Field(description="Organizers only; editors apply for their own society."),
    ] = None
    preferred_months: Annotated[list[Annotated[int, Field(ge=1, le=12)]], di.checked(_months)] = (
        None
    )
    preferred_dates: Dates = None
    unavailable_dates: Dates = None
    speakers: Annotated[list[RowRef], di.checked(_speakers), Field(max_length=MAX_SPEAKERS)] = None
    note: Annotated[str, di.checked(_note), Field(max_length=MAX_NOTE)] = None
