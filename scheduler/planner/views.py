"""Planner pages: /admin/planner for organizers (choose, run, preview, pin, accept, undo,
settings) and /portal/applications where societies apply to host."""

import calendar as cal
from collections import defaultdict
from datetime import date, datetime, time

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..campaigns.models import Campaign, CampaignKind
from ..enums import SLOT_HOLDING_STATUSES
from ..errors import BadInput, RequestError, fail
from ..events.models import Event, Occurrence
from ..extensions import db
from ..people.models import Person
from ..series.models import Series
from ..societies.models import Society
from ..timeutil import local_day_range, local_today, to_local
from ..venues import service as venues_service
from ..venues.models import Venue
from . import applications as apps
from .apply import PlanRefused, accept_plan, get_plan, names_for, run_plan, undo_plan
from .load import parse_request
from .models import Plan, SeriesPlanning, VenueClosure
from .phrases import CHANGE_LABELS, explain_session, not_planned, phrase_all
from .schemas import parse_year

bp = Blueprint("planner", __name__)


@bp.before_request
@login_required
def require_login():
    if request.path.startswith("/admin/") and not current_user.is_organizer:
        fail(403, _("Only organizers may open this page."))


def _year_arg() -> int:
    raw = request.values.get("year")
    return parse_year(raw) if raw else local_today().year + 1


def _active_series() -> list[Series]:
    return list(
        db.session.scalars(sa.select(Series).where(Series.active.is_(True)).order_by(Series.id))
    )


# --- choosing and running -------------------------------------------------------------------


@bp.get("/admin/planner")
def planner(error: RequestError | None = None, chosen=None, status: int = 200):
    year = _year_arg()
    series = _active_series()
    applications = defaultdict(list)
    for app in apps.list_applications(year, current_user):
        applications[app.series_id].append(app)
    plans = db.session.scalars(
        sa.select(Plan).order_by(Plan.created_at.desc(), Plan.id.desc()).limit(20)
    ).all()
    return render_template(
        "admin/planner.html",
        year=year,
        series=series,
        chosen=set(chosen) if chosen is not None else {s.slug for s in series if s.target_max},
        applications=applications,
        plans=plans,
        error=error,
        time_limit=request.values.get("time_limit", "30"),
    ), status


def _pins_from_form(form) -> list[dict]:
    """Pins ticked in a plan's table ("<session id>:date|host|venue"), plus one pin typed in
    (extra_series, extra_start, extra_host, extra_venue)."""
    wanted = defaultdict(set)
    for value in form.getlist("pin"):
        session_id, _sep, what = value.partition(":")
        if session_id.isdigit() and what in ("date", "host", "venue"):
            wanted[int(session_id)].add(what)
    pins = []
    if wanted and form.get("plan_id", "").isdigit():
        plan = get_plan(int(form["plan_id"]))
        names = names_for(plan)
        for s in plan.sessions:
            what = wanted.get(s.id)
            if not what:
                continue
            pin = {"series": names["series"][s.series_id].slug}
            if "date" in what:
                pin["start"] = to_local(s.start_at).strftime("%Y-%m-%dT%H:%M")
            if "host" in what:
                pin["host"] = names["host"][s.host_id].slug
            if "venue" in what:
                pin["venue"] = names["venue"][s.venue_id].slug
            pins.append(pin)
    extra = {
        key: form.get(f"extra_{key}", "").strip() for key in ("series", "start", "host", "venue")
    }
    if extra["series"] and any(extra[k] for k in ("start", "host", "venue")):
        pins.append({k: v for k, v in extra.items() if v})
    return pins


@bp.post("/admin/planner/run")
def run():
    form = request.form
    body = {
        "year": form.get("year"),
        "series": form.getlist("series"),
        "time_limit": form.get("time_limit") or None,
        "pins": _pins_from_form(form),
    }
    try:
        if not body["series"]:
            raise BadInput(_("Choose at least one series."), field="series")
        plan = run_plan(parse_request(body), current_user)
    except RequestError as exc:
        return planner(error=exc, chosen=body["series"], status=exc.status)
    return redirect(url_for("planner.show_plan", plan_id=plan.id))


# --- one plan -------------------------------------------------------------------------------


def _plan_series(plan: Plan) -> list[Series]:
    """The plan's series that still exist."""
    slugs = list(plan.series_slugs or [])
    return list(db.session.scalars(sa.select(Series).where(Series.slug.in_(slugs))))


def _existing_sessions(plan: Plan) -> list[dict]:
    """Sessions of the plan's series already on the calendar (not taken over by the plan)."""
    first, last = local_day_range(date(plan.year, 1, 1), date(plan.year, 12, 31))
    series_ids = [s.id for s in _plan_series(plan)]
    mine = {s.event_id for s in plan.sessions if s.event_id}
    mine |= {s.replaces_event_id for s in plan.sessions if s.replaces_event_id}
    rows = db.session.execute(
        sa.select(Occurrence.start_at, Occurrence.series_id, Event.id, Event.title)
        .join(Event, Event.id == Occurrence.event_id)
        .where(
            Occurrence.series_id.in_(series_ids),
            Occurrence.start_at >= first,
            Occurrence.start_at < last,
            Occurrence.cancelled.is_(False),
            Event.status.in_(SLOT_HOLDING_STATUSES),
        )
        .order_by(Occurrence.start_at)
    ).all()
    return [
        {"start": r.start_at, "series_id": r.series_id, "title": r.title, "event_id": r.id}
        for r in rows
        if r.id not in mine
    ]


