"""The API document's component schemas, derived from pydantic models that declare each body
once. The events area's bodies live in ``events/schemas.py`` (input.py validates with them);
the others are declared here, with their areas' limits, for the document."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, create_model
from pydantic.json_schema import models_json_schema

from ..calendar_sync.models import MAX_URL as MAX_SOURCE_URL
from ..campaigns.models import CampaignKind
from ..enums import EventKind
from ..events import schemas as events
from ..events.schemas import DateTime
from ..limits import MAX_PLAN_YEAR, MIN_PLAN_YEAR
from ..planner.applications import MAX_NOTE
from ..planner.core.types import DEFAULT_SEED, DEFAULT_TIME_LIMIT, MAX_TIME_LIMIT, MIN_TIME_LIMIT
from ..societies.models import SocietyKind

REF_TEMPLATE = "#/components/schemas/{model}"
MAX_USER_NAME, MAX_EMAIL = 120, 200  # accounts/service.py and accounts/models.py say the same

Count = Annotated[int, Field(ge=0)]
Share = Annotated[float, Field(ge=0, le=1)] | None
Date = Annotated[str, Field(json_schema_extra={"format": "date"})]
Year = Annotated[int, Field(ge=MIN_PLAN_YEAR, le=MAX_PLAN_YEAR)]
Month = Annotated[int, Field(ge=1, le=12)]
Text = str | None
# Directory writes take numbers, booleans and lists also as text (a form sends the same).
TextOrNumber = str | int | float | None
ListOrText = list[Any] | str | None
BoolOrText = bool | str | int | None


class Closed(BaseModel):
    """A request body: fields not declared here are refused."""

    model_config = ConfigDict(extra="forbid")


def _page(name: str, item: type[BaseModel]) -> type[BaseModel]:
    """``{items, page, per_page, total, pages}`` of one kind of item."""
    return create_model(
        name,
        items=(list[item], ...),
        page=(Annotated[int, Field(ge=1)], ...),
        per_page=(Annotated[int, Field(ge=1)], ...),
        total=(Count, ...),
        pages=(Annotated[int, Field(ge=1)], ...),
    )


def _list(name: str, item: type[BaseModel]) -> type[BaseModel]:
    return create_model(name, items=(list[item], ...))


# --- errors ---------------------------------------------------------------------------------


class Error(BaseModel):
    """Every error: a code, a message in the caller's language, and the field at fault."""

    error: str
    message: str
    field: str | None = None


class Refused(Error):
    """A refusal in the current state or by conflicts, with the findings that refused it."""

    findings: list[events.Finding] = []


# --- directory: societies, venues, people, series, campaigns --------------------------------


class Society(BaseModel):
    id: int
    slug: str
    name: str
    short_name: str
    kind: SocietyKind
    discipline: str
    city: str
    active: bool
    min_events_per_year: Count = 0
    contact_name: str = Field("", description="Organizers only.")
    contact_email: str = Field("", description="Organizers only.")
    contact_phone: str = Field("", description="Organizers only.")


class Venue(BaseModel):
    id: int
    slug: str
    name: str
    address: str
    city: str
    capacity: Count
    latitude: float | None
    longitude: float | None
    buffer_minutes: Count
    is_online: bool
    stream_url: str | None
    active: bool = True


class Person(BaseModel):
    id: int
    slug: str
    name: str
    title: str
    affiliation: str
    scarce: bool
    monthly_limit: int | None = Field(None, description="Organizers only.")
    active: bool = Field(True, description="Organizers only.")


class Series(BaseModel):
    id: int
    slug: str
    name: str
    kind: EventKind
    description: str
    cadence_rrule: str | None
    target_min: Count
    target_max: Count
    max_per_host: Annotated[int, Field(ge=1)]
    preferred_months: list[Month]
    preferred_weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        description="0 = Monday … 6 = Sunday."
    )
    duration_minutes: Annotated[int, Field(ge=1)]
    default_start_time: Annotated[str, Field(pattern="^[0-2][0-9]:[0-5][0-9]$")]
    min_spacing_days: Count
    expected_attendance: Count
    avoid_holidays: bool
    avoid_weekends: bool
    color: Annotated[str, Field(pattern="^#[0-9a-fA-F]{6}$")]
    active: bool
    default_venue_id: int | None
    default_venue: str | None
    host_mode: Literal["applications", "fixed"]
    fixed_host: str | None
    time_slots: list[str]
    city: str
    inside_campaign: str | None
    at_launch: bool
    avoid_campaigns: list[CampaignKind]


