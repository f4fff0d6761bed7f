"""Public pages: the calendar (list and month views), event pages, /healthz."""

import calendar as pycalendar
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Blueprint, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import directory_input as di
from ..accounts.models import User
from ..audit.service import trail
from ..campaigns.models import Campaign
from ..enums import Audience, EventKind
from ..errors import BadInput, NotFound
from ..events.models import Event
from ..events.queries import (
    get_public_event,
    list_occurrences,
    occurrences_by_day,
    parse_filters,
)
from ..events.workflow import may_manage
from ..extensions import db
from ..feeds.links import google_event_link, subscribe_links, webcal_url
from ..health import UNREACHABLE, database_state
from ..hosts import absolute_url
from ..jobs.lease import NAME as LEASE_NAME
from ..jobs.models import SchedulerLease
from ..series.models import Series
from ..societies.models import Society
from ..timeutil import local_day_range, local_today, local_zone
from ..types import utcnow
from ..venues.models import Venue
from .navigation import (
    VIEWS,
    around,
    calendar_url,
    day_labels,
    day_marks,
    filter_args,
    legend,
    search_url,
    view_links,
)
from .occurrences import date_lines

bp = Blueprint("public", __name__)

LIST_LIMIT = 200
# A day cell shows this many events and links to the day's list for the rest.
MONTH_PER_DAY = 4
WEEK_PER_DAY = 12
# Up to this many active societies the filter is a drop-down, beyond it a text field.
SOCIETY_CHOICES = 300


def _filter_choices() -> dict:
    """Options for the filter form: one query per list, independent of the number of events."""
    return {
        "kinds": list(EventKind),
        "audiences": list(Audience),
        "series": db.session.execute(sa.select(Series.slug, Series.name).order_by(Series.id)).all(),
        # A drop-down while it stays short; a nation's thousands get a text field instead.
        "societies": _short_list(
            sa.select(Society.slug, Society.name)
            .where(Society.active.is_(True))
            .order_by(Society.name)
        ),
        "cities": sorted(c for c in db.session.scalars(sa.select(Venue.city).distinct()) if c),
    }


def _short_list(stmt) -> list | None:
    """The rows of ``stmt`` if there are at most SOCIETY_CHOICES, else None."""
    rows = db.session.execute(stmt.limit(SOCIETY_CHOICES + 1)).all()
    return rows if len(rows) <= SOCIETY_CHOICES else None