def _months(plan: Plan, names: dict, existing: list[dict], replaced: dict) -> list[dict]:
    """Twelve small month grids: planned sessions (new, moved, unchanged), the dates moved
    sessions leave, and the series' other sessions already on the calendar."""
    marks = defaultdict(list)
    for s in plan.sessions:
        series = names["series"][s.series_id]
        marks[to_local(s.start_at).date()].append(
            {"kind": s.change, "color": series.color, "label": series.name}
        )
        old = replaced.get(s.replaces_event_id)
        if s.change == "moved" and old is not None:
            marks[to_local(old).date()].append(
                {"kind": "was", "color": series.color, "label": series.name}
            )
    for e in existing:
        series = names["series"].get(e["series_id"])
        marks[to_local(e["start"]).date()].append(
            {"kind": "existing", "color": series.color if series else "#999", "label": e["title"]}
        )
    out = []
    for month in range(1, 13):
        weeks = []
        for week in cal.Calendar(firstweekday=0).monthdatescalendar(plan.year, month):
            weeks.append(
                [{"day": d, "other": d.month != month, "marks": marks.get(d, [])} for d in week]
            )
        out.append({"first": date(plan.year, month, 1), "weeks": weeks})
    return out


@bp.get("/admin/planner/plans/<int:plan_id>")
def show_plan(plan_id: int, error: str | None = None, status: int = 200):
    plan = get_plan(plan_id)
    names = names_for(plan)
    for s in _plan_series(plan):
        names["series"].setdefault(s.id, s)
    existing = _existing_sessions(plan)
    replaced_ids = [s.replaces_event_id for s in plan.sessions if s.replaces_event_id]
    replaced = {}
    if replaced_ids:
        for s in plan.sessions:
            if s.previous:
                replaced[s.replaces_event_id] = _parse_utc(s.previous["start"])
        for event_id, start in db.session.execute(
            sa.select(Event.id, Event.start_at).where(Event.id.in_(replaced_ids))
        ):
            replaced.setdefault(event_id, start)
    counts = defaultdict(int)
    for s in plan.sessions:
        counts[s.change] += 1
    return render_template(
        "admin/planner_plan.html",
        plan=plan,
        names=names,
        months=_months(plan, names, existing, replaced),
        existing=existing,
        replaced=replaced,
        counts=counts,
        explanation=phrase_all(plan.explanation),
        notes=phrase_all(n for n in plan.notes or [] if n.get("code") != "not_planned"),
        unplanned=not_planned(plan.notes),
        explain=explain_session,
        change_labels=CHANGE_LABELS,
        error=error,
        societies=db.session.scalars(
            sa.select(Society).where(Society.active.is_(True)).order_by(Society.name)
        ).all(),
        venues=db.session.scalars(
            sa.select(Venue).where(Venue.active.is_(True)).order_by(Venue.city, Venue.name)
        ).all(),
    ), status


def _parse_utc(value: str) -> datetime:
    return datetime.fromisoformat(value)


@bp.post("/admin/planner/plans/<int:plan_id>/accept")
def accept(plan_id: int):
    plan = get_plan(plan_id)
    try:
        accept_plan(plan, current_user)
    except PlanRefused as exc:
        db.session.rollback()
        return show_plan(plan_id, error=exc.message, status=exc.status)
    flash(_("Plan #%(id)s accepted: its sessions are on the calendar.", id=plan.id), "ok")
    return redirect(url_for("planner.show_plan", plan_id=plan.id))


@bp.post("/admin/planner/plans/<int:plan_id>/undo")
def undo(plan_id: int):
    plan = get_plan(plan_id)
    try:
        undo_plan(plan, current_user)
    except PlanRefused as exc:
        db.session.rollback()
        return show_plan(plan_id, error=exc.message, status=exc.status)
    flash(_("Plan #%(id)s undone: the calendar is as it was before.", id=plan.id), "ok")
    return redirect(url_for("planner.show_plan", plan_id=plan.id))


# --- settings: series planning and venue closures -------------------------------------------