class Campaign(BaseModel):
    id: int
    slug: str
    name: str
    kind: CampaignKind
    theme: str
    start_date: Date
    end_date: Date
    launch_at: DateTime | None
    participation_target: float | None
    description: str
    event_kinds: list[EventKind]


class SocietyInput(Closed):
    """A new society needs name and kind; a change sends only what changes. Numbers and
    booleans may also come as text; the slug is made from the name when absent."""

    name: str = None
    slug: str = None
    short_name: Text = None
    kind: str = Field(None, description=", ".join(SocietyKind.values()))
    discipline: Text = None
    city: Text = None
    contact_name: Text = None
    contact_email: Text = None
    contact_phone: Text = None
    min_events_per_year: TextOrNumber = None
    active: BoolOrText = None


class VenueInput(Closed):
    """A hall needs a capacity of at least 1; an online venue a stream URL (http or https).
    Latitude and longitude come together or not at all."""

    name: str = None
    slug: str = None
    address: Text = None
    city: Text = None
    capacity: TextOrNumber = None
    latitude: TextOrNumber = None
    longitude: TextOrNumber = None
    buffer_minutes: TextOrNumber = Field(None, description="0..1440")
    is_online: BoolOrText = None
    stream_url: Text = None
    active: BoolOrText = Field(
        None,
        description="Deactivating is refused (409) while future submitted or approved events "
        "use the venue.",
    )


class PersonInput(Closed):
    """A scarce expert with a monthly limit makes the conflict check warn when booked more
    often in one month."""

    name: str = None
    slug: str = None
    title: Text = None
    affiliation: Text = None
    scarce: BoolOrText = None
    monthly_limit: TextOrNumber = Field(None, description="1..100, or null for none.")
    active: BoolOrText = None


class Closure(BaseModel):
    id: int
    venue: str
    first_day: Date
    last_day: Date
    reason: str


class ClosureInput(Closed):
    """Local dates, both included. Refused (409) over future submitted or approved events in
    the venue."""

    first_day: Date = None
    last_day: Date = None
    reason: Text = None


class SeriesInput(Closed):
    """A new series needs name and kind; a change sends only what changes. Numbers, booleans
    and lists may also come as text (lists comma-separated). default_venue, fixed_host and
    inside_campaign are slugs (null or '' for none)."""

    name: str = None
    slug: str = None
    kind: str = Field(None, description="An event kind: " + ", ".join(EventKind.values()))
    description: str = None
    cadence_rrule: str | None = Field(
        None,
        description="RFC 5545 RRULE without COUNT/UNTIL, e.g. FREQ=WEEKLY;INTERVAL=2;BYDAY=TH.",
    )
    target_min: TextOrNumber = None
    target_max: TextOrNumber = None
    max_per_host: TextOrNumber = None
    min_spacing_days: TextOrNumber = None
    duration_minutes: TextOrNumber = None
    default_start_time: str = Field(None, description="HH:MM, local.")
    expected_attendance: TextOrNumber = None
    preferred_weekdays: ListOrText = Field(None, description="0..6 or MO..SU.")
    preferred_months: ListOrText = Field(None, description="1..12.")
    default_venue: Text = None
    avoid_holidays: BoolOrText = None
    avoid_weekends: BoolOrText = None
    color: str = Field(None, description="#RRGGBB")
    active: BoolOrText = None
    host_mode: str = Field(None, description="applications | fixed")
    fixed_host: Text = None
    time_slots: ListOrText = Field(None, description="Local start times, HH:MM.")
    city: Text = None
    inside_campaign: Text = None
    at_launch: BoolOrText = None
    avoid_campaigns: ListOrText = Field(None, description="Campaign kinds.")


class CampaignInput(Closed):
    """A new campaign needs name, kind, start_date and end_date; a change sends only what
    changes. launch_at is a local date-time inside the window; participation_target a share
    0..1 or a percentage such as '60%'."""

    name: str = None
    slug: str = None
    kind: str = Field(None, description="A campaign kind: " + ", ".join(CampaignKind.values()))
    theme: str = None
    description: str = None
    start_date: Date = None
    end_date: Date = None
    launch_at: Text = None
    participation_target: TextOrNumber = None
    event_kinds: ListOrText = Field(None, description="Event kinds (empty: any).")


# --- quotas -----------------------------------------------------------------------------------


class Named(BaseModel):
    slug: str
    name: str


class HostSessions(Named):
    sessions: Count


