"""The shell's first half: read the planner's input from the database into plain values.

``load_request`` validates what a page, the API or the CLI asked for (clear BadInput
messages: unknown slugs, a bad year or time limit, bad pins); ``load_instance`` reads the
year's calendar (a fixed number of queries whatever the number of events): every approved
or submitted occurrence busies its venue (with the buffer), host and speakers; accepted
sessions of earlier plans become incumbents that re-planning moves as little as possible.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import directory_input as di
from .. import rules
from ..campaigns.models import Campaign
from ..enums import SLOT_HOLDING_STATUSES, EventStatus
from ..errors import BadInput
from ..events.facts import (
    OCCURRENCE_COLUMNS,
    booking,
    campaign_facts,
    series_facts,
    venue_facts,
)
from ..events.models import Event, Occurrence, event_speakers
from ..extensions import db
from ..holidays.service import year_holidays
from ..people.models import Person
from ..quotas import service as quotas
from ..series.models import HostMode, Series
from ..societies.models import Society
from ..timeutil import local_day_range, local_zone
from ..types import utcnow
from ..venues.models import Venue
from .core.types import (
    DEFAULT_SEED,
    DEFAULT_TIME_LIMIT,
    ApplicationInput,
    Calendar,
    HostInput,
    Incumbent,
    Instance,
    Pin,
    SpeakerInput,
)
from .models import HostApplication, Plan, PlanSession, PlanStatus, SeriesPlanning, VenueClosure
from .schemas import PlanRequest

_BYDAY = re.compile(r"BYDAY=([A-Z,0-9+-]+)")
_WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
_YEAR_SUFFIX = re.compile(r"-?\d{4}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass
class Request:
    """A validated request to plan."""

    year: int
    series: list[Series]
    time_limit: float = DEFAULT_TIME_LIMIT
    seed: int = DEFAULT_SEED
    pins: list[dict] = field(default_factory=list)  # as given, validated (slugs, local ISO)


@dataclass
class Loaded:
    instance: Instance
    bookings: list[rules.Booking]  # the calendar, for the conflict engine's re-check
    names: dict  # ("series"|"venue"|"host", id) -> name


# --- the request ----------------------------------------------------------------------------


def find_series(slugs: list[str]) -> list[Series]:
    """The series asked for by slug (all active series with a target when none is given)."""
    if not slugs:
        found = db.session.scalars(
            sa.select(Series)
            .where(Series.active.is_(True), Series.target_max > 0)
            .order_by(Series.id)
        ).all()
        if not found:
            raise BadInput(_("There is no active series to plan."), field="series")
        return list(found)
    rows = {s.slug: s for s in db.session.scalars(sa.select(Series).where(Series.slug.in_(slugs)))}
    unknown = [s for s in slugs if s not in rows]
    if unknown:
        raise BadInput(_("Unknown series: %(slugs)s.", slugs=", ".join(unknown)), field="series")
    return [rows[s] for s in slugs]


def parse_request(body: dict) -> Request:
    """Validate a run request (its shape by schemas.PlanRequest): the series looked up, each
    pin checked against them and the year."""
    values = di.validate(PlanRequest, body)
    year = values["year"]
    series = find_series(values.get("series"))
    request = Request(
        year=year,
        series=series,
        time_limit=values.get("time_limit", DEFAULT_TIME_LIMIT),
        seed=values.get("seed", DEFAULT_SEED),
    )
    slugs = {s.slug for s in series}
    for pin in values.get("pins") or []:
        request.pins.append(_check_pin(pin.model_dump(exclude_none=True), slugs, year))
    return request


def _check_pin(pin: dict, slugs: set, year: int) -> dict:
    """A pin of the right shape (schemas.Pin) against the planned series and the year."""
    if pin.get("series") not in slugs:
        raise BadInput(
            _("A pin names a series that is not planned: %(slug)s.", slug=pin.get("series")),
            field="pins",
        )
    if not any(pin.get(k) for k in ("start", "host", "venue")):
        raise BadInput(_("A pin must fix a start, a host or a venue."), field="pins")
    out = {"series": pin["series"]}
    start = pin.get("start")
    if start:
        try:
            moment = datetime.fromisoformat(str(start))
        except ValueError:
            moment = None
        if moment is None or moment.year != year:
            raise BadInput(
                _("A pinned start must be a local date-time in %(year)s.", year=year),
                field="pins",
            )
        out["start"] = str(start)[:16]
    for name, model in (("host", Society), ("venue", Venue)):
        value = pin.get(name)
        if value:
            if db.session.scalar(sa.select(model.id).where(model.slug == value)) is None:
                raise BadInput(
                    _("Unknown %(field)s: %(value)s.", field=name, value=value), field="pins"
                )
            out[name] = value
    return out


# --- the instance ---------------------------------------------------------------------------


def _weekdays(series: Series) -> frozenset:
    """0=Monday..6=Sunday: the series' preferred weekdays, else its cadence's BYDAY."""
    days = [d for d in (series.preferred_weekdays or []) if isinstance(d, int) and 0 <= d <= 6]
    if days:
        return frozenset(days)
    match = _BYDAY.search((series.cadence_rrule or "").upper())
    if match:
        found = {_WEEKDAYS[p[-2:]] for p in match.group(1).split(",") if p[-2:] in _WEEKDAYS}
        return frozenset(found)
    return frozenset()


def _slots(series: Series, planning: SeriesPlanning | None) -> tuple[time, ...]:
    raw = (planning.time_slots if planning else None) or [series.default_start_time or "14:30"]
    out = sorted({time.fromisoformat(t) for t in raw if isinstance(t, str) and _TIME.match(t)})
    return tuple(out) or (time(14, 30),)


def _dates(values) -> frozenset:
    out = set()
    for value in values or []:
        try:
            out.add(date.fromisoformat(str(value)[:10]))
        except ValueError:
            continue
    return frozenset(out)


def campaign_in_year(configured: Campaign, year: int, campaigns: list[Campaign]):
    """The configured campaign if it touches the year, else the year's campaign of the same
    kind and slug stem (academic-month-2027 -> academic-month-2028)."""
    if configured in campaigns:
        return configured
    stem = _YEAR_SUFFIX.sub("", configured.slug)
    return next(
        (
            c
            for c in campaigns
            if c.kind == configured.kind and _YEAR_SUFFIX.sub("", c.slug) == stem
        ),
        None,
    )


def _holding(first: datetime, last: datetime):
    """Slot-holding, live occurrences overlapping [first, last) joined with their event."""
    return (
        sa.select()
        .select_from(Occurrence)
        .join(Event, Event.id == Occurrence.event_id)
        .where(
            Occurrence.start_at < last,
            Occurrence.blocked_until > first,
            Occurrence.holds_slot.is_(True),
            Occurrence.cancelled.is_(False),
            Event.status.in_(SLOT_HOLDING_STATUSES),
        )
    )


def _drafts(series_ids: list[int], first: datetime, last: datetime):
    """(series id, host id, span) of the series' drafts (also those sent back for changes)
    starting in [first, last): not yet on the calendar, yet they count toward the series'
    maximum and spacing, so that a plan and its drafts never exceed the maximum."""
    rows = db.session.execute(
        sa.select(Event.series_id, Event.host_id, Event.start_at, Event.end_at).where(
            Event.series_id.in_(series_ids),
            Event.status.in_((EventStatus.DRAFT, EventStatus.CHANGES_REQUESTED)),
            Event.start_at >= first,
            Event.start_at < last,
        )
    )
    return [(r.series_id, r.host_id, (r.start_at, r.end_at)) for r in rows]


def incumbents_of(year: int, series_ids: list[int]) -> list[tuple[PlanSession, Event]]:
    """Sessions of accepted plans still on the calendar in the year: (session, event)."""
    first, last = local_day_range(date(year, 1, 1), date(year, 12, 31))
    rows = db.session.execute(
        sa.select(PlanSession, Event)
        .join(Plan, Plan.id == PlanSession.plan_id)
        .join(Event, Event.id == PlanSession.event_id)
        .where(
            Plan.status == PlanStatus.ACCEPTED,
            Plan.year == year,
            PlanSession.series_id.in_(series_ids),
            Event.status.in_(SLOT_HOLDING_STATUSES),
            Event.start_at >= first,
            Event.start_at < last,
        )
        .order_by(Event.start_at, Event.id)
    ).all()
    seen, out = set(), []
    for session, event in rows:  # a later plan may have taken over an event
        if event.id not in seen:
            seen.add(event.id)
            out.append((session, event))
    return out


@dataclass
class _Busy:
    """What the year's calendar (less the sessions being re-planned) already busies."""

    venue: dict = field(default_factory=lambda: defaultdict(list))
    host: dict = field(default_factory=lambda: defaultdict(list))
    speaker: dict = field(default_factory=lambda: defaultdict(list))
    series: dict = field(default_factory=lambda: defaultdict(list))  # the planned series only
    host_counts: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))