@bp.route("/admin/planner/settings", methods=["GET", "POST"])
def settings():
    error = None
    if request.method == "POST":
        try:
            _save_settings(request.form)
            flash(_("Planner settings saved."), "ok")
            return redirect(url_for("planner.settings"))
        except RequestError as exc:
            db.session.rollback()
            error = exc
    series = _active_series()
    plannings = {p.series_id: p for p in db.session.scalars(sa.select(SeriesPlanning)).all()}
    closures = db.session.scalars(
        sa.select(VenueClosure).order_by(VenueClosure.first_day, VenueClosure.id)
    ).all()
    return render_template(
        "admin/planner_settings.html",
        series=series,
        plannings=plannings,
        campaigns=db.session.scalars(
            sa.select(Campaign).order_by(Campaign.start_date.desc())
        ).all(),
        campaign_kinds=list(CampaignKind),
        closures=closures,
        venues=db.session.scalars(
            sa.select(Venue).where(Venue.active.is_(True)).order_by(Venue.city, Venue.name)
        ).all(),
        error=error,
    ), 400 if error else 200


def _save_settings(form) -> None:
    action = form.get("action")
    if action == "series":
        series = db.session.scalar(sa.select(Series).where(Series.slug == form.get("series")))
        if series is None:
            raise BadInput(_("Unknown series: %(slugs)s.", slugs=form.get("series")), "series")
        slots = [t.strip() for t in form.get("time_slots", "").replace("，", ",").split(",")]
        slots = [t for t in slots if t]
        for t in slots:
            try:
                time.fromisoformat(t)
            except ValueError:
                raise BadInput(
                    _("Time slots are local start times such as 09:30, 14:30."), "time_slots"
                ) from None
        campaign_id = form.get("inside_campaign") or None
        if campaign_id and db.session.get(Campaign, int(campaign_id)) is None:
            raise BadInput(_("Unknown campaign."), "inside_campaign")
        avoid = [k for k in form.getlist("avoid_campaigns") if k in CampaignKind.values()]
        planning = db.session.scalar(
            sa.select(SeriesPlanning).where(SeriesPlanning.series_id == series.id)
        ) or SeriesPlanning(series_id=series.id)
        planning.time_slots = sorted(set(slots))
        planning.inside_campaign_id = int(campaign_id) if campaign_id else None
        planning.at_launch = bool(form.get("at_launch")) and bool(campaign_id)
        planning.avoid_campaigns = avoid
        planning.city = form.get("city", "").strip()[:80]
        db.session.add(planning)
    elif action == "add_closure":
        venue = db.session.scalar(sa.select(Venue).where(Venue.slug == form.get("venue")))
        if venue is None:
            raise BadInput(_("Unknown %(field)s: %(value)s.", field="venue",
                             value=form.get("venue")), "venue")  # fmt: skip
        days = {"first_day": form.get("first_day", ""), "reason": form.get("reason", "")}
        days["last_day"] = form.get("last_day", "") or days["first_day"]
        venues_service.create_closure(venue, days, current_user)
    elif action == "remove_closure":
        raw = form.get("closure", "")
        closure = (
            db.session.get(VenueClosure, int(raw)) if raw.isdigit() and len(raw) < 10 else None
        )
        if closure is not None:
            venues_service.delete_closure(closure, current_user)
    else:
        raise BadInput(_("The request is not valid."))
    db.session.commit()


# --- the society portal: applying to host ---------------------------------------------------


@bp.route("/portal/applications", methods=["GET", "POST"])
def applications_page():
    if not current_user.is_organizer and current_user.society is None:
        fail(403, _("Only society editors and organizers may apply."))
    year = _year_arg()
    error, status = None, 200
    if request.method == "POST":
        body = {
            "series": request.form.get("series", ""),
            "year": request.form.get("year"),
            "preferred_months": [int(m) for m in request.form.getlist("months") if m.isdigit()],
            "preferred_dates": _date_list(request.form.get("preferred_dates", "")),
            "unavailable_dates": _date_list(request.form.get("unavailable_dates", "")),
            "speakers": [s for s in request.form.getlist("speakers") if s],
            "note": request.form.get("note", ""),
        }
        if current_user.is_organizer:
            body["society"] = request.form.get("society", "")
        try:
            _app, created = apps.save_application(body, current_user)
            flash(
                _("Application sent.") if created else _("Application updated."),
                "ok",
            )
            return redirect(url_for("planner.applications_page", year=body["year"]))
        except RequestError as exc:
            db.session.rollback()
            error, status = exc, exc.status
    mine = apps.list_applications(year, current_user)
    return render_template(
        "portal/applications.html",
        year=year,
        series=_active_series(),
        applications=mine,
        people=db.session.scalars(sa.select(Person).order_by(Person.name)).all(),
        people_by_id={p.id: p for p in db.session.scalars(sa.select(Person))},
        societies=db.session.scalars(
            sa.select(Society).where(Society.active.is_(True)).order_by(Society.name)
        ).all()
        if current_user.is_organizer
        else [],
        error=error,
        form=request.form if error else {},
    ), status


def _date_list(text: str) -> list[str]:
    return [d.strip() for d in text.replace("，", ",").replace("\n", ",").split(",") if d.strip()]


@bp.post("/portal/applications/<int:app_id>/withdraw")
def withdraw_application(app_id: int):
    app = apps.get_application(app_id, current_user)
    year = app.year
    apps.withdraw_application(app, current_user)
    flash(_("Application withdrawn."), "ok")
    return redirect(url_for("planner.applications_page", year=year))
