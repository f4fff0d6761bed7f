"""The shell's second half: run a plan and store it, accept it, undo it.

Running writes only the plan (a draft) — never the calendar. Accepting turns the plan's
sessions into events through the workflow, in one transaction: new sessions are created,
submitted and approved (the approval's audit entry names the plan, "plan #12"); accepted
sessions that re-planning moved are updated; anything refused rolls everything back.
Undo removes the events the plan created through the workflow (approved ones are cancelled
first, so hosts are told), and puts moved sessions back, so the calendar is as it was before.
Hosts get one summary per society of each accept and undo (``signals.Summary``).

Both lock the plan row, its series (by id) and its events in that order and check the plan's
status there: of two racing requests the later one gets 409 and writes nothing, and a plan
made before another plan of the same series was accepted or undone is refused as stale.
"""

from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ..audit.service import record
from ..database import lock_keys, serialized_writes
from ..enums import SLOT_HOLDING_STATUSES, EventStatus
from ..errors import BadInput, Conflict
from ..events import workflow
from ..events.conflicts import finding_to_json
from ..events.models import Event, Occurrence
from ..events.signals import Summary
from ..extensions import db
from ..i18n import N_
from ..people.models import Person
from ..series.models import Series
from ..societies.models import Society
from ..timeutil import local_day_range, local_zone
from ..types import utcnow
from ..venues.models import Venue
from .core import verify
from .core.types import PlanInputError
from .load import Request, campaign_in_year, load_instance
from .models import HostApplication, Plan, PlanSession, PlanStatus, SeriesPlanning, SolverStatus
from .phrases import phrase_all


class PlanRefused(Conflict):
    """The plan cannot be accepted or undone now (409)."""


def _stale(plan_id: int, why: str) -> str:
    return _(
        "The calendar changed since plan #%(id)s was made (%(why)s); run the planner again.",
        id=plan_id,
        why=why,
    )


def plan_reason(plan: Plan) -> str:
    return f"plan #{plan.id}"


# --- run ------------------------------------------------------------------------------------


def _solver():
    """The solver module, loaded at the first plan: OR-Tools (with numpy and pandas) takes
    about a second to import, which no web worker or scheduler process pays at start."""
    from .core import solve

    return solve


def run_plan(request: Request, by, now: datetime | None = None) -> Plan:
    """Solve and store a draft plan. Input that cannot be planned raises BadInput and
    writes nothing."""
    now = now or utcnow()
    loaded = load_instance(request, now)
    try:
        result = _solver().solve(loaded.instance, request.time_limit, request.seed)
    except PlanInputError as exc:
        db.session.rollback()
        raise BadInput(" ".join(phrase_all(r.to_json() for r in exc.reasons))) from None
    inst = loaded.instance
    found = list(verify.check_plan(inst, result.assignments, loaded.bookings, _))
    conflicts = [
        {"session": n, **finding_to_json(f)} for n, c in enumerate(found) for f in c.conflicts
    ]
    plan = Plan(
        year=request.year,
        series_slugs=[s.slug for s in request.series],
        status=PlanStatus.DRAFT,
        time_limit=request.time_limit,
        seed=request.seed,
        solver_status=SolverStatus(result.status if result.status != "invalid" else "unknown"),
        objective=result.objective,
        best_bound=result.best_bound,
        gap=result.gap,
        wall_seconds=round(result.wall_seconds, 2),
        score=result.score,
        stats=result.stats,
        explanation=[r.to_json() for r in result.reasons],
        notes=[r.to_json() for r in result.notes],
        pins=request.pins,
        holidays_official=inst.calendar.official,
        conflicts=conflicts,
        created_by_id=getattr(by, "id", None),
        created_at=now,
    )
    for a in result.assignments:
        plan.sessions.append(
            PlanSession(
                series_id=a.series_id,
                position=a.position,
                start_at=a.start,
                end_at=a.end,
                venue_id=a.venue_id,
                host_id=a.host_id,
                explanation=[r.to_json() for r in a.reasons],
                pinned_date=a.pinned_date,
                pinned_host=a.pinned_host,
                pinned_venue=a.pinned_venue,
                change=a.change,
                replaces_event_id=a.incumbent.event_id if a.incumbent else None,
            )
        )
    # The solve ran inside a read transaction; on SQLite that snapshot cannot become a write
    # once another process (the scheduler's lease, a submission) has committed meanwhile, so
    # the plan is saved in a transaction of its own that takes the write lock first.
    with serialized_writes():
        db.session.add(plan)
        db.session.commit()
    return plan