def _parse_month(value: str | None) -> date:
    if not value:
        today = local_today()
        return date(today.year, today.month, 1)
    try:
        year, month = (int(p) for p in value.split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise BadInput(_("month must look like 2026-10."), field="month") from None
    return _in_range(first, "month")


def _parse_week(value: str | None) -> date:
    """The Monday of the week containing the given day (default: this week)."""
    try:
        day = date.fromisoformat(value) if value else local_today()
    except ValueError:
        raise BadInput(_("week must be a date like 2026-10-12."), field="week") from None
    day = _in_range(day, "week")
    return day - timedelta(days=day.weekday())


def _parse_day(value: str | None, first: date, last: date) -> date | None:
    """The day chosen inside the shown month (``day=2031-06-17``), or None."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadInput(_("day must be a date like 2026-10-12."), field="day") from None
    if not first <= day <= last:
        raise BadInput(_("day must be a day of the month shown."), field="day")
    return day


def _in_range(day: date, name: str) -> date:
    """The calendar pages the years the events may have (MIN_YEAR to MAX_YEAR)."""
    di.event_year(day.year, name)
    return day


@bp.get("/")
def calendar():
    # A month argument alone means the month view.
    view = request.args.get("view") or ("month" if request.args.get("month") else "list")
    if view not in VIEWS:
        raise BadInput(_("view must be list, week or month."), field="view")
    filters = parse_filters(request.args)
    chosen = filter_args(request.args)
    today = local_today()
    if view == "month":
        context, anchor = _month_view(filters, chosen, today)
    elif view == "week":
        context, anchor = _week_view(filters, chosen)
    else:
        context, anchor = _list_view(filters, today)
    shown = [row for rows in context["by_day"].values() for row in rows]
    context.update(
        view=view,
        choices=_filter_choices(),
        args=request.args,
        chosen=chosen,
        filter_count=sum(len(values) for values in chosen.values()),
        links=view_links(view, anchor, today, chosen),
        search_url=search_url(),
        legend=legend(shown),
        campaigns=_campaign_banners(today),
        subscribe=subscribe_links(request.args, _("Science events")),
        today=today,
        getting_started=_getting_started(),
    )
    context.update(_row_helpers(chosen))
    return render_template("public/calendar.html", **context)


def _month_view(filters, chosen: dict, today: date) -> tuple[dict, date]:
    first = _parse_month(request.args.get("month"))
    last = date(first.year, first.month, pycalendar.monthrange(first.year, first.month)[1])
    month_days = [first + timedelta(days=n) for n in range(last.day)]
    by_day, totals = occurrences_by_day(filters, month_days, MONTH_PER_DAY)
    weeks = pycalendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    before, after = around(first, "month")
    context = {
        "month": first,
        "weeks": weeks,
        "by_day": by_day,
        "totals": totals,
        "marks": day_marks(weeks[0][0], weeks[-1][-1]),
        "day_labels": day_labels(month_days),
        "prev_url": calendar_url("month", before, chosen),
        "next_url": calendar_url("month", after, chosen),
    }
    # The chosen day: the one given (from the week or the list), else today while the month
    # holds it, else the month's first day.
    chosen_day = _parse_day(request.args.get("day"), first, last)
    return context, chosen_day or (today if first <= today <= last else first)


def _week_view(filters, chosen: dict) -> tuple[dict, date]:
    monday = _parse_week(request.args.get("week"))
    days = [monday + timedelta(days=n) for n in range(7)]
    by_day, totals = occurrences_by_day(filters, days, WEEK_PER_DAY)
    before, after = around(monday, "week")
    context = {
        "weeks": [days],
        "by_day": by_day,
        "totals": totals,
        "week_start": monday,
        "marks": day_marks(days[0], days[-1]),
        "day_labels": day_labels(days),
        "prev_url": calendar_url("week", before, chosen),
        "next_url": calendar_url("week", after, chosen),
    }
    chosen_day = date.fromisoformat(request.args["week"]) if request.args.get("week") else monday
    return context, chosen_day


def _list_view(filters, today: date) -> tuple[dict, date]:
    if filters.start is None:
        filters.start = local_day_range(today, today)[0]
    occurrences = list_occurrences(filters, limit=LIST_LIMIT)
    days: dict[date, list] = {}
    tz = local_zone()
    for occ in occurrences:
        days.setdefault(occ.start_at.astimezone(tz).date(), []).append(occ)
    first = filters.start.astimezone(tz).date()
    marks = day_marks(min(days), max(days)) if days else {}
    context = {"by_day": days, "marks": marks, "truncated": len(occurrences) >= LIST_LIMIT}
    return context, first


def _campaign_banners(today: date) -> list[tuple]:
    """The running and next campaigns (at most three) with their feeds' webcal links."""
    campaigns = db.session.scalars(
        sa.select(Campaign).where(Campaign.end_date >= today).order_by(Campaign.start_date).limit(3)
    ).all()
    return [
        (c, webcal_url(absolute_url("feeds.scoped", kind="campaigns", slug=c.slug)))
        for c in campaigns
    ]


def _row_helpers(chosen: dict) -> dict:
    """What every shown occurrence needs, built once per page instead of once per row: the
    kinds' labels and the links' prefixes (url_for and a translation per row add up)."""
    return {
        "kind_labels": {kind: str(kind.label) for kind in EventKind},
        "event_url": url_for("public.event_page", event_id=0).removesuffix("0"),
        "day_list_url": url_for("public.calendar", view="list", **chosen),
    }


@bp.after_request
def vary_on_language(response):
    """Without a chosen language a page follows the browser's (scheduler.select_locale):
    shared caches must keep one copy per Accept-Language."""
    response.vary.add("Accept-Language")
    return response


def _getting_started() -> str | None:
    """On a database without accounts or without events, what to do next (else None)."""
    has_users, has_events = db.session.execute(
        sa.select(sa.exists(sa.select(User.id)), sa.exists(sa.select(Event.id)))
    ).one()
    if not has_users:
        return "no_users"
    return None if has_events else "no_events"


@bp.get("/events/<int:event_id>")
def event_page(event_id: int):
    found = get_public_event(event_id)
    if found is None:
        raise NotFound(_("Event %(id)s does not exist.", id=event_id))
    event, page = found
    # The host society and organizers also see the event's history here.
    history = trail("event", event.id) if may_manage(current_user, event) else None
    google = google_event_link(event, absolute_url("public.event_page", event_id=event.id))
    dates, more = date_lines(event) if event.is_recurring else ([], 0)
    return render_template(
        "public/event.html",
        event=event,
        page=page,
        trail=history,
        google=google,
        dates=dates,
        more_dates=more,
    )


@bp.get("/healthz")
def healthz():
    """Always JSON: 200 "ok"; 503 "unreachable" (no database) or "not_migrated" (init-db)."""
    state = database_state()
    if state.status == UNREACHABLE:
        return jsonify({"status": state.status, "database": "unreachable"}), 503
    if not state.ok:
        body = {"status": state.status, "database": "ok", "revision": state.revision}
        return jsonify({**body, "head": state.head, "message": state.message}), 503
    # The scheduler is healthy while some process holds a lease that has not expired.
    lease = db.session.get(SchedulerLease, LEASE_NAME)
    scheduler = "ok" if lease is not None and lease.expires_at > utcnow() else "missing"
    return jsonify({"status": "ok", "database": "ok", "scheduler": scheduler})
