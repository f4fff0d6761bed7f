"""The society's calendar sync page: register the .ics URL, see the last sync, sync now."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import RequestError
from ..extensions import db
from . import service
from .models import SyncMode, SyncOutcome

bp = Blueprint("calendar_sync", __name__, url_prefix="/societies/<slug>/calendar")


@bp.before_request
@login_required
def require_login():
    pass


def _society(slug: str):
    society = service.find_society(slug)
    service.require_manager(current_user, society)
    return society


def _render(society, values: dict | None = None, error: RequestError | None = None):
    source = service.source_of(society)
    if values is None and source is not None:
        values = {"url": source.url, "mode": source.mode.value, "active": source.active}
    elif values is None:
        values = {"url": "", "mode": SyncMode.DRAFT.value, "active": True}
    page = render_template(
        "calendar_sync/page.html",
        society=society,
        source=source,
        values=values,
        error=error,
        modes=list(SyncMode),
        labels=service.item_labels(),
    )
    return page, error.status if error else 200


@bp.get("")
def page(slug: str):
    return _render(_society(slug))


@bp.post("")
def save(slug: str):
    society = _society(slug)
    data = {
        "url": request.form.get("url", ""),
        "mode": request.form.get("mode", SyncMode.DRAFT.value),
        "active": "active" in request.form,
    }
    try:
        service.save_source(society, data, current_user)
    except RequestError as exc:
        db.session.rollback()
        return _render(society, data, exc)
    flash(_("The calendar address was saved."), "ok")
    return redirect(url_for(".page", slug=slug))


@bp.post("/sync")
def sync_now(slug: str):
    society = _society(slug)
    source = service.source_of(society)
    if source is None:
        flash(_("Register the calendar's address first."), "error")
        return redirect(url_for(".page", slug=slug))
    report = service.sync_source(source)
    if report.outcome == SyncOutcome.BUSY:
        flash(service.busy_message(), "error")
    elif report.outcome == SyncOutcome.FAILED:
        flash(_("The sync failed: %(error)s", error=report.error), "error")
    else:
        flash(_("Synced: %(outcome)s.", outcome=report.outcome.label), "ok")
    return redirect(url_for(".page", slug=slug))


@bp.post("/delete")
def delete(slug: str):
    society = _society(slug)
    try:
        service.delete_source(society, current_user)
    except RequestError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".page", slug=slug))
    flash(_("The calendar is no longer synced; its events stay as they are."), "ok")
    return redirect(url_for(".page", slug=slug))
