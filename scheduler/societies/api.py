"""Society writes of the JSON API (organizers, bearer token); reads are in api/directory.py."""

import sqlalchemy as sa
from flask import Blueprint, jsonify
from flask_babel import gettext as _

from .. import directory_input as di
from ..api.directory import society_to_json
from ..api.request import json_body, organizer_token
from ..errors import NotFound
from ..extensions import db
from . import service
from .models import Society

bp = Blueprint("societies", __name__)  # nested under the API blueprint: api.societies.*


def society_or_404(slug: str) -> Society:
    society = db.session.scalar(sa.select(Society).where(Society.slug == slug))
    if society is None:
        raise NotFound(_("No society with the slug %(slug)s.", slug=slug[:80]))
    return society


@bp.post("/societies")
def create_society():
    user = organizer_token()
    society = di.write(service.create_society, json_body(), user)
    return jsonify(society_to_json(society, private=True)), 201


@bp.patch("/societies/<slug>")
def update_society(slug: str):
    user = organizer_token()
    society = di.write(service.update_society, society_or_404(slug), json_body(), user)
    return jsonify(society_to_json(society, private=True))


@bp.delete("/societies/<slug>")
def delete_society(slug: str):
    user = organizer_token()
    di.write(service.delete_society, society_or_404(slug), user)
    return "", 204
