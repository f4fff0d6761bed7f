"""The API document's component schemas, derived from pydantic models that declare each body
once. The request bodies live with their areas (``events/schemas.py``,
``societies/schemas.py``, ... ``calendar_sync/schemas.py``), whose services validate with
them; the response bodies are declared here."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictInt, StrictStr, create_model
from pydantic.json_schema import models_json_schema

from ..accounts.schemas import ApiTokenInput, UserChange, UserInvitation
from ..calendar_sync.schemas import CalendarSourceInput
from ..campaigns.models import CampaignKind
from ..campaigns.schemas import CampaignInput
from ..enums import EventKind
from ..events import schemas as events
from ..events.schemas import DateTime
from ..limits import MAX_PLAN_YEAR, MIN_PLAN_YEAR
from ..people.schemas import PersonInput
from ..planner.schemas import ApplicationInput, Pin, PlanRequest
from ..series.schemas import SeriesInput
from ..societies.models import SocietyKind
from ..societies.schemas import SocietyInput
from ..venues.schemas import ClosureInput, VenueInput

REF_TEMPLATE = "#/components/schemas/{model}"

Count = Annotated[int, Field(ge=0)]
Share = Annotated[float, Field(ge=0, le=1)] | None
Date = Annotated[str, Field(json_schema_extra={"format": "date"})]
Year = Annotated[int, Field(ge=MIN_PLAN_YEAR, le=MAX_PLAN_YEAR)]
Month = Annotated[int, Field(ge=1, le=12)]


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


class Closure(BaseModel):
    id: int
    venue: str
    first_day: Date
    last_day: Date
    reason: str


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
