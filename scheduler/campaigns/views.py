"""Campaign pages for organizers (/admin/campaigns): list, new, edit, delete.

Changes go through the campaign service; each refusal is shown next to its field.
"""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import directory_input as di
from ..admin.directory_forms import save_form
from ..errors import RequestError, fail
from ..extensions import db
from . import service
from .forms import CampaignForm
from .models import Campaign
from .schemas import CampaignInput

bp = Blueprint("campaigns_admin", __name__, url_prefix="/admin/campaigns")


@bp.before_request
@login_required
def require_organizer():
    if not current_user.is_organizer:
        fail(403, _("Only organizers may open this page."))


def _campaign(slug: str) -> Campaign:
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        abort(404)
    return campaign


def _save(form: CampaignForm, change, *args):
    return save_form(form, CampaignInput, change, *args)


def _page(form, campaign, error=None, status: int = 200):
    return render_template(
        "admin/campaigns/form.html", form=form, campaign=campaign, error=error
    ), status


@bp.get("")
def list_campaigns():
    rows = db.session.scalars(
        sa.select(Campaign).order_by(Campaign.start_date.desc(), Campaign.id).limit(500)
    ).all()
    return render_template("admin/campaigns/list.html", rows=rows)


@bp.route("/new", methods=["GET", "POST"])
def new_campaign():
    form = CampaignForm()
    if request.method == "GET":
        return _page(form, None)
    saved, error = _save(form, service.create_campaign)
    if saved is not None:
        flash(_("Saved."), "ok")
        return redirect(url_for("campaigns_admin.edit_campaign", slug=saved.slug))
    return _page(form, None, error, 400)


@bp.route("/<slug>", methods=["GET", "POST"])
def edit_campaign(slug: str):
    campaign = _campaign(slug)
    form = CampaignForm()
    if request.method == "GET":
        form.fill(campaign)
        return _page(form, campaign)
    saved, error = _save(form, service.update_campaign, campaign)
    if saved is not None:
        flash(_("Saved."), "ok")
        return redirect(url_for("campaigns_admin.edit_campaign", slug=saved.slug))
    return _page(form, _campaign(slug), error, 400)


@bp.post("/<slug>/delete")
def delete_campaign(slug: str):
    try:
        di.write(service.delete_campaign, _campaign(slug), current_user)
    except RequestError as exc:
        flash(exc.message, "error")
        return redirect(url_for("campaigns_admin.edit_campaign", slug=slug))
    flash(_("Deleted."), "ok")
    return redirect(url_for("campaigns_admin.list_campaigns"))
