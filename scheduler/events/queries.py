"""Reading events and occurrences with the filters shared by pages, the API and feeds.

Every function issues a fixed number of SQL queries whatever the number of events: the
filters become WHERE clauses on indexed columns; pages read rows of what they show, and
lists of ids travel as one parameter (scheduler/bounded.py).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from .. import directory_input as di
from ..bounded import rows_table, values_in
from ..campaigns.models import Campaign
from ..enums import PUBLIC_STATUSES, Audience, EventKind, EventStatus
from ..errors import BadInput
from ..extensions import db
from ..limits import MAX_YEAR, MIN_YEAR
from ..people.models import Person
from ..search.query import text_condition
from ..series.models import Series
from ..societies.models import Society
from ..timeutil import local_day_range, local_midnight_utc, local_to_utc
from ..types import UTCDateTime
from ..venues.models import Venue
from .models import (
    Event,
    EventAudience,
    Occurrence,
    event_cohosts,
    event_organizers,
    event_speakers,
)
from .visibility import visible_to_society

# A filter (society=a,b,...) takes at most this many values.
MAX_FILTER_VALUES = 50


@dataclass
class EventFilters:
    start: datetime | None = None  # aware UTC, inclusive
    end: datetime | None = None  # aware UTC, exclusive
    kinds: list[EventKind] = field(default_factory=list)
    series_ids: list[int] = field(default_factory=list)
    society_ids: list[int] = field(default_factory=list)
    venue_ids: list[int] = field(default_factory=list)
    campaign_ids: list[int] = field(default_factory=list)
    speaker_ids: list[int] = field(default_factory=list)
    cities: list[str] = field(default_factory=list)
    audiences: list[Audience] = field(default_factory=list)
    statuses: list[EventStatus] = field(default_factory=lambda: list(PUBLIC_STATUSES))
    text: str = ""
    event_ids: list[int] = field(default_factory=list)
    # Only what this society's editors may see (events/visibility.py); None: no restriction.
    viewer_society_id: int | None = None

    def cache_key(self) -> tuple:
        """The parsed scope as sorted tuples: two requests share cached results exactly when
        they select the same events (never from joined strings, which a value containing
        "&" or "=" could forge)."""
        moments = tuple(m.isoformat() if m else None for m in (self.start, self.end))
        return (
            moments,
            tuple(sorted(k.value for k in self.kinds)),
            tuple(sorted(self.series_ids)),
            tuple(sorted(self.society_ids)),
            tuple(sorted(self.venue_ids)),
            tuple(sorted(self.campaign_ids)),
            tuple(sorted(self.cities)),
            tuple(sorted(a.value for a in self.audiences)),
            tuple(sorted(s.value for s in self.statuses)),
            self.text,
            tuple(sorted(self.event_ids)),
            self.viewer_society_id,
            tuple(sorted(self.speaker_ids)),
        )

    def occurrence_conditions(self) -> list:
        """WHERE clauses over Occurrence joined to Event."""
        conds = [Event.status.in_(self.statuses)]
        if self.start is not None:
            conds.append(Occurrence.end_at > self.start)
        if self.end is not None:
            conds.append(Occurrence.start_at < self.end)
        conds.extend(self.event_conditions())
        return conds

    def event_conditions(self) -> list:
        conds = []
        if self.event_ids:
            conds.append(Event.id.in_(self.event_ids))
        if self.kinds:
            conds.append(Event.kind.in_(self.kinds))
        if self.series_ids:
            conds.append(Event.series_id.in_(self.series_ids))
        if self.venue_ids:
            conds.append(Event.venue_id.in_(self.venue_ids))
        if self.campaign_ids:
            conds.append(Event.campaign_id.in_(self.campaign_ids))
        if self.speaker_ids:
            speaking = sa.select(event_speakers.c.event_id).where(
                event_speakers.c.person_id.in_(self.speaker_ids)
            )
            conds.append(Event.id.in_(speaking))
        if self.society_ids:
            # One IN over a UNION of two index look-ups; an OR would scan every event.
            hosted = sa.select(Event.id).where(Event.host_id.in_(self.society_ids))
            cohosted = sa.select(event_cohosts.c.event_id).where(
                event_cohosts.c.society_id.in_(self.society_ids)
            )
            conds.append(Event.id.in_(sa.union(hosted, cohosted)))
        if self.cities:
            # An event is in the city of its venue; online events in their host's city.
            in_venue_city = sa.select(Venue.id).where(
                Venue.city.in_(self.cities), Venue.is_online.is_(False)
            )
            online_or_none = sa.select(Venue.id).where(Venue.is_online.is_(True))
            host_in_city = sa.select(Society.id).where(Society.city.in_(self.cities))
            conds.append(
                sa.or_(
                    Event.venue_id.in_(in_venue_city),
                    sa.and_(
                        sa.or_(Event.venue_id.is_(None), Event.venue_id.in_(online_or_none)),
                        Event.host_id.in_(host_in_city),
                    ),
                )
            )
        if self.audiences:
            tagged = sa.select(EventAudience.event_id).where(
                EventAudience.audience.in_(self.audiences)
            )
            conds.append(Event.id.in_(tagged))
        if self.text:
            # Titles, descriptions and every name an event shows (scheduler/search/).
            conds.append(text_condition(self.text))
        if self.viewer_society_id is not None:
            conds.append(visible_to_society(self.viewer_society_id))
        return conds


def speaks_in_public():
    """True for a Person who speaks at a public event: only they have a page and a feed."""
    return sa.exists(
        sa.select(event_speakers.c.event_id)
        .join(Event, Event.id == event_speakers.c.event_id)
        .where(event_speakers.c.person_id == Person.id, Event.status.in_(PUBLIC_STATUSES))
    )


def _split(args, name: str) -> list[str]:
    values = []
    for raw in args.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    values = list(dict.fromkeys(values))
    if len(values) > MAX_FILTER_VALUES:  # bounds the statements' IN lists
        raise BadInput(
            _("%(name)s takes at most %(max)s values.", name=name, max=MAX_FILTER_VALUES),
            field=name,
        )
    return values


def parse_enum_arg(args, name: str, enum_cls) -> list:
    out = []
    for value in _split(args, name):
        try:
            out.append(enum_cls(value))
        except ValueError:
            raise BadInput(
                _(
                    "Unknown %(name)s: %(value)s. Allowed: %(allowed)s.",
                    name=name,
                    value=value,
                    allowed=", ".join(enum_cls.values()),
                ),
                field=name,
            ) from None
    return out


def _resolve_slugs(args, name: str, model, by_name: bool = False) -> list[int]:
    """Ids for the slugs given in ``name``; with ``by_name`` a value may also be the exact
    name or short name (a nation has too many societies for a drop-down)."""
    values = _split(args, name)
    if not values:
        return []
    columns = [model.slug, model.name, model.short_name] if by_name else [model.slug]
    rows = db.session.execute(
        sa.select(model.id, *columns).where(sa.or_(*(values_in(c, values) for c in columns)))
    ).all()
    found: dict[str, int] = {}
    for row in rows:  # a slug wins over another society's name
        for key in reversed(row[1:]):
            if key:
                found[key] = row.id
        found[row.slug] = row.id
    missing = [v for v in values if v not in found]
    if missing:
        raise BadInput(
            _("Unknown %(name)s: %(value)s.", name=name, value=", ".join(missing)), field=name
        )
    return list(dict.fromkeys(found[v] for v in values))


def parse_moment(value: str, name: str, end_of_day: bool = False) -> datetime:
    """An ISO date or date-time from a query string, as aware UTC (local if no offset)."""
    try:
        if len(value) == 10:
            parsed = date.fromisoformat(value)
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(
            _("%(name)s is not a valid date (use YYYY-MM-DD or an ISO 8601 date-time).", name=name),
            field=name,
        ) from None
    # The range is checked before any arithmetic: the years 1 and 9999 overflow on conversion.
    moment = None
    if MIN_YEAR <= parsed.year <= MAX_YEAR:
        if isinstance(parsed, datetime):
            moment = local_to_utc(parsed)
        else:
            moment = local_midnight_utc(parsed + timedelta(days=1) if end_of_day else parsed)
    if moment is None or not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise di.out_of_range(name, MIN_YEAR, MAX_YEAR)
    return moment


def parse_filters(args, allow_status: bool = False) -> EventFilters:
    """EventFilters from request arguments, or BadInput naming the first wrong value."""
    filters = EventFilters()
    if args.get("from"):
        filters.start = parse_moment(args["from"], "from")
    if args.get("to"):
        filters.end = parse_moment(args["to"], "to", end_of_day=True)
    if filters.start and filters.end and filters.start >= filters.end:
        raise BadInput(_("from must be before to."), field="from")
    filters.kinds = parse_enum_arg(args, "kind", EventKind)
    filters.audiences = parse_enum_arg(args, "audience", Audience)
    if args.get("status"):
        if not allow_status:
            raise BadInput(_("Only signed-in users may filter by status."), field="status")
        filters.statuses = parse_enum_arg(args, "status", EventStatus)
    filters.series_ids = _resolve_slugs(args, "series", Series)
    filters.society_ids = _resolve_slugs(args, "society", Society, by_name=True)
    filters.venue_ids = _resolve_slugs(args, "venue", Venue)
    filters.campaign_ids = _resolve_slugs(args, "campaign", Campaign)
    filters.speaker_ids = _resolve_slugs(args, "speaker", Person)
    filters.cities = _split(args, "city")
    filters.text = (args.get("q") or "").strip()[:100]
    return filters


def event_loader_options():
    """Eager loads for everything an event's page or JSON shows (one query per relation)."""
    return (
        selectinload(Event.host),
        selectinload(Event.series),
        selectinload(Event.campaign),
        selectinload(Event.venue),
        selectinload(Event.cohosts),
        selectinload(Event.organizing_societies),
        selectinload(Event.speakers),
        selectinload(Event.audience_rows),
    )