class MonthPace(BaseModel):
    month: Month
    held: Count
    approved: Count
    planned: Count
    cumulative: Count
    even_pace: Annotated[float, Field(ge=0)]


class NeverHosted(BaseModel):
    total: Count
    first: list[Named]


class SeriesQuota(BaseModel):
    """Sessions (occurrences) of a series starting in the year. held: approved and ended, or
    completed; approved: approved or completed; planned: draft, submitted, changes requested
    or approved and not yet ended; projected = held + planned. Host lists: organizers only."""

    slug: str
    name: str
    kind: EventKind
    active: bool
    target_min: Count
    target_max: Count
    max_per_host: Annotated[int, Field(ge=1)]
    held: Count
    approved: Count
    planned: Count
    projected: Count
    status: Literal["no_target", "over_maximum", "met", "on_track", "short"]
    pace_target: Count
    months: Annotated[list[MonthPace], Field(min_length=12, max_length=12)]
    hosts: list[HostSessions] = []
    hosts_last_year: list[HostSessions] = []
    waiting_since_last_year: list[Named] = []
    never_hosted: NeverHosted | None = None


CountsByKind = create_model("CountsByKind", **dict.fromkeys(EventKind.values(), (Count, ...)))


class Allowance(BaseModel):
    series: str
    max_per_host: Annotated[int, Field(ge=1)]
    booked: Count
    remaining: Count


class SocietyFigures(BaseModel):
    slug: str
    name: str
    kind: SocietyKind
    city: str
    active: bool
    min_events_per_year: Count
    hosted: Count
    meets_minimum: bool
    held: Count
    planned: Count
    hosted_by_kind: CountsByKind
    cohosted: Count
    cohosted_by_kind: CountsByKind
    major_filed_on_time: Count
    major_filed_late: Count
    major_not_filed: Count
    cancelled: Count
    attendance: Count
    attendance_events: Count
    last_held: DateTime | None
    dormant: bool
    allowances: list[Allowance] = []


class ParticipationByKind(BaseModel):
    kind: SocietyKind
    participating: Count
    active: Count
    share: Share


class ParticipationByCity(BaseModel):
    city: str
    participating: Count
    active: Count
    share: Share


class CampaignParticipation(BaseModel):
    slug: str
    name: str
    start_date: Date
    end_date: Date
    participation_target: Share
    participating: Count
    active: Count
    share: Share
    target_met: bool | None
    by_kind: list[ParticipationByKind]
    by_city: list[ParticipationByCity]


class Quotas(BaseModel):
    year: Year
    as_of: DateTime
    scope: Literal["all", "society"]
    series: list[SeriesQuota]
    societies: list[SocietyFigures]
    campaigns: list[CampaignParticipation]


# --- the year planner ---------------------------------------------------------------------

PlanStatus = Literal["draft", "accepted", "undone"]
SolverStatus = Literal["optimal", "feasible", "infeasible", "unknown"]
Dates = list[Date]


class Pin(Closed):
    series: str
    start: str = Field(None, description="Local date-time (or date) in the year.")
    host: str = None
    venue: str = None


class PlanRequest(Closed):
    year: Year
    series: list[str] = Field(
        None, description="Series slugs (default: every active series with a target)."
    )
    time_limit: Annotated[float, Field(ge=MIN_TIME_LIMIT, le=MAX_TIME_LIMIT)] = DEFAULT_TIME_LIMIT
    seed: Annotated[int, Field(ge=0)] = DEFAULT_SEED
    pins: list[Pin] = None


class PlanSummary(BaseModel):
    id: int
    year: int
    series: list[str]
    status: PlanStatus
    solver_status: SolverStatus
    objective: int | None
    best_bound: float | None
    gap: float | None
    created_at: DateTime
    accepted_at: DateTime | None
    undone_at: DateTime | None


class Pinned(BaseModel):
    date: bool
    host: bool
    venue: bool


class PlanSession(BaseModel):
    series: str
    position: Annotated[int, Field(ge=1)]
    start: DateTime
    end: DateTime
    venue: Named
    host: Named
    change: Literal["new", "kept", "moved"]
    pinned: Pinned
    explanation: str
    event_id: int | None


class Plan(PlanSummary):
    time_limit: float
    seed: int
    wall_seconds: float
    stopped_by: str | None
    holidays_official: bool
    score: dict[str, int]
    explanation: list[str]
    notes: list[str]
    not_planned: list[str] = Field(description="Series a partial plan leaves out, each with why.")
    conflicts: list[dict[str, Any]]
    pins: list[Pin]
    sessions: list[PlanSession]