def load_instance(request: Request, now: datetime | None = None) -> Loaded:
    now = now or utcnow()
    tz = local_zone()
    year, series_rows = request.year, request.series
    ids = [s.id for s in series_rows]
    year_first, year_last = local_day_range(date(year, 1, 1), date(year, 12, 31))
    plannings = {
        p.series_id: p
        for p in db.session.scalars(
            sa.select(SeriesPlanning).where(SeriesPlanning.series_id.in_(ids))
        )
    }
    incumbents = tuple(
        Incumbent(e.id, s.series_id, e.start_at, e.end_at, e.venue_id, e.host_id)
        for s, e in incumbents_of(year, ids)
    )
    # Busy spans just outside the year can still collide with a session on 1 January.
    bookings = _bookings(year_first - timedelta(days=1), year_last + timedelta(days=1))
    replanned = {i.event_id for i in incumbents}
    busy = _busy([b for b in bookings if b.event_id not in replanned], ids, year_first, year_last)
    fixed = _fixed_hosts(series_rows)
    apps, hosts = _applications(year, ids, fixed, busy.host)
    venue_rows = db.session.scalars(
        sa.select(Venue)
        .where(Venue.active.is_(True), Venue.is_online.is_(False))
        .order_by(Venue.id)
    ).all()
    series = _series(request, now, plannings, incumbents, busy, fixed)
    instance = Instance(
        year=year,
        tz=tz,
        now=now,
        series=series,
        venues=_venues(year, venue_rows, busy.venue),
        hosts=tuple(hosts.values()),
        applications=apps,
        speakers=_speakers(apps, busy.speaker),
        calendar=_calendar(year),
        pins=tuple(_pins(request, tz, {s.slug: s for s in series_rows}, plannings)),
        incumbents=incumbents,
    )
    names = {("series", s.id): s.name for s in series_rows}
    names.update({("venue", v.id): v.name for v in venue_rows})
    names.update({("host", h.id): h.name for h in hosts.values()})
    return Loaded(instance, bookings, names)


