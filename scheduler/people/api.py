"""People writes of the JSON API (organizers, bearer token); reads are in api/directory.py."""

import sqlalchemy as sa
from flask import Blueprint, jsonify
from flask_babel import gettext as _

from .. import directory_input as di
from ..api.directory import person_to_json
from ..api.request import json_body, organizer_token
from ..errors import NotFound
from ..extensions import db
from . import service
from .models import Person

bp = Blueprint("people", __name__)  # nested under the API blueprint: api.people.*


def person_or_404(slug: str) -> Person:
    person = db.session.scalar(sa.select(Person).where(Person.slug == slug))
    if person is None:
        raise NotFound(_("No person with the slug %(slug)s.", slug=slug[:80]))
    return person


@bp.post("/people")
def create_person():
    user = organizer_token()
    person = di.write(service.create_person, json_body(), user)
    return jsonify(person_to_json(person, private=True)), 201


@bp.patch("/people/<slug>")
def update_person(slug: str):
    user = organizer_token()
    person = di.write(service.update_person, person_or_404(slug), json_body(), user)
    return jsonify(person_to_json(person, private=True))


@bp.delete("/people/<slug>")
def delete_person(slug: str):
    user = organizer_token()
    di.write(service.delete_person, person_or_404(slug), user)
    return "", 204