def _active_slug(model):
    return sa.case((model.active.is_(True), model.slug), else_=sa.null())


def _shown_select(*extra_columns):
    """What a calendar cell or list line shows, as plain rows: the occurrence, its event's
    title and kind, and the names of its series, host and venue (one join each)."""
    return (
        sa.select(
            Occurrence.id,
            Occurrence.event_id,
            Occurrence.start_at,
            Occurrence.end_at,
            Occurrence.cancelled,
            Event.title,
            Event.kind,
            Event.all_day,
            Event.timezone,  # an event in its own zone also shows that zone's time
            Series.name.label("series_name"),
            Series.color.label("series_color"),
            sa.func.coalesce(sa.func.nullif(Society.short_name, ""), Society.name).label(
                "host_name"
            ),
            Venue.name.label("venue_name"),
            Venue.city.label("venue_city"),
            # Slugs of the public pages the names link to (None: inactive, no page).
            _active_slug(Society).label("host_slug"),
            _active_slug(Series).label("series_slug"),
            _active_slug(Venue).label("venue_slug"),
            *extra_columns,
        )
        .select_from(Occurrence)
        .join(Event, Event.id == Occurrence.event_id)
        .join(Society, Society.id == Event.host_id)
        .outerjoin(Series, Series.id == Event.series_id)
        .outerjoin(Venue, Venue.id == Event.venue_id)
    )


