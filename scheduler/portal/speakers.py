"""Adding a speaker from the event form: editors and organizers create a Person through the
people service (name, title, affiliation only). The form's dialog posts here and gets JSON;
without JavaScript a plain page does the same and returns to the form."""

import math
from datetime import timedelta
from urllib.parse import urlencode

import limits
import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from .. import directory_input as di
from ..audit.models import AuditEntry
from ..database import lock_keys
from ..errors import BadInput, Conflict, RequestError, TooManyRequests
from ..extensions import db
from ..people import service as people
from ..people.models import Person
from ..security import safe_next
from ..types import utcnow

FIELDS = ("name", "title", "affiliation")


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _return_to() -> str:
    """The form to go back to: a portal event form, else a new one."""
    target = safe_next(request.values.get("next"))
    if target and target.startswith("/portal/events/"):
        return target
    return url_for("portal.new_event")


def add_speaker(data: dict) -> tuple[Person, bool]:
    """The new person, or the active one already listed with that name and affiliation
    (reused: True). An inactive namesake is refused: organizers re-activate people."""
    values = {name: di.text(data.get(name, ""), name, 200) for name in FIELDS}
    if not values["name"]:
        raise BadInput(_("Give the speaker's name."), field="name")
    same = db.session.scalar(
        sa.select(Person).where(
            Person.name == values["name"], Person.affiliation == values["affiliation"]
        )
    )
    if same is not None and same.active:
        return same, True
    if same is not None:
        raise Conflict(
            _(
                "%(name)s of %(affiliation)s is in the directory but no longer active; "
                "ask an organizer to re-activate them.",
                name=same.name,
                affiliation=same.affiliation or "—",
            ),
            field="name",
        )
    return di.write(_create_person, values, current_user), False


def _create_person(values: dict, by) -> Person:
    _refuse_too_many(by)
    return people.create_person(values, by)


def _refuse_too_many(user) -> None:
    """Editors add at most SPEAKER_CREATE_LIMIT new people ("30 per hour"), counted from the
    audit trail inside the write (serialized per user), so every worker sees one count."""
    if user.is_organizer:
        return
    limit = limits.parse(current_app.config["SPEAKER_CREATE_LIMIT"])
    lock_keys("speaker_additions", [user.id])
    window = timedelta(seconds=limit.get_expiry())
    now = utcnow()
    added, oldest = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(AuditEntry.at)).where(
            AuditEntry.entity_type == "person", AuditEntry.action == "create",
            AuditEntry.actor_id == user.id, AuditEntry.at > now - window,
        )
    ).one()  # fmt: skip
    if added >= limit.amount:
        # One more is allowed when the oldest counted addition leaves the window.
        wait = math.ceil((oldest + window - now).total_seconds())
        raise TooManyRequests(
            _("You have added %(n)s new speakers in the last %(minutes)s minutes; choose "
              "listed ones or try again later.", n=added, minutes=limit.get_expiry() // 60),
            retry_after=wait,
        )  # fmt: skip


def _label(person: Person) -> str:
    return person.name + (f"（{person.title}）" if person.title else "")


def new_speaker():
    back = _return_to()
    if request.method == "GET":
        return render_template("portal/speaker.html", values={}, back=back, error=None)
    data = {name: request.form.get(name, "") for name in FIELDS}
    try:
        person, reused = add_speaker(data)
    except RequestError as exc:
        if _wants_json():
            return jsonify({"error": exc.message, "field": exc.field}), exc.status, exc.headers()
        page = render_template("portal/speaker.html", values=data, back=back, error=exc)
        return page, exc.status, exc.headers()
    if reused:
        message = _("%(name)s is already in the list: chosen.", name=person.name)
    else:
        message = _("Speaker %(name)s added.", name=person.name)
    if _wants_json():
        body = {"slug": person.slug, "label": _label(person), "reused": reused, "message": message}
        return jsonify(body), 200 if reused else 201
    flash(message, "ok")
    separator = "&" if "?" in back else "?"
    return redirect(back + separator + urlencode({"speaker": person.slug}))


def register(bp: Blueprint) -> None:
    """Hang the speaker form on the portal blueprint (endpoint portal.new_speaker)."""
    bp.add_url_rule("/speakers/new", view_func=new_speaker, methods=["GET", "POST"])