# --- accept ---------------------------------------------------------------------------------


def _local(value: datetime) -> str:
    # With its offset: an event kept in its own zone reads naive times in that zone.
    return value.astimezone(local_zone()).isoformat(timespec="minutes")


def _titles(plan: Plan, sessions: list[PlanSession]) -> dict[int, str]:
    """ "岭南科学论坛 2027年第3期": numbered by date among the series' sessions of the year."""
    first, last = local_day_range(date(plan.year, 1, 1), date(plan.year, 12, 31))
    replaced = {s.replaces_event_id for s in sessions if s.replaces_event_id}
    series_ids = {s.series_id for s in sessions}
    starts: dict[int, list] = {sid: [] for sid in series_ids}
    for sid, start, event_id in db.session.execute(
        sa.select(Occurrence.series_id, Occurrence.start_at, Occurrence.event_id)
        .join(Event, Event.id == Occurrence.event_id)
        .where(
            Occurrence.series_id.in_(series_ids),
            Occurrence.start_at >= first,
            Occurrence.start_at < last,
            Occurrence.cancelled.is_(False),
            Event.status.in_(SLOT_HOLDING_STATUSES),
        )
    ):
        if event_id not in replaced:
            starts[sid].append(start)
    for s in sessions:
        starts[s.series_id].append(s.start_at)
    names = {s.series_id: s.series.name for s in sessions}
    out = {}
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        for s in sessions:
            n = sorted(starts[s.series_id]).index(s.start_at) + 1
            out[s.id] = _(
                "%(series)s %(year)s, session %(n)s", series=names[s.series_id], year=plan.year, n=n
            )
    return out


def _speakers(plan: Plan) -> dict[tuple[int, int], list[str]]:
    """(series id, host id) -> the slugs of the speakers the host proposed."""
    out = {}
    rows = db.session.scalars(
        sa.select(HostApplication).where(
            HostApplication.year == plan.year,
            HostApplication.series_id.in_({s.series_id for s in plan.sessions}),
        )
    ).all()
    ids = {p for a in rows for p in a.speaker_ids or [] if isinstance(p, int)}
    slugs = (
        dict(db.session.execute(sa.select(Person.id, Person.slug).where(Person.id.in_(ids))).all())
        if ids
        else {}
    )
    for a in rows:
        out[(a.series_id, a.society_id)] = [slugs[p] for p in a.speaker_ids or [] if p in slugs]
    return out


def _lock_speakers(speakers: dict[tuple[int, int], list[str]]) -> None:
    """Lock every speaker the new sessions will hold at once, in ascending id order, so
    this transaction never waits for a speaker while holding another one's lock."""
    slugs = {slug for row in speakers.values() for slug in row}
    if slugs:
        lock_keys("speaker", db.session.scalars(sa.select(Person.id).where(Person.slug.in_(slugs))))


def _campaign_slugs(plan: Plan) -> dict[int, str]:
    """Series id -> slug of the campaign its sessions must fall inside (tag the events)."""
    from ..campaigns.models import Campaign

    plannings = db.session.scalars(
        sa.select(SeriesPlanning).where(
            SeriesPlanning.series_id.in_({s.series_id for s in plan.sessions}),
            SeriesPlanning.inside_campaign_id.is_not(None),
        )
    ).all()
    if not plannings:
        return {}
    campaigns = db.session.scalars(
        sa.select(Campaign)
        .where(
            Campaign.start_date <= date(plan.year, 12, 31),
            Campaign.end_date >= date(plan.year, 1, 1),
        )
        .order_by(Campaign.start_date, Campaign.id)
    ).all()
    out = {}
    for p in plannings:
        campaign = campaign_in_year(p.inside_campaign, plan.year, campaigns)
        if campaign is not None:
            out[p.series_id] = campaign.slug
    return out


def _lock_plan(plan: Plan, seen: PlanStatus, wanted: PlanStatus, message: str) -> None:
    """Re-read the plan and its sessions under a row lock and lock its series; refuse
    (409) unless it is ``wanted`` now."""
    db.session.execute(
        sa.select(Plan)
        .where(Plan.id == sa.inspect(plan).identity[0])
        .with_for_update(of=Plan)
        .options(selectinload(Plan.sessions))
        .execution_options(populate_existing=True)
    ).scalar_one()
    if plan.status != wanted:
        if plan.status != seen:
            raise PlanRefused(
                _("Plan #%(id)s was changed meanwhile: it is now %(status)s.",
                  id=plan.id, status=plan.status.label)
            )  # fmt: skip
        raise PlanRefused(message)
    lock_keys("series", (s.series_id for s in plan.sessions))