def _bookings(first: datetime, last: datetime) -> list[rules.Booking]:
    """One pass over the calendar: every slot-holding occurrence in [first, last) with the
    speakers of its event (two queries)."""
    rows = db.session.execute(_holding(first, last).add_columns(*OCCURRENCE_COLUMNS)).all()
    speakers_of: dict[int, set] = defaultdict(set)
    if rows:
        for event_id, person_id in db.session.execute(
            sa.select(event_speakers.c.event_id, event_speakers.c.person_id)
            .join(Occurrence, Occurrence.event_id == event_speakers.c.event_id)
            .join(Event, Event.id == Occurrence.event_id)
            .where(
                Occurrence.start_at < last,
                Occurrence.blocked_until > first,
                Occurrence.holds_slot.is_(True),
                Event.status.in_(SLOT_HOLDING_STATUSES),
            )
        ):
            speakers_of[event_id].add(person_id)
    return [booking(r, speakers_of.get(r.event_id, ())) for r in rows]


def _busy(calendar: list[rules.Booking], ids: list[int], year_first, year_last) -> _Busy:
    """Venues, hosts, speakers and the planned series the calendar busies; the series' drafts
    in the year count toward their spacing and host counts too."""
    busy = _Busy()
    for b in calendar:
        span = (b.start, b.end)
        if b.venue_id is not None:
            busy.venue[b.venue_id].append(span)
        busy.host[b.host_id].append(span)
        for person in b.speaker_ids:
            busy.speaker[person].append(span)
        if b.series_id in ids and year_first <= b.start < year_last:
            busy.series[b.series_id].append(span)
            busy.host_counts[b.series_id][b.host_id] += 1
    for series_id, host_id, span in _drafts(ids, year_first, year_last):
        busy.series[series_id].append(span)
        busy.host_counts[series_id][host_id] += 1
    return busy