def list_occurrences(
    filters: EventFilters, limit: int | None = None, newest_first: bool = False
) -> list[sa.Row]:
    """Occurrences matching the filters, by start time, as rows of what a list shows."""
    order = (Occurrence.start_at, Occurrence.id)
    if newest_first:
        order = tuple(column.desc() for column in order)
    stmt = _shown_select().where(*filters.occurrence_conditions()).order_by(*order)
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.execute(stmt))


def occurrences_by_day(
    filters: EventFilters, days: list[date], per_day: int
) -> tuple[dict[date, list[sa.Row]], dict[date, int]]:
    """The first ``per_day`` matching occurrences starting on each local day (rows of what
    a cell shows), and how many start that day: two queries however busy the days are.

    A nation's month has thousands of events a day; the calendar shows a few and links to
    the rest, so a window query ranks each day's occurrences in the database. The day bounds
    travel as one array parameter per column, whatever the number of days.
    """
    if not days:
        return {}, {}
    bounds = rows_table(
        "days",
        {"n": sa.Integer(), "lo": UTCDateTime(), "hi": UTCDateTime()},
        [(n, *local_day_range(d, d)) for n, d in enumerate(days)],
    )
    ranked = sa.select(
        Occurrence.id.label("id"),
        bounds.c.n,
        sa.func.row_number()
        .over(partition_by=bounds.c.n, order_by=(Occurrence.start_at, Occurrence.id))
        .label("rank"),
        sa.func.count().over(partition_by=bounds.c.n).label("total"),
    ).join(bounds, sa.and_(Occurrence.start_at >= bounds.c.lo, Occurrence.start_at < bounds.c.hi))
    plain = filters.start is None and filters.end is None and not filters.event_conditions()
    if plain and set(filters.statuses) == set(PUBLIC_STATUSES):
        # The plain public calendar: the occurrences' own flag, no look-up of each event.
        ranked = ranked.where(Occurrence.public.is_(True))
    else:
        ranked = ranked.join(Occurrence.event).where(*filters.occurrence_conditions())
    ranked = ranked.subquery("ranked")
    picked = db.session.execute(
        sa.select(ranked.c.id, ranked.c.n, ranked.c.total).where(ranked.c.rank <= per_day)
    ).all()
    totals = {days[n]: int(total) for _id, n, total in picked}
    # A second statement for the names: joined into the first, PostgreSQL cannot tell how
    # few rows the ranking keeps and hashes every event instead of probing a hundred.
    day_of = {occ_id: days[n] for occ_id, n, _total in picked}
    shown = db.session.execute(
        _shown_select()
        .where(values_in(Occurrence.id, list(day_of)))
        .order_by(Occurrence.start_at, Occurrence.id)
    ).all()
    by_day: dict[date, list[sa.Row]] = {}
    for row in shown:
        by_day.setdefault(day_of[row.id], []).append(row)
    return by_day, totals


