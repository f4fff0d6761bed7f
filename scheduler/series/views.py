"""Series pages for organizers (/admin/series): list, new, edit, (de)activate, delete.

Changes go through the series service; each refusal is shown next to its field.
"""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from .. import directory_input as di
from ..accounts.access import organizer_only
from ..admin.directory_forms import save_form
from ..campaigns.models import Campaign
from ..errors import RequestError
from ..extensions import db
from ..societies.models import Society
from ..venues.models import Venue
from . import service
from .forms import WEEKDAY_NAMES, SeriesForm
from .models import Series
from .schemas import SeriesInput

bp = Blueprint("series_admin", __name__, url_prefix="/admin/series")


bp.before_request(organizer_only)


def _series(slug: str) -> Series:
    series = db.session.scalar(sa.select(Series).where(Series.slug == slug))
    if series is None:
        abort(404)
    return series


def _choices(form: SeriesForm, series: Series | None) -> None:
    """Active venues and societies (and the series' own, even if inactive), all campaigns."""
    venue = series.default_venue if series else None
    venues = db.session.scalars(
        sa.select(Venue).where(Venue.active.is_(True)).order_by(Venue.city, Venue.name)
    ).all()
    form.default_venue.choices = [("", _("none"))] + [
        (v.slug, f"{v.city} · {v.name} ({v.capacity})")
        for v in [*venues, *([venue] if venue is not None and venue not in venues else [])]
    ]
    host = series.fixed_host if series else None
    societies = db.session.scalars(
        sa.select(Society).where(Society.active.is_(True)).order_by(Society.name)
    ).all()
    form.fixed_host.choices = [("", _("none"))] + [
        (s.slug, s.name)
        for s in [*societies, *([host] if host is not None and host not in societies else [])]
    ]
    campaigns = db.session.scalars(sa.select(Campaign).order_by(Campaign.start_date.desc()))
    form.inside_campaign.choices = [("", _("no campaign"))] + [(c.slug, c.name) for c in campaigns]


def _save(form: SeriesForm, change, *args):
    return save_form(form, SeriesInput, change, *args)


def _page(form: SeriesForm, series: Series | None, error=None, status: int = 200):
    _choices(form, series)
    return render_template(
        "admin/series/form.html",
        form=form,
        series=series,
        error=error,
        weekday_names=WEEKDAY_NAMES,
    ), status


@bp.get("")
def list_series():
    stmt = sa.select(Series).options(
        selectinload(Series.default_venue), selectinload(Series.fixed_host)
    )
    if not request.args.get("inactive"):
        stmt = stmt.where(Series.active.is_(True))
    rows = db.session.scalars(stmt.order_by(Series.name, Series.id).limit(500)).all()
    return render_template("admin/series/list.html", rows=rows, args=request.args)


@bp.route("/new", methods=["GET", "POST"])
def new_series():
    form = SeriesForm()
    if request.method == "GET":
        return _page(form, None)
    saved, error = _save(form, service.create_series)
    if saved is not None:
        flash(_("Saved."), "ok")
        return redirect(url_for("series_admin.edit_series", slug=saved.slug))
    return _page(form, None, error, 400)


@bp.route("/<slug>", methods=["GET", "POST"])
def edit_series(slug: str):
    series = _series(slug)
    form = SeriesForm()
    if request.method == "GET":
        form.fill(series, service.planning_of(series))
        return _page(form, series)
    saved, error = _save(form, service.update_series, series)
    if saved is not None:
        flash(_("Saved."), "ok")
        return redirect(url_for("series_admin.edit_series", slug=saved.slug))
    return _page(form, _series(slug), error, 400)


@bp.post("/<slug>/active")
def set_active(slug: str):
    series = _series(slug)
    try:
        active = di.boolean(request.form.get("active", ""), "active")
        di.write(service.set_series_active, series, active, current_user)
        flash(_("Reactivated.") if active else _("Deactivated."), "ok")
    except RequestError as exc:
        flash(exc.message, "error")
    if request.form.get("back") == "list":
        return redirect(url_for("series_admin.list_series", inactive=1))
    return redirect(url_for("series_admin.edit_series", slug=slug))


@bp.post("/<slug>/delete")
def delete_series(slug: str):
    try:
        di.write(service.delete_series, _series(slug), current_user)
    except RequestError as exc:
        flash(exc.message, "error")
        return redirect(url_for("series_admin.edit_series", slug=slug))
    flash(_("Deleted."), "ok")
    return redirect(url_for("series_admin.list_series"))
