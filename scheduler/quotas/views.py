"""Quota pages: the organizers' dashboard, exports and definitions under /admin/quotas, and
a society's own record under /societies/<slug>/record (its editors and organizers)."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.access import organizer_required
from ..campaigns.models import Campaign
from ..enums import EventKind
from ..errors import BadInput, RequestError, fail
from ..extensions import db
from ..feeds.service import LRU
from ..feeds.version import current_version, stamp_path
from ..planner.models import HostApplication
from ..series.models import Series
from . import definitions, figures, reports, service

bp = Blueprint("quotas", __name__)

# Long lists (societies below their minimum, dormant ones) show this many rows on the page;
# the CSV export has them all.
LIST_LIMIT = 50
DASHBOARDS = LRU(32)


def cached_dashboard(year: int, series_id: int | None, fresh=None) -> figures.Dashboard:
    """The dashboard's figures, computed again only when needed.

    A nation's figures aggregate every session of the year, so each worker keeps the last
    ones per (database, year, series) and reuses them while the data version is unchanged,
    and for QUOTA_DASHBOARD_STALE_SECONDS after a change (the page says when they were
    computed; ``?fresh=1`` recomputes). A moving clock recomputes at least every
    QUOTA_DASHBOARD_MAX_AGE_SECONDS, so "held" and "planned" stay current.
    """
    config = current_app.config
    key = (config["SQLALCHEMY_DATABASE_URI"], str(stamp_path(current_app)), year, series_id)
    now, version = service.clock(), current_version().token
    entry = DASHBOARDS.get(key)
    if entry is not None and not fresh:
        data, entry_version = entry
        age = (now - data.now).total_seconds()
        if 0 <= age <= config["QUOTA_DASHBOARD_MAX_AGE_SECONDS"] and (
            entry_version == version or age < config["QUOTA_DASHBOARD_STALE_SECONDS"]
        ):
            return data
    data = service.build_dashboard(year, now, series_id)
    DASHBOARDS.put(key, (data, version))
    return data


@bp.before_request
@login_required
def require_login():
    pass


@bp.after_request
def forget_figures_after_changes(response):
    """New targets show at once in this worker (others follow their data version)."""
    if request.method == "POST" and response.status_code < 400:
        DASHBOARDS.clear()
    return response


def pace_charts(dashboard: figures.Dashboard) -> dict:
    """What quota-charts.js draws: per series, cumulative sessions against the even pace."""
    return {
        "labels": service.month_labels(),
        "legend": {
            "counted": _("Held and planned (cumulative)"),
            "held": _("Held (cumulative)"),
            "pace": _("Even pace"),
        },
        "series": {
            p.series.slug: {
                "color": p.series.color,
                "counted": p.cumulative_counted,
                "held": p.cumulative_held,
                "pace": p.even_pace,
            }
            for p in dashboard.series
        },
    }


@bp.get("/admin/quotas")
@organizer_required
def dashboard():
    year = service.parse_year(request.args.get("year"))
    slug = request.args.get("series")
    series = service.find_series(slug) if slug else None
    data = cached_dashboard(year, series.id if series else None, request.args.get("fresh"))
    return render_template(
        "admin/quotas.html",
        d=data,
        list_limit=LIST_LIMIT,
        only_series=series,
        charts=pace_charts(data),
        progress_labels=figures.PROGRESS_LABELS,
        months=service.month_labels(),
        applications=application_counts(year),
        stale_seconds=current_app.config["QUOTA_DASHBOARD_STALE_SECONDS"],
    )


def application_counts(year: int) -> dict[int, int]:
    """Host applications for the year, per series id (read fresh, not cached)."""
    rows = db.session.execute(
        sa.select(HostApplication.series_id, sa.func.count())
        .where(HostApplication.year == year)
        .group_by(HostApplication.series_id)
    )
    return dict(rows.tuples().all())


@bp.get("/admin/quotas/export.csv")
@organizer_required
def export_csv():
    year = service.parse_year(request.args.get("year"))
    report = request.args.get("report", "societies")
    if report not in reports.CSV_REPORTS:
        raise BadInput(
            _("report must be one of: %(allowed)s.", allowed=", ".join(reports.CSV_REPORTS)),
            field="report",
        )
    body = reports.build_csv(year, service.clock(), report)
    return _download(body, f"evaluation-{year}-{report}.csv", "text/csv; charset=utf-8")


@bp.get("/admin/quotas/export.xlsx")
@organizer_required
def export_xlsx():
    year = service.parse_year(request.args.get("year"))
    body = reports.build_xlsx(year, service.clock())
    return _download(body, f"evaluation-{year}.xlsx", reports.XLSX_TYPE)


def _download(body: bytes, filename: str, content_type: str) -> Response:
    return Response(
        body,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- definitions ---------------------------------------------------------------------------


@bp.get("/admin/quotas/settings")
@organizer_required
def settings():
    return _render_settings()


def _render_settings(error: RequestError | None = None, status: int = 200):
    series = db.session.scalars(db.select(Series).order_by(Series.active.desc(), Series.id))
    campaigns = db.session.scalars(db.select(Campaign).order_by(Campaign.start_date.desc()))
    page = render_template(
        "admin/quotas_settings.html", series=list(series), campaigns=list(campaigns), error=error
    )
    return page, status


def _save_settings(update, target, saved: str):
    """Apply one settings form (series targets, a campaign's target) and come back to the
    settings page: with the error and nothing saved, or with ``saved`` flashed."""
    try:
        update(target, request.form, current_user)
    except RequestError as exc:
        db.session.rollback()
        return _render_settings(exc, exc.status)
    flash(saved)
    return redirect(url_for(".settings"))


@bp.post("/admin/quotas/series/<slug>")
@organizer_required
def update_series(slug: str):
    series = service.find_series(slug)
    return _save_settings(
        definitions.update_series_targets, series, _("Targets of %(name)s saved.", name=series.name)
    )


@bp.post("/admin/quotas/campaigns/<slug>")
@organizer_required
def update_campaign(slug: str):
    campaign = service.find_campaign(slug)
    saved = _("Participation target of %(name)s saved.", name=campaign.name)
    return _save_settings(definitions.update_campaign_target, campaign, saved)


@bp.post("/admin/quotas/societies/<slug>")
@organizer_required
def update_society(slug: str):
    society = service.find_society(slug)
    definitions.update_society_minimum(society, request.form, current_user)
    flash(_("Yearly minimum of %(name)s saved.", name=society.name))
    return redirect(url_for(".society_record", slug=society.slug))


# --- a society's record --------------------------------------------------------------------


@bp.get("/societies/<slug>/record")
def society_record(slug: str):
    society = service.find_society(slug)
    if not current_user.is_organizer and current_user.society_id != society.id:
        fail(403, _("Editors may only see their own society's record."))
    year = service.parse_year(request.args.get("year"))
    now = service.clock()
    figures = service.society_years(year, now, society_ids=[society.id])[0]
    hosted, cohosted = service.history(year, society.id)
    return render_template(
        "portal/record.html",
        society=society,
        year=year,
        figures=figures,
        allowances=service.allowances(year, society.id),
        hosted=hosted,
        cohosted=cohosted,
        events=service.society_events(year, society.id),
        kinds=list(EventKind),
    )