def page_events(filters: EventFilters, page: int, per_page: int):
    """(events, total, occurrences by event id) for one page of distinct matching events.

    One statement finds the page and the total (``count(*) OVER ()``), reading the window's
    occurrences through ix_occurrences_start; the plain public list reads the occurrences'
    own ``public`` flag instead of joining every event for its status.
    """
    stmt = sa.select(Occurrence.event_id, sa.func.min(Occurrence.start_at).label("first"))
    if filters.start is not None:
        stmt = stmt.where(Occurrence.end_at > filters.start)
    if filters.end is not None:
        stmt = stmt.where(Occurrence.start_at < filters.end)
    if not filters.event_conditions() and set(filters.statuses) == set(PUBLIC_STATUSES):
        stmt = stmt.where(Occurrence.public.is_(True))
    else:
        stmt = stmt.join(Occurrence.event).where(*filters.occurrence_conditions())
    matching = stmt.group_by(Occurrence.event_id).subquery()
    rows = db.session.execute(
        sa.select(matching.c.event_id, sa.func.count().over().label("total"))
        .order_by(matching.c.first, matching.c.event_id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    ids = [r.event_id for r in rows]
    if not ids:  # past the last page (or nothing): the total needs its own count
        total = (
            0 if page == 1 else db.session.scalar(sa.select(sa.func.count()).select_from(matching))
        )
        return [], total, {}
    events, occurrences = load_events(ids, filters.start, filters.end)
    return events, int(rows[0].total), occurrences


def load_events(ids: list[int], start: datetime | None = None, end: datetime | None = None):
    """(events in the order of ``ids``, their occurrences by event id, within [start, end)
    when given) with everything their JSON shows, in five queries whatever the number: the
    events with series, campaign, host and venue; co-hosts and organizers; speakers;
    audience tags; occurrences. Each sends the ids as one parameter (bounded.values_in)."""
    events = db.session.scalars(
        sa.select(Event)
        .where(values_in(Event.id, ids))
        .options(
            joinedload(Event.host),
            joinedload(Event.series),
            joinedload(Event.campaign),
            joinedload(Event.venue),
        )
    ).all()
    by_id = {e.id: e for e in events}
    related = _related_rows(ids)
    occ_stmt = sa.select(Occurrence).where(values_in(Occurrence.event_id, ids))
    if start is not None:
        occ_stmt = occ_stmt.where(Occurrence.end_at > start)
    if end is not None:
        occ_stmt = occ_stmt.where(Occurrence.start_at < end)
    occurrences: dict[int, list[Occurrence]] = {i: [] for i in by_id}
    for occ in db.session.scalars(occ_stmt.order_by(Occurrence.start_at, Occurrence.id)):
        occurrences[occ.event_id].append(occ)
    for event in events:
        for name in ("cohosts", "organizers", "speakers", "audience_rows"):
            attribute = "organizing_societies" if name == "organizers" else name
            set_committed_value(event, attribute, related.get((event.id, name), []))
        if start is None and end is None:
            set_committed_value(event, "occurrences", occurrences[event.id])
    return [by_id[i] for i in ids if i in by_id], occurrences


def _related_rows(ids: list[int]) -> dict[tuple[int, str], list]:
    """{(event id, relation): objects} for the co-hosts, organizers, speakers and audience
    rows of these events (three queries), in each relation's order."""
    related: dict[tuple[int, str], list] = {}
    links = sa.union_all(
        *(
            sa.select(t.c.event_id, t.c.society_id, sa.literal(role).label("role")).where(
                values_in(t.c.event_id, ids)
            )
            for t, role in ((event_cohosts, "cohosts"), (event_organizers, "organizers"))
        )
    ).subquery("links")
    for event_id, role, society in db.session.execute(
        sa.select(links.c.event_id, links.c.role, Society)
        .join(Society, Society.id == links.c.society_id)
        .order_by(Society.id)
    ):
        related.setdefault((event_id, role), []).append(society)
    for event_id, person in db.session.execute(
        sa.select(event_speakers.c.event_id, Person)
        .join(Person, Person.id == event_speakers.c.person_id)
        .where(values_in(event_speakers.c.event_id, ids))
        .order_by(Person.id)
    ):
        related.setdefault((event_id, "speakers"), []).append(person)
    for row in db.session.scalars(
        sa.select(EventAudience)
        .where(values_in(EventAudience.event_id, ids))
        .order_by(EventAudience.audience)
    ):
        related.setdefault((row.event_id, "audience_rows"), []).append(row)
    return related


class Linked(str):
    """A name that also carries the slug of its public page (None: it has none); templates
    print it as the name."""

    slug: str | None = None

    @classmethod
    def of(cls, name: str, slug: str | None) -> "Linked":
        linked = cls(name)
        linked.slug = slug or None
        return linked


@dataclass(frozen=True)
class EventPage:
    """What the public event page shows beyond the event's own row."""

    cohosts: list[Linked]
    organizers: list[Linked]
    speakers: list[tuple[Linked, str]]  # (name, title)
    audiences: list[Audience]
    dates: list[datetime]  # the occurrences' starts, for a repeating event


def get_public_event(event_id: int) -> tuple[Event, EventPage] | None:
    """A published event for its public page, in at most three queries: the event with its
    series, campaign, host and venue; the names of its co-hosts, organizers, speakers and
    audiences in one UNION; the dates of a repeating event."""
    event = db.session.scalar(
        sa.select(Event)
        .where(Event.id == event_id, Event.status.in_(PUBLIC_STATUSES))
        .options(
            joinedload(Event.host),
            joinedload(Event.series),
            joinedload(Event.campaign),
            joinedload(Event.venue),
        )
    )
    if event is None:
        return None
    empty = sa.literal("")
    names = sa.union_all(
        *(
            sa.select(
                sa.literal(role).label("role"),
                Society.id,
                Society.name,
                empty,
                _active_slug(Society).label("slug"),
            )
            .join(t, t.c.society_id == Society.id)
            .where(t.c.event_id == event_id)
            for t, role in ((event_cohosts, "cohosts"), (event_organizers, "organizers"))
        ),
        sa.select(
            sa.literal("speakers"), Person.id, Person.name, Person.title, _active_slug(Person)
        )
        .join(event_speakers, event_speakers.c.person_id == Person.id)
        .where(event_speakers.c.event_id == event_id),
        sa.select(
            sa.literal("audiences"), sa.literal(0), EventAudience.audience, empty, empty
        ).where(EventAudience.event_id == event_id),
    ).subquery("names")
    found: dict[str, list] = {"cohosts": [], "organizers": [], "speakers": [], "audiences": []}
    for role, _id, name, title, slug in db.session.execute(
        sa.select(names).order_by(names.c.role, *names.c[1:3])
    ):
        if role == "audiences":
            found[role].append(name)
        else:
            linked = Linked.of(name, slug)
            found[role].append((linked, title) if role == "speakers" else linked)
    dates = []
    if event.is_recurring:
        dates = list(
            db.session.scalars(
                sa.select(Occurrence.start_at)
                .where(Occurrence.event_id == event_id)
                .order_by(Occurrence.start_at)
            )
        )
    audiences = [Audience(a) for a in found["audiences"]]
    return event, EventPage(
        found["cohosts"], found["organizers"], found["speakers"], audiences, dates
    )


def get_event(event_id: int) -> Event | None:
    return db.session.scalar(
        sa.select(Event)
        .where(Event.id == event_id)
        .options(*event_loader_options(), selectinload(Event.occurrences))
    )