def _applications(year: int, ids: list[int], fixed: dict, host_busy: dict):
    """The applications (fixed hosts first, then active societies' applications in the
    order they came) and the hosts they name."""
    rows = db.session.execute(
        sa.select(HostApplication, Society)
        .join(Society, Society.id == HostApplication.society_id)
        .where(
            HostApplication.year == year,
            HostApplication.series_id.in_(ids),
            Society.active.is_(True),
        )
        .order_by(HostApplication.created_at, HostApplication.id)
    ).all()
    apps, hosts = [], {}

    def host(society: Society) -> HostInput:
        busy = tuple(sorted(host_busy.get(society.id, ())))
        return HostInput(society.id, society.name, society.city, busy)

    for series_id, society in fixed.items():
        # A fixed host needs no application: it takes every session, first of all.
        apps.append(ApplicationInput(host_id=society.id, series_id=series_id, order=-1))
        hosts[society.id] = host(society)
    for order, (app, society) in enumerate(rows):
        if app.series_id in fixed:
            continue
        apps.append(
            ApplicationInput(
                host_id=society.id,
                series_id=app.series_id,
                preferred_months=_months(app.preferred_months),
                preferred_dates=_dates(app.preferred_dates),
                unavailable_dates=_dates(app.unavailable_dates),
                speaker_ids=frozenset(p for p in app.speaker_ids or [] if isinstance(p, int)),
                order=order,
            )
        )
        hosts[society.id] = host(society)
    return tuple(apps), hosts


def _months(values) -> frozenset:
    return frozenset(m for m in values or [] if isinstance(m, int) and 1 <= m <= 12)


def _speakers(apps: tuple[ApplicationInput, ...], speaker_busy: dict) -> tuple:
    """The speakers the applications name, with what already busies them."""
    wanted = sorted({p for a in apps for p in a.speaker_ids})
    if not wanted:
        return ()
    people = db.session.scalars(sa.select(Person).where(Person.id.in_(wanted))).all()
    return tuple(
        SpeakerInput(p.id, p.name, tuple(sorted(speaker_busy.get(p.id, ())))) for p in people
    )


def _venues(year: int, venue_rows, venue_busy: dict) -> tuple:
    """Active physical venues as facts, with their busy spans and the year's closures."""
    closures = defaultdict(list)
    for c in db.session.scalars(
        sa.select(VenueClosure).where(
            VenueClosure.first_day <= date(year, 12, 31),
            VenueClosure.last_day >= date(year, 1, 1),
        )
    ):
        closures[c.venue_id].append((c.first_day, c.last_day))
    return tuple(
        venue_facts(
            v,
            busy=tuple(sorted(venue_busy.get(v.id, ()))),
            closures=tuple(sorted(closures.get(v.id, ()))),
        )
        for v in venue_rows
    )


