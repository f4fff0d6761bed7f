"""Directory pages for organizers (/admin/directory): societies, venues with closures, people.

Each area is described once (AREAS) and gets the same pages: a searchable list, new and edit
forms, deactivate/reactivate and delete. Changes go through the area's service.
"""

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import directory_input as di
from ..accounts.access import organizer_only
from ..database import MAX_ID
from ..errors import RequestError
from ..extensions import db
from ..people import service as people
from ..people.models import Person
from ..people.schemas import PersonInput
from ..societies import service as societies
from ..societies.models import Society
from ..societies.schemas import SocietyInput
from ..venues import service as venues
from ..venues.models import MAX_REASON, Venue, VenueClosure
from ..venues.schemas import VenueInput
from .directory_forms import (
    ClosureForm,
    PersonForm,
    SocietyForm,
    VenueForm,
    fill_form,
    save_form,
)

bp = Blueprint("directory", __name__, url_prefix="/admin/directory")
MAX_ROWS = 500
MAX_QUERY = 80  # the list's search: longer text is cut


bp.before_request(organizer_only)


@dataclass(frozen=True)
class Area:
    name: str  # URL part and template key
    title: object
    model: type
    form: type
    schema: type  # the input model the service validates with
    create: Callable
    update: Callable
    set_active: Callable
    delete: Callable
    searched: tuple  # column names the search box looks in


AREAS = {
    "societies": Area(
        "societies", _l("Societies"), Society, SocietyForm, SocietyInput,
        societies.create_society, societies.update_society, societies.set_society_active,
        societies.delete_society, ("name", "short_name", "slug", "city", "discipline"),
    ),
    "venues": Area(
        "venues", _l("Venues"), Venue, VenueForm, VenueInput,
        venues.create_venue, venues.update_venue, venues.set_venue_active,
        venues.delete_venue, ("name", "slug", "city", "address"),
    ),
    "people": Area(
        "people", _l("People"), Person, PersonForm, PersonInput,
        people.create_person, people.update_person, people.set_person_active,
        people.delete_person, ("name", "slug", "title", "affiliation"),
    ),
}  # fmt: skip


def _area(area: str) -> Area:
    if area not in AREAS:
        abort(404)
    return AREAS[area]


def _row(area: Area, slug: str):
    row = db.session.scalar(sa.select(area.model).where(area.model.slug == slug))
    if row is None:
        abort(404)
    return row


@bp.get("")
def index():
    counts = {
        name: db.session.scalar(sa.select(sa.func.count()).select_from(a.model))
        for name, a in AREAS.items()
    }
    return render_template("admin/directory/index.html", areas=AREAS, counts=counts)


@bp.get("/<area>")
def list_rows(area: str):
    a = _area(area)
    stmt = sa.select(a.model)
    if not request.args.get("inactive"):
        stmt = stmt.where(a.model.active.is_(True))
    q = request.args.get("q", "").strip()[:MAX_QUERY]
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        stmt = stmt.where(
            sa.or_(*(getattr(a.model, c).ilike(pattern, escape="\\") for c in a.searched))
        )
    rows = db.session.scalars(stmt.order_by(a.model.name, a.model.id).limit(MAX_ROWS)).all()
    return render_template("admin/directory/list.html", area=a, rows=rows, q=q, args=request.args)


def _save(form, area: Area, change: Callable, *args):
    return save_form(form, area.schema, change, *args, labels=True)


def _form_page(area: Area, form, row=None, error=None, status=200):
    closures = venues.closures_of(row) if area.name == "venues" and row else []
    return render_template(
        "admin/directory/form.html",
        area=area,
        form=form,
        row=row,
        error=error,
        closures=closures,
        closure_form=ClosureForm(),
        max_reason=MAX_REASON,
    ), status


@bp.route("/<area>/new", methods=["GET", "POST"])
def new_row(area: str):
    a = _area(area)
    form = a.form()
    row, error = _save(form, a, a.create) if request.method == "POST" else (None, None)
    if row is not None:
        flash(_("Saved."), "ok")
        return redirect(url_for("directory.edit_row", area=area, slug=row.slug))
    return _form_page(a, form, error=error, status=400 if request.method == "POST" else 200)


@bp.route("/<area>/<slug>", methods=["GET", "POST"])
def edit_row(area: str, slug: str):
    a = _area(area)
    row = _row(a, slug)
    form = a.form()
    if request.method == "GET":
        fill_form(form, row)
        return _form_page(a, form, row)
    saved, error = _save(form, a, a.update, row)
    if saved is not None:
        flash(_("Saved."), "ok")
        return redirect(url_for("directory.edit_row", area=area, slug=saved.slug))
    return _form_page(a, form, _row(a, slug), error, 400)


def _simple_post(area: str, slug: str, action: Callable[[Area, object], str]):
    """A POST button (CSRF checked globally): run it, say what happened, go back."""
    a = _area(area)
    row = _row(a, slug)
    try:
        flash(action(a, row), "ok")
    except RequestError as exc:
        flash(exc.message, "error")
    if request.form.get("back") == "list":
        return redirect(url_for("directory.list_rows", area=area, inactive=1))
    return redirect(url_for("directory.edit_row", area=area, slug=slug))


@bp.post("/<area>/<slug>/active")
def set_active(area: str, slug: str):
    def change(a: Area, row) -> str:
        active = di.boolean(request.form.get("active", ""), "active")
        di.write(a.set_active, row, active, current_user)
        return _("Reactivated.") if active else _("Deactivated.")

    return _simple_post(area, slug, change)


@bp.post("/<area>/<slug>/delete")
def delete_row(area: str, slug: str):
    a = _area(area)
    try:
        di.write(a.delete, _row(a, slug), current_user)
    except RequestError as exc:
        flash(exc.message, "error")
        return redirect(url_for("directory.edit_row", area=area, slug=slug))
    flash(_("Deleted."), "ok")
    return redirect(url_for("directory.list_rows", area=area))


# --- venue closures ---------------------------------------------------------------------------


def _closure(venue: Venue, closure_id: int) -> VenueClosure:
    closure = db.session.get(VenueClosure, closure_id) if closure_id <= MAX_ID else None
    if closure is None or closure.venue_id != venue.id:
        abort(404)
    return closure


def _closure_post(slug: str, change: Callable[[Venue], object], done: str):
    venue = _row(AREAS["venues"], slug)
    try:
        di.write(change, venue)
        flash(done, "ok")
    except RequestError as exc:
        flash(exc.message, "error")
    return redirect(url_for("directory.edit_row", area="venues", slug=slug) + "#closures")


@bp.post("/venues/<slug>/closures")
def add_closure(slug: str):
    form = ClosureForm()
    return _closure_post(
        slug,
        lambda v: venues.create_closure(v, form.service_data(), current_user),
        _("Closure added."),
    )


@bp.post("/venues/<slug>/closures/<int:closure_id>")
def edit_closure(slug: str, closure_id: int):
    form = ClosureForm()
    return _closure_post(
        slug,
        lambda v: venues.update_closure(_closure(v, closure_id), form.service_data(), current_user),
        _("Closure saved."),
    )


@bp.post("/venues/<slug>/closures/<int:closure_id>/delete")
def delete_closure(slug: str, closure_id: int):
    return _closure_post(
        slug,
        lambda v: venues.delete_closure(_closure(v, closure_id), current_user),
        _("Closure deleted."),
    )
