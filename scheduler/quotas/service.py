"""SQL aggregates behind the quota dashboard, the society record, the API and the exports.

The counting rules of ``counting.py`` become CASE expressions summed with GROUP BY, so every
function here issues a fixed number of queries whatever the number of events. Callers pass
``now`` (a clock) so that "planned" and "held" are reproducible in tests.
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from babel.dates import get_month_names
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..campaigns.models import Campaign
from ..enums import EventKind, EventStatus
from ..errors import BadInput, NotFound
from ..events.models import Event, Occurrence, event_cohosts, event_organizers
from ..extensions import db
from ..limits import MAX_PLAN_YEAR, MIN_PLAN_YEAR
from ..series.models import Series
from ..societies.models import Society
from ..timeutil import local_today, local_zone
from ..types import utcnow
from . import counting as c
from .figures import (
    Activity,
    Allowance,
    CampaignParticipation,
    Dashboard,
    HostCount,
    MonthCounts,
    SeriesProgress,
    SeriesSession,
    Share,
    SocietyRef,
    SocietyYear,
)

NEVER_HOSTED_SHOWN = 8
HISTORY_YEARS = 5


def month_labels() -> list[str]:
    """Abbreviated month names in the current language."""
    names = get_month_names("abbreviated", locale=get_locale() or "zh_CN")
    return [names[m] for m in range(1, 13)]


def clock() -> datetime:
    """The current time; tests replace it to pin "planned" and "held"."""
    return utcnow()


# --- input ---------------------------------------------------------------------------------

YEAR_PATTERN = re.compile(r"^[0-9]{4}$")


def parse_year(raw: str | None) -> int:
    """The ``year`` argument: four digits between 2000 and 2100; the local year if absent."""
    if raw is None or raw == "":
        return local_today().year
    if not YEAR_PATTERN.match(raw.strip()):
        raise BadInput(_("year must be a four-digit year such as 2027."), field="year")
    year = int(raw)
    if not MIN_PLAN_YEAR <= year <= MAX_PLAN_YEAR:
        raise BadInput(
            _("year must be between %(low)s and %(high)s.", low=MIN_PLAN_YEAR, high=MAX_PLAN_YEAR),
            field="year",
        )
    return year


def find_series(slug: str) -> Series:
    series = db.session.scalar(sa.select(Series).where(Series.slug == slug))
    if series is None:
        raise NotFound(_("Unknown series: %(value)s.", value=slug), field="series")
    return series


def find_society(slug: str) -> Society:
    society = db.session.scalar(sa.select(Society).where(Society.slug == slug))
    if society is None:
        raise NotFound(_("Unknown society: %(value)s.", value=slug), field="society")
    return society


def find_campaign(slug: str) -> Campaign:
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        raise NotFound(_("Unknown campaign: %(value)s.", value=slug), field="campaign")
    return campaign


# --- the counting rules in SQL -------------------------------------------------------------


class within_days(FunctionElement):
    """``later - earlier < days`` on either backend (``filed_late`` in SQL)."""

    type = sa.Boolean()
    inherit_cache = True
    name = "within_days"


@compiles(within_days)
def _within_days_default(element, compiler, **kw):
    later, earlier, days = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(({later}) - ({earlier}) < make_interval(days => {days}))"


@compiles(within_days, "sqlite")
def _within_days_sqlite(element, compiler, **kw):
    # julianday() keeps milliseconds; compare whole milliseconds to avoid float ties.
    later, earlier, days = (compiler.process(arg, **kw) for arg in element.clauses)
    return (
        f"(CAST(ROUND((julianday({later}) - julianday({earlier})) * 86400000) AS INTEGER)"
        f" < ({days}) * 86400000)"
    )


@dataclass(frozen=True)
class Rules:
    """The measures of ``counting.classify`` as SQL conditions over Occurrence ⋈ Event."""

    now: datetime

    @property
    def live(self):
        return sa.and_(Occurrence.cancelled.is_(False), Event.status != EventStatus.CANCELLED)

    @property
    def cancelled(self):
        return sa.or_(Occurrence.cancelled.is_(True), Event.status == EventStatus.CANCELLED)

    @property
    def planned(self):
        return sa.and_(
            self.live, Event.status.in_(c.PLANNED_STATUSES), Occurrence.end_at > self.now
        )

    @property
    def approved(self):
        return sa.and_(self.live, Event.status.in_(c.APPROVED_STATUSES))

    @property
    def held(self):
        return sa.and_(
            self.live,
            sa.or_(
                Event.status == EventStatus.COMPLETED,
                sa.and_(Event.status == EventStatus.APPROVED, Occurrence.end_at <= self.now),
            ),
        )

    @property
    def booked(self):
        return sa.and_(self.live, Event.status.in_(c.BOOKED_STATUSES))

    @property
    def counted(self):
        return sa.or_(self.held, self.planned)


def _flag(cond):
    return sa.case((cond, 1), else_=0)


def _total(cond):
    return sa.func.coalesce(sa.func.sum(_flag(cond)), 0)


def _occurrences():
    return sa.select().select_from(Occurrence).join(Event, Event.id == Occurrence.event_id)


def _in_range(start: datetime, end: datetime):
    return sa.and_(Occurrence.start_at >= start, Occurrence.start_at < end)


def _bucket(column, bounds: list[datetime], labels: list[int]):
    """Which [bounds[i], bounds[i+1]) ``column`` falls in, as labels[i] (rows are pre-filtered
    to [bounds[0], bounds[-1]))."""
    whens = [(column < b, label) for b, label in zip(bounds[1:-1], labels, strict=False)]
    return sa.case(*whens, else_=labels[-1]) if whens else sa.literal(labels[-1])


# --- queries -------------------------------------------------------------------------------


def all_societies() -> dict[int, SocietyRef]:
    """Every society by id, as plain values (one query)."""
    rows = db.session.execute(
        sa.select(
            Society.id,
            Society.slug,
            Society.name,
            Society.short_name,
            Society.kind,
            Society.city,
            Society.active,
            Society.min_events_per_year,
        ).order_by(Society.name, Society.id)
    )
    return {r.id: SocietyRef(*r) for r in rows}


def _series_list(series_ids: list[int] | None) -> list[Series]:
    stmt = sa.select(Series).order_by(Series.active.desc(), Series.id)
    if series_ids is not None:
        stmt = stmt.where(Series.id.in_(series_ids))
    return list(db.session.scalars(stmt))


def _series_months(year: int, rules: Rules, series_ids) -> dict[int, list[MonthCounts]]:
    tz = local_zone()
    bounds = c.month_starts(year, tz)
    inner = (
        _occurrences()
        .add_columns(
            Occurrence.series_id.label("series_id"),
            _bucket(Occurrence.start_at, bounds, list(range(1, 13))).label("month"),
            _flag(rules.held).label("held"),
            _flag(rules.approved).label("approved"),
            _flag(rules.planned).label("planned"),
        )
        .where(Occurrence.series_id.in_(series_ids), _in_range(bounds[0], bounds[-1]))
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            inner.c.series_id,
            inner.c.month,
            sa.func.sum(inner.c.held),
            sa.func.sum(inner.c.approved),
            sa.func.sum(inner.c.planned),
        ).group_by(inner.c.series_id, inner.c.month)
    )
    months = {sid: [MonthCounts(m) for m in range(1, 13)] for sid in series_ids}
    for series_id, month, held, approved, planned in rows:
        months[series_id][month - 1] = MonthCounts(month, int(held), int(approved), int(planned))
    return months


def _series_sessions(
    year: int, rules: Rules, series_ids, societies
) -> dict[int, list[SeriesSession]]:
    start, end = c.year_bounds(year, local_zone())
    rows = db.session.execute(
        _occurrences()
        .add_columns(
            Occurrence.series_id,
            Event.id,
            Event.title,
            Event.status,
            Occurrence.start_at,
            Occurrence.host_id,
            rules.cancelled.label("cancelled"),
            rules.held.label("held"),
        )
        .where(
            Occurrence.series_id.in_(series_ids),
            _in_range(start, end),
            sa.or_(rules.counted, rules.cancelled),
        )
        .order_by(Occurrence.series_id, Occurrence.start_at, Occurrence.id)
    )
    out: dict[int, list[SeriesSession]] = defaultdict(list)
    for sid, eid, title, status, at, host_id, cancelled, held in rows:
        out[sid].append(SeriesSession(eid, title, status, at, societies[host_id], cancelled, held))
    return out


def _rotation(year: int, rules: Rules, series_ids) -> dict[int, dict[int, tuple[int, int]]]:
    """{series: {host: (sessions this year, sessions last year)}} for every host that has
    ever had a counted session of the series up to the end of the year."""
    tz = local_zone()
    last_start, this_start = c.year_bounds(year - 1, tz)
    this_end = c.year_bounds(year, tz)[1]
    rows = db.session.execute(
        _occurrences()
        .add_columns(
            Occurrence.series_id,
            Occurrence.host_id,
            _total(_in_range(this_start, this_end)),
            _total(_in_range(last_start, this_start)),
        )
        .where(
            Occurrence.series_id.in_(series_ids),
            Occurrence.start_at < this_end,
            rules.counted,
        )
        .group_by(Occurrence.series_id, Occurrence.host_id)
    )
    out: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    for series_id, host_id, this_year, last_year in rows:
        out[series_id][host_id] = (int(this_year), int(last_year))
    return out


def _activity(rules: Rules) -> dict[int, Activity]:
    """Per society, in any role (host 承办, co-host 协办 or organizer 主办): the start of its
    last held session and how many sessions it has planned (one query)."""
    last_held = sa.func.max(sa.case((rules.held, Occurrence.start_at)))
    planned = _total(rules.planned)

    def per_society(society_id, link=None):
        stmt = _occurrences()
        if link is not None:
            stmt = stmt.join(link, link.c.event_id == Event.id)
        return (
            stmt.add_columns(
                society_id.label("society_id"), last_held.label("last_held"), planned.label("n")
            )
            .where(rules.counted)
            .group_by(society_id)
        )

    roles = sa.union_all(
        per_society(Occurrence.host_id),
        per_society(event_cohosts.c.society_id, event_cohosts),
        per_society(event_organizers.c.society_id, event_organizers),
    ).subquery()
    rows = db.session.execute(
        sa.select(
            roles.c.society_id, sa.func.max(roles.c.last_held), sa.func.sum(roles.c.n)
        ).group_by(roles.c.society_id)
    )
    return {sid: Activity(last, int(n or 0)) for sid, last, n in rows}


def _campaigns(year: int) -> list[Campaign]:
    return list(
        db.session.scalars(
            sa.select(Campaign)
            .where(Campaign.start_date <= date(year, 12, 31), Campaign.end_date >= date(year, 1, 1))
            .order_by(Campaign.start_date, Campaign.id)
        )
    )


def _participation(campaign_ids: list[int], rules: Rules) -> dict[int, dict[tuple, int]]:
    """{campaign: {(kind, city): active societies taking part}}: hosts and co-hosts of a
    counted session of an event in the campaign (one query)."""
    if not campaign_ids:
        return {}
    in_campaign = sa.and_(Event.campaign_id.in_(campaign_ids), rules.counted)
    hosts = (
        _occurrences()
        .add_columns(Event.campaign_id.label("campaign_id"), Event.host_id.label("society_id"))
        .where(in_campaign)
    )
    cohosts = (
        _occurrences()
        .join(event_cohosts, event_cohosts.c.event_id == Event.id)
        .add_columns(
            Event.campaign_id.label("campaign_id"), event_cohosts.c.society_id.label("society_id")
        )
        .where(in_campaign)
    )
    pairs = sa.union(hosts, cohosts).subquery()  # UNION: each society once per campaign
    rows = db.session.execute(
        sa.select(pairs.c.campaign_id, Society.kind, Society.city, sa.func.count())
        .join(Society, Society.id == pairs.c.society_id)
        .where(Society.active.is_(True))
        .group_by(pairs.c.campaign_id, Society.kind, Society.city)
    )
    out: dict[int, dict[tuple, int]] = defaultdict(dict)
    for campaign_id, kind, city, n in rows:
        out[campaign_id][(kind, city)] = int(n)
    return out


def _society_year_rows(year: int, rules: Rules, society_ids=None):
    """Three grouped queries: sessions as host and as co-host by kind, and the per-event
    figures (major filings, attendance) of events starting in the year."""
    start, end = c.year_bounds(year, local_zone())
    host_q = (
        _occurrences()
        .add_columns(
            Occurrence.host_id,
            Event.kind,
            _total(rules.approved),
            _total(rules.held),
            _total(rules.planned),
            _total(rules.cancelled),
        )
        .where(_in_range(start, end))
        .group_by(Occurrence.host_id, Event.kind)
    )
    cohost_q = (
        _occurrences()
        .join(event_cohosts, event_cohosts.c.event_id == Event.id)
        .add_columns(
            event_cohosts.c.society_id, Event.kind, _total(rules.approved), _total(rules.held)
        )
        .where(_in_range(start, end))
        .group_by(event_cohosts.c.society_id, Event.kind)
    )
    lead = current_app.config["FILING_LEAD_DAYS"]
    major_filed = sa.and_(
        Event.is_major.is_(True),
        Event.status.in_(c.FILED_STATUSES),
        Event.submitted_at.is_not(None),
    )
    late = within_days(Event.start_at, Event.submitted_at, sa.literal(lead, sa.Integer))
    completed = Event.status == EventStatus.COMPLETED
    event_q = (
        sa.select(
            Event.host_id,
            _total(sa.and_(major_filed, sa.not_(late))),
            _total(sa.and_(major_filed, late)),
            _total(
                sa.and_(
                    Event.is_major.is_(True),
                    Event.status.in_(c.FILED_STATUSES),
                    Event.submitted_at.is_(None),
                )
            ),
            sa.func.coalesce(sa.func.sum(sa.case((completed, Event.actual_attendance))), 0),
            _total(sa.and_(completed, Event.actual_attendance.is_not(None))),
        )
        .where(Event.start_at >= start, Event.start_at < end)
        .group_by(Event.host_id)
    )
    if society_ids is not None:
        host_q = host_q.where(Occurrence.host_id.in_(society_ids))
        cohost_q = cohost_q.where(event_cohosts.c.society_id.in_(society_ids))
        event_q = event_q.where(Event.host_id.in_(society_ids))
    return (
        db.session.execute(host_q).all(),
        db.session.execute(cohost_q).all(),
        db.session.execute(event_q).all(),
    )


def society_years(
    year: int,
    now: datetime,
    societies: dict[int, SocietyRef] | None = None,
    society_ids: list[int] | None = None,
    activity: dict[int, Activity] | None = None,
) -> list[SocietyYear]:
    """The annual evaluation figures: every active society, and inactive ones with figures
    in the year, or just ``society_ids`` (at most five queries)."""
    societies = societies if societies is not None else all_societies()
    rules = Rules(now)
    hosts, cohosts, events = _society_year_rows(year, rules, society_ids)
    activity = activity if activity is not None else _activity(rules)
    wanted = society_ids if society_ids is not None else list(societies)
    rows = {sid: SocietyYear(societies[sid]) for sid in wanted}

    def row(sid: int) -> SocietyYear:
        if sid not in rows:
            rows[sid] = SocietyYear(societies[sid])
        return rows[sid]

    for sid, kind, approved, held, planned, cancelled in hosts:
        r = row(sid)
        if approved:
            r.hosted_by_kind[kind] = int(approved)
        r.held += int(held)
        r.planned += int(planned)
        r.cancelled += int(cancelled)
    for sid, kind, approved, held in cohosts:
        r = row(sid)
        if approved:
            r.cohosted_by_kind[kind] = int(approved)
        r.cohosted_held += int(held)
    for sid, on_time, late_, unfiled, attendance, attendance_events in events:
        r = row(sid)
        r.major_on_time, r.major_late, r.major_unfiled = int(on_time), int(late_), int(unfiled)
        r.attendance, r.attendance_events = int(attendance), int(attendance_events)
    for r in rows.values():
        act = activity.get(r.society.id, Activity())
        r.last_held = act.last_held
        r.dormant = c.is_dormant(act.last_held, act.planned, now)
    result = [
        r for r in rows.values() if society_ids is not None or r.society.active or r.has_figures
    ]
    return sorted(result, key=lambda r: (r.society.name, r.society.id))


def series_progress(
    year: int,
    now: datetime,
    series: list[Series],
    societies: dict[int, SocietyRef],
    activity_order: dict[int, datetime | None] | None = None,
) -> list[SeriesProgress]:
    """Progress, pace, sessions and host rotation of the given series (three queries)."""
    if not series:
        return []
    rules = Rules(now)
    ids = [s.id for s in series]
    months = _series_months(year, rules, ids)
    sessions = _series_sessions(year, rules, ids, societies)
    rotation = _rotation(year, rules, ids)
    active = [s for s in societies.values() if s.active]
    recency = activity_order or {}
    out = []
    for s in series:
        hosts = rotation.get(s.id, {})
        progress = SeriesProgress(s, months[s.id], sessions.get(s.id, []))
        progress.hosts = _host_counts(hosts, societies, 0)
        progress.hosts_last_year = _host_counts(hosts, societies, 1)
        this_year = {h for h, (n, _) in hosts.items() if n}
        progress.waiting_since_last_year = [
            societies[h]
            for h, (n, last) in hosts.items()
            if last and h not in this_year and societies[h].active
        ]
        never = [x for x in active if x.id not in hosts]
        # Most recently active first: the likeliest next hosts lead the list.
        never.sort(key=lambda x: _recency_key(recency.get(x.id)))
        progress.never_hosted = never[:NEVER_HOSTED_SHOWN]
        progress.never_hosted_total = len(never)
        out.append(progress)
    return out


def _recency_key(last: datetime | None):
    return (last is None, -(last.timestamp() if last else 0))


def _host_counts(hosts: dict, societies: dict, which: int) -> list[HostCount]:
    counts = [HostCount(societies[h], n[which]) for h, n in hosts.items() if n[which]]
    return sorted(counts, key=lambda hc: (-hc.sessions, hc.society.name))


def campaign_participation(
    year: int, now: datetime, societies: dict[int, SocietyRef]
) -> list[CampaignParticipation]:
    """Campaigns whose window touches the year, with participation (two queries)."""
    campaigns = _campaigns(year)
    taking_part = _participation([x.id for x in campaigns], Rules(now))
    active_by: dict[tuple, int] = defaultdict(int)
    for s in societies.values():
        if s.active:
            active_by[(s.kind, s.city)] += 1
    out = []
    for campaign in campaigns:
        part = taking_part.get(campaign.id, {})
        by_kind = _shares(part, active_by, lambda key: key[0])
        by_city = _shares(part, active_by, lambda key: key[1])
        out.append(
            CampaignParticipation(
                campaign, sum(part.values()), sum(active_by.values()), by_kind, by_city
            )
        )
    return out


def _shares(part: dict, active: dict, pick) -> list[Share]:
    taking, total = defaultdict(int), defaultdict(int)
    for key, n in active.items():
        total[pick(key)] += n
    for key, n in part.items():
        taking[pick(key)] += n
    shares = [Share(k, taking[k], total[k]) for k in total]
    return sorted(shares, key=lambda s: (-s.active, str(s.key)))


def build_dashboard(
    year: int,
    now: datetime,
    series_id: int | None = None,
    society_id: int | None = None,
    with_campaigns: bool = True,
) -> Dashboard:
    """Everything the quota dashboard and the API show, in ten queries: the series (one, or
    the active ones and those with sessions in the year), the societies (one, or all), the
    campaigns touching the year, and the dormant societies."""
    societies = all_societies()
    activity = _activity(Rules(now))
    wanted = [society_id] if society_id is not None else None
    figures = society_years(year, now, societies, wanted, activity)
    recency = {sid: a.last_held for sid, a in activity.items()}
    series = _series_list([series_id] if series_id else None)
    progress = series_progress(year, now, series, societies, recency)
    if series_id is None:  # inactive series only when they have sessions this year
        progress = [p for p in progress if p.series.active or p.sessions]
    dormant = sorted(
        (f for f in figures if f.dormant and f.society.active),
        key=lambda f: (f.last_held is not None, f.last_held or now, f.society.name),
    )
    campaigns = campaign_participation(year, now, societies) if with_campaigns else []
    return Dashboard(year, now, progress, campaigns, dormant, figures)


def allowances(year: int, society_id: int) -> list[Allowance]:
    """Remaining sessions per active series for one host, as the conflict engine counts
    them (submitted, approved and completed sessions; two queries)."""
    start, end = c.year_bounds(year, local_zone())
    booked = dict(
        db.session.execute(
            _occurrences()
            .add_columns(Occurrence.series_id, sa.func.count())
            .where(
                Occurrence.host_id == society_id,
                Occurrence.series_id.is_not(None),
                _in_range(start, end),
                Rules(clock()).booked,
            )
            .group_by(Occurrence.series_id)
        ).all()
    )
    series = db.session.scalars(
        sa.select(Series).where(Series.active.is_(True)).order_by(Series.id)
    ).all()
    return [Allowance(s, int(booked.get(s.id, 0))) for s in series]


def history(year: int, society_id: int, years: int = HISTORY_YEARS):
    """Approved sessions per year and kind as host, and as co-host, for the ``years`` years
    up to ``year`` (two queries): ({year: {kind: n}}, {year: n})."""
    tz = local_zone()
    span = list(range(year - years + 1, year + 1))
    bounds = [c.year_bounds(y, tz)[0] for y in span] + [c.year_bounds(year, tz)[1]]
    year_label = _bucket(Occurrence.start_at, bounds, span)
    in_span = sa.and_(
        _in_range(bounds[0], bounds[-1]),
        Occurrence.cancelled.is_(False),
        Event.status.in_(c.APPROVED_STATUSES),
    )
    hosted_inner = (
        _occurrences()
        .add_columns(year_label.label("year"), Event.kind.label("kind"))
        .where(in_span, Occurrence.host_id == society_id)
        .subquery()
    )
    cohosted_inner = (
        _occurrences()
        .join(event_cohosts, event_cohosts.c.event_id == Event.id)
        .add_columns(year_label.label("year"))
        .where(in_span, event_cohosts.c.society_id == society_id)
        .subquery()
    )
    hosted: dict[int, dict] = {y: {} for y in span}
    for y, kind, n in db.session.execute(
        sa.select(hosted_inner.c.year, hosted_inner.c.kind, sa.func.count()).group_by(
            hosted_inner.c.year, hosted_inner.c.kind
        )
    ):
        hosted[y][EventKind(kind)] = n
    cohosted = dict.fromkeys(span, 0)
    for y, n in db.session.execute(
        sa.select(cohosted_inner.c.year, sa.func.count()).group_by(cohosted_inner.c.year)
    ):
        cohosted[y] = n
    return hosted, cohosted


def society_events(year: int, society_id: int) -> list[Event]:
    """The society's events starting in the year, as host or co-host (one query)."""
    start, end = c.year_bounds(year, local_zone())
    cohosted = sa.select(event_cohosts.c.event_id).where(event_cohosts.c.society_id == society_id)
    return list(
        db.session.scalars(
            sa.select(Event)
            .where(
                sa.or_(Event.host_id == society_id, Event.id.in_(cohosted)),
                Event.start_at >= start,
                Event.start_at < end,
            )
            .order_by(Event.start_at, Event.id)
        )
    )