def _series(request: Request, now, plannings: dict, incumbents, busy: _Busy, fixed: dict):
    """Each planned series as facts: sessions still to plan, slots, weekdays, campaign."""
    year, series_rows = request.year, request.series
    campaigns = db.session.scalars(
        sa.select(Campaign)
        .where(Campaign.start_date <= date(year, 12, 31), Campaign.end_date >= date(year, 1, 1))
        .order_by(Campaign.start_date, Campaign.id)
    ).all()
    last_year = {
        p.series.id: frozenset(h.society.id for h in p.hosts_last_year)
        for p in quotas.series_progress(year, now, series_rows, quotas.all_societies())
    }
    out = []
    for s in series_rows:
        planning = plannings.get(s.id)
        inside = _inside_campaign(s, planning, year, campaigns)
        avoided = set(planning.avoid_campaigns or []) if planning else set()
        existing = tuple(sorted(busy.series.get(s.id, ())))
        mine = sum(1 for i in incumbents if i.series_id == s.id)
        sessions = max(s.target_max - len(existing), mine, 0)
        # No per-host maximum applies to a fixed host: it may take every session.
        per_host = max(s.target_max, sessions, 1) if s.id in fixed else s.max_per_host
        out.append(
            series_facts(
                s,
                sessions=sessions,
                slots=_slots(s, planning),
                weekdays=_weekdays(s),
                preferred_months=_months(s.preferred_months),
                max_per_host=per_host,
                city=planning.city if planning else "",
                campaign=campaign_facts(inside) if inside else None,
                at_launch=bool(planning and planning.at_launch and inside and inside.launch_at),
                avoid_campaigns=tuple(
                    campaign_facts(c) for c in campaigns if c.kind.value in avoided and c != inside
                ),
                existing=existing,
                host_counts=dict(busy.host_counts.get(s.id, {})),
                hosted_last_year=last_year.get(s.id, frozenset()),
                fixed_host=s.id in fixed,
            )
        )
    return tuple(out)


def _inside_campaign(s: Series, planning, year: int, campaigns) -> Campaign | None:
    """The year's campaign the series must fall inside, if its planning names one; a
    BadInput naming both when the year has no such campaign."""
    if not planning or planning.inside_campaign is None:
        return None
    inside = campaign_in_year(planning.inside_campaign, year, campaigns)
    if inside is None:
        raise BadInput(
            _(
                "%(series)s must fall inside %(campaign)s, but there is no such "
                "campaign in %(year)s.",
                series=s.name,
                campaign=planning.inside_campaign.name,
                year=year,
            ),
            field="series",
        )
    return inside


def _calendar(year: int) -> Calendar:
    holidays = year_holidays(year)
    return Calendar(
        days_off={d: n for d, n in holidays.days_off.items() if holidays.is_holiday(d)},
        workdays=dict(holidays.workdays),
        official=holidays.official,
    )


def _fixed_hosts(series_rows: list[Series]) -> dict[int, Society]:
    """Series id -> its fixed host, for the series whose host is fixed (one query). An
    inactive fixed host cannot host: the request is refused, naming it."""
    wanted = {
        s.id: s.fixed_host_id
        for s in series_rows
        if s.host_mode == HostMode.FIXED and s.fixed_host_id is not None
    }
    if not wanted:
        return {}
    societies = {
        h.id: h
        for h in db.session.scalars(sa.select(Society).where(Society.id.in_(wanted.values())))
    }
    for s in series_rows:
        host = societies.get(wanted.get(s.id))
        if host is not None and not host.active:
            raise BadInput(
                _(
                    "The fixed host of %(series)s, %(society)s, is inactive: choose another "
                    "host for the series.",
                    series=s.name,
                    society=host.name,
                ),
                field="series",
            )
    return {series_id: societies[host_id] for series_id, host_id in wanted.items()}


def _pins(request: Request, tz, series: dict, plannings: dict) -> list[Pin]:
    out = []
    for pin in request.pins:
        s = series[pin["series"]]
        start = None
        if pin.get("start"):
            moment = datetime.fromisoformat(pin["start"])
            if len(pin["start"]) == 10:  # a date: the series' first time slot
                moment = datetime.combine(moment.date(), _slots(s, plannings.get(s.id))[0])
            start = moment.replace(tzinfo=tz).astimezone(UTC)
        host = venue = None
        if pin.get("host"):
            host = db.session.scalar(sa.select(Society.id).where(Society.slug == pin["host"]))
        if pin.get("venue"):
            venue = db.session.scalar(sa.select(Venue.id).where(Venue.slug == pin["venue"]))
        out.append(Pin(series_id=s.id, start=start, host_id=host, venue_id=venue))
    return out