class ApplicationInput(Closed):
    series: StrictStr | StrictInt
    year: Year
    society: StrictStr | StrictInt = Field(
        None, description="Organizers only; editors apply for their own society."
    )
    preferred_months: list[Month] = None
    preferred_dates: Dates = None
    unavailable_dates: Dates = None
    speakers: list[StrictStr | StrictInt] = None
    note: Annotated[str, Field(max_length=MAX_NOTE)] = None


class Application(BaseModel):
    id: int
    series: str
    society: str
    year: int
    preferred_months: list[int]
    preferred_dates: Dates
    unavailable_dates: Dates
    speakers: list[StrictStr | StrictInt]
    note: str


# --- users and API tokens ---------------------------------------------------------------------

Role = Literal["organizer", "editor"]
Locale = Literal["zh_CN", "en", ""]


class User(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    society: str | None
    locale: Literal["zh_CN", "en"] | None
    active: bool
    state: Literal["active", "invited", "deactivated"]
    created_at: DateTime


class UserInvitation(Closed):
    email: Annotated[str, Field(max_length=MAX_EMAIL)]
    role: Role
    society: str | None = Field(None, description="Slug; editors need one.")
    name: Annotated[str, Field(max_length=MAX_USER_NAME)] = None
    locale: Locale = None


class UserChange(Closed):
    role: Role = None
    society: str | None = None
    name: Annotated[str, Field(max_length=MAX_USER_NAME)] = None
    locale: Locale = None
    active: bool = None


class ApiToken(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: DateTime
    last_used_at: DateTime | None
    revoked: bool


class NewApiToken(BaseModel):
    id: int
    name: str
    prefix: str
    token: str = Field(description="The bearer token; shown only here.")
    created_at: DateTime
    last_used_at: None
    revoked: bool


class ApiTokenInput(Closed):
    name: Annotated[str, Field(max_length=MAX_USER_NAME)] = None


# --- a society's synced calendar --------------------------------------------------------------

SyncOutcome = Literal["synced", "not_modified", "failed"]


class SyncItem(BaseModel):
    uid: str
    title: str
    outcome: Literal["created", "updated", "unchanged", "skipped", "withdrawn", "cancelled", "kept"]
    reason: str
    event_id: int | None
    line: int = None


class SyncReport(BaseModel):
    outcome: SyncOutcome
    error: str
    counts: dict[str, int]
    items: list[SyncItem]
    notes: list[str]
    removed: list[SyncItem]
    paused: bool


class CalendarSourceInput(BaseModel):
    url: Annotated[str, Field(max_length=MAX_SOURCE_URL, description="http(s) or webcal")] = None
    mode: Literal["draft", "submit"] = None
    active: bool = None


class CalendarSource(BaseModel):
    society: str
    url: str
    mode: Literal["draft", "submit"]
    active: bool
    last_checked_at: DateTime | None
    last_success_at: DateTime | None
    last_outcome: SyncOutcome | None
    failures: Count
    last_report: SyncReport | None


MODELS: tuple[type[BaseModel], ...] = (
    *events.MODELS,
    Error, Refused,
    Society, Venue, Person, Series, Campaign, Closure,
    SocietyInput, VenueInput, PersonInput, ClosureInput, SeriesInput, CampaignInput,
    _page("EventPage", events.Event), _page("SocietyPage", Society), _page("VenuePage", Venue),
    _page("SeriesPage", Series), _page("CampaignPage", Campaign), _page("PersonPage", Person),
    _list("ClosureList", Closure),
    Quotas, SeriesQuota, SocietyFigures, CampaignParticipation,
    PlanRequest, PlanSummary, PlanSession, Plan, _list("PlanList", PlanSummary),
    ApplicationInput, Application, _list("ApplicationList", Application),
    User, _page("UserPage", User), UserInvitation, UserChange,
    ApiToken, NewApiToken, _list("ApiTokenList", ApiToken), ApiTokenInput,
    CalendarSourceInput, CalendarSource,
)  # fmt: skip


def component_schemas(models=MODELS) -> dict:
    """{name: JSON Schema} of the models and of everything they refer to."""
    pairs = [(model, "validation") for model in models]
    _, top = models_json_schema(pairs, ref_template=REF_TEMPLATE)
    schemas = top.get("$defs", {})
    for schema in schemas.values():
        for prop in schema.get("properties", {}).values():
            if "default" in prop and prop["default"] is None:
                del prop["default"]  # "absent", not a null the type may not allow
    return schemas
