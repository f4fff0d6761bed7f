"""Campaign writes of the JSON API (organizers, bearer token); reads are in
api/directory.py."""

import sqlalchemy as sa
from flask import Blueprint, jsonify
from flask_babel import gettext as _

from .. import directory_input as di
from ..api.directory import campaign_to_json
from ..api.request import json_body, organizer_token
from ..errors import NotFound
from ..extensions import db
from . import service
from .models import Campaign

bp = Blueprint("campaigns", __name__)  # nested under the API blueprint: api.campaigns.*


def campaign_or_404(slug: str) -> Campaign:
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        raise NotFound(_("No campaign with the slug %(slug)s.", slug=slug[:80]))
    return campaign


@bp.post("/campaigns")
def create_campaign():
    user = organizer_token()
    campaign = di.write(service.create_campaign, json_body(), user)
    return jsonify(campaign_to_json(campaign)), 201


@bp.patch("/campaigns/<slug>")
def update_campaign(slug: str):
    user = organizer_token()
    campaign = di.write(service.update_campaign, campaign_or_404(slug), json_body(), user)
    return jsonify(campaign_to_json(campaign))


@bp.delete("/campaigns/<slug>")
def delete_campaign(slug: str):
    user = organizer_token()
    di.write(service.delete_campaign, campaign_or_404(slug), user)
    return "", 204