def _lock_events(event_ids) -> dict[int, Event]:
    """The plan's existing events, re-read under row locks (ascending ids)."""
    if not event_ids:
        return {}
    rows = db.session.scalars(
        sa.select(Event)
        .where(Event.id.in_(event_ids))
        .order_by(Event.id)
        .with_for_update(of=Event)
        .execution_options(populate_existing=True)
    )
    return {e.id: e for e in rows}


def _refuse_if_stale(plan: Plan) -> None:
    """A plan is made against the calendar of its day: once another plan of one of its
    series was accepted or undone after it was made, its sessions may double what that
    plan did or refer to events it removed."""
    later = db.session.scalar(
        sa.select(Plan.id)
        .join(PlanSession, PlanSession.plan_id == Plan.id)
        .where(
            Plan.id != plan.id,
            Plan.year == plan.year,
            PlanSession.series_id.in_({s.series_id for s in plan.sessions}),
            sa.or_(Plan.accepted_at > plan.created_at, Plan.undone_at > plan.created_at),
        )
        .order_by(Plan.id)
        .limit(1)
    )
    if later is not None:
        why = _("plan #%(id)s changed the same series", id=later)
        raise PlanRefused(_stale(plan.id, why))


def accept_plan(plan: Plan, by, now: datetime | None = None) -> Plan:
    """Create (or move) the plan's events, approved, in one transaction."""
    now = now or utcnow()
    plan_id, seen = plan.id, plan.status
    try:
        with workflow.batch(Summary(N_("Plan #%(id)s accepted"), {"id": plan_id})):
            _lock_plan(plan, seen, PlanStatus.DRAFT,
                       _("Plan #%(id)s is %(status)s; only draft plans can be accepted.",
                         id=plan.id, status=plan.status.label))  # fmt: skip
            _check_acceptable(plan)
            reason = plan_reason(plan)
            sessions = list(plan.sessions)
            events = _lock_events(sorted({s.replaces_event_id for s in sessions} - {None}))
            titles = _titles(plan, sessions)
            speakers = _speakers(plan)
            _lock_speakers(speakers)
            campaigns = _campaign_slugs(plan)
            moved = [s for s in sessions if s.change == "moved"]
            workflow.release_slots([s.replaces_event_id for s in moved])
            for s in sessions:
                if s.change == "kept":
                    _still_held(events.get(s.replaces_event_id))
                    s.event_id = s.replaces_event_id
                elif s.change == "moved":
                    _move(s, by, reason)
                else:
                    _create(s, by, reason, titles[s.id], speakers, campaigns, now)
            plan.status = PlanStatus.ACCEPTED
            plan.accepted_at = now
            record("plan", plan.id, "accept", by, {"sessions": len(sessions)}, reason)
    except workflow.TransitionRefused as exc:
        raise PlanRefused(_stale(plan_id, exc.message)) from None
    return plan


def _check_acceptable(plan: Plan) -> None:
    if not plan.found:
        raise PlanRefused(_("Plan #%(id)s has no sessions to accept.", id=plan.id))
    if plan.conflicts:
        raise PlanRefused(
            _("Plan #%(id)s has conflicts with the calendar and cannot be accepted.", id=plan.id)
        )
    _refuse_if_stale(plan)


def _still_held(event: Event | None) -> None:
    if event is None or event.status not in SLOT_HOLDING_STATUSES:
        raise workflow.TransitionRefused(_("an accepted session was cancelled meanwhile"))


def _create(s: PlanSession, by, reason, title, speakers, campaigns, now) -> None:
    body = {
        "title": title,
        "kind": s.series.kind.value,
        "series": s.series.slug,
        "host": s.host.slug,
        "venue": s.venue.slug,
        "start": _local(s.start_at),
        "end": _local(s.end_at),
        "expected_attendance": s.series.expected_attendance,
        "speakers": speakers.get((s.series_id, s.host_id), []),
    }
    if s.series_id in campaigns:
        body["campaign"] = campaigns[s.series_id]
    with db.session.begin_nested():
        event = workflow.create_event(body, by, now).event
        workflow.submit(event, by, now)
        workflow.approve(event, by, reason, now=now)
    s.event_id = event.id


def _move(s: PlanSession, by, reason) -> None:
    event = db.session.get(Event, s.replaces_event_id)
    _still_held(event)
    s.previous = {
        "start": event.start_at.astimezone(UTC).isoformat(),
        "end": event.end_at.astimezone(UTC).isoformat(),
        "venue": event.venue.slug if event.venue else None,
        "host": event.host.slug,
    }
    body = {
        "start": _local(s.start_at),
        "end": _local(s.end_at),
        "venue": s.venue.slug,
        "host": s.host.slug,
    }
    with db.session.begin_nested():
        workflow.update_event(event, body, by, plan_note=({"plan": s.plan_id}, reason))
    s.event_id = event.id


# --- undo -----------------------------------------------------------------------------------


def undo_plan(plan: Plan, by, now: datetime | None = None) -> Plan:
    """Take an accepted plan off the calendar in one step."""
    now = now or utcnow()
    plan_id, seen = plan.id, plan.status
    try:
        with workflow.batch(Summary(N_("Plan #%(id)s undone"), {"id": plan_id})):
            _lock_plan(plan, seen, PlanStatus.ACCEPTED, _("Only an accepted plan can be undone."))
            _undo_locked(plan, by, now)
    except workflow.TransitionRefused as exc:
        raise PlanRefused(
            _("Plan #%(id)s cannot be undone: %(why)s", id=plan_id, why=exc.message)
        ) from None
    return plan


def _undo_locked(plan: Plan, by, now: datetime) -> None:
    event_ids = {s.event_id for s in plan.sessions if s.event_id}
    later = db.session.scalar(
        sa.select(Plan.id)
        .join(PlanSession, PlanSession.plan_id == Plan.id)
        .where(
            Plan.id != plan.id,
            Plan.status == PlanStatus.ACCEPTED,
            PlanSession.replaces_event_id.in_(event_ids),
        )
        .limit(1)
    )
    if later is not None:
        raise PlanRefused(
            _("Plan #%(later)s re-planned these sessions; undo plan #%(later)s first.", later=later)
        )
    created = [s for s in plan.sessions if s.change == "new" and s.event_id]
    events = _lock_events(sorted(event_ids))
    if any(
        events[s.event_id].status == EventStatus.COMPLETED or events[s.event_id].end_at <= now
        for s in plan.sessions
        if s.event_id in events and s.change != "kept"
    ):
        raise PlanRefused(
            _("Some sessions of this plan have already taken place; it cannot be undone.")
        )
    reason = _("undo plan #%(id)s", id=plan.id)
    for s in created:
        event = events.get(s.event_id)
        if event is None:
            continue
        workflow.remove_planned(event, by, reason, plan.id)
        s.event_id = None
    db.session.flush()
    moved = [s for s in plan.sessions if s.change == "moved" and s.previous]
    workflow.release_slots([s.event_id for s in moved])
    for s in moved:
        event = events[s.event_id]
        body = {
            "start": _local(datetime.fromisoformat(s.previous["start"])),
            "end": _local(datetime.fromisoformat(s.previous["end"])),
            "venue": s.previous["venue"],
            "host": s.previous["host"],
        }
        with db.session.begin_nested():
            workflow.update_event(event, body, by, plan_note=({"undo": plan.id}, reason))
    plan.status = PlanStatus.UNDONE
    plan.undone_at = now
    record("plan", plan.id, "undo", by, {"events": len(created)}, reason)


# --- reading --------------------------------------------------------------------------------


def get_plan(plan_id: int) -> Plan:
    from ..errors import NotFound

    plan = db.session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(_("Plan %(id)s does not exist.", id=plan_id))
    return plan


def names_for(plan: Plan) -> dict:
    """Rows the plan's sessions refer to, loaded at once (series, venues, hosts)."""
    ids = {"series": set(), "venue": set(), "host": set()}
    for s in plan.sessions:
        ids["series"].add(s.series_id)
        ids["venue"].add(s.venue_id)
        ids["host"].add(s.host_id)
    return {
        "series": {
            r.id: r
            for r in db.session.scalars(sa.select(Series).where(Series.id.in_(ids["series"])))
        },
        "venue": {
            r.id: r for r in db.session.scalars(sa.select(Venue).where(Venue.id.in_(ids["venue"])))
        },
        "host": {
            r.id: r
            for r in db.session.scalars(sa.select(Society).where(Society.id.in_(ids["host"])))
        },
    }
