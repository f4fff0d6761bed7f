"""Forms of the directory pages: fields and labels only; the area services validate."""

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from pydantic import BaseModel
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from .. import directory_input as di
from ..errors import RequestError
from ..extensions import db
from ..societies.models import SocietyKind


class DirectoryForm(FlaskForm):
    """The fields' data as a service's ``data`` mapping (booleans as booleans, text as is)."""

    def service_data(self) -> dict:
        return {
            name: field.data
            for name, field in self._fields.items()
            if name != "csrf_token" and not (name == "slug" and not field.data)
        }


def save_form(form, schema: type[BaseModel], change: Callable, *args, labels=False):
    """Run a directory service call (``change(*args, data, by)``) from a submitted form, the
    one way every directory page saves: (row, None) when saved; (None, None) when refused, each
    refusal next to its field; (None, message) for a refusal that belongs to no field. The
    area's input model (``schema``) checks every field first, so each field shows its own
    problem; with ``labels`` a message names the field's label instead of its key."""
    if not form.validate_on_submit():
        return None, None
    data = form.service_data()
    names = {name: str(form[name].label.text) for name in data} if labels else {}
    with db.session.no_autoflush:
        problems = di.field_errors(schema, data, names)
    for name, message in problems.items():
        form[name].errors = [message]
    if problems:
        return None, None
    try:
        return di.write(change, *args, data, current_user), None
    except RequestError as exc:
        if exc.field in form._fields and exc.field != "csrf_token":
            form[exc.field].errors = [exc.message]
            return None, None
        return None, exc.message


class SocietyForm(DirectoryForm):
    name = StringField(_l("Name"))
    short_name = StringField(_l("Short name"))
    slug = StringField(_l("Slug (in addresses; made from the name when empty)"))
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, k.label) for k in SocietyKind])
    discipline = StringField(_l("Discipline"))
    city = StringField(_l("City"))
    contact_name = StringField(_l("Contact person"))
    contact_email = StringField(_l("Contact e-mail"))
    contact_phone = StringField(_l("Contact phone"))
    min_events_per_year = StringField(_l("Yearly minimum of hosted activities"), default="1")


class VenueForm(DirectoryForm):
    name = StringField(_l("Name"))
    slug = StringField(_l("Slug (in addresses; made from the name when empty)"))
    city = StringField(_l("City"))
    address = StringField(_l("Address"))
    capacity = StringField(_l("Capacity (seats)"))
    buffer_minutes = StringField(_l("Minutes kept free between bookings"), default="0")
    latitude = StringField(_l("Latitude"))
    longitude = StringField(_l("Longitude"))
    is_online = BooleanField(_l("Online (no hall)"))
    stream_url = StringField(_l("Stream URL"))


class PersonForm(DirectoryForm):
    name = StringField(_l("Name"))
    slug = StringField(_l("Slug (in addresses; made from the name when empty)"))
    title = StringField(_l("Title (e.g. academician, professor)"))
    affiliation = StringField(_l("Affiliation"))
    scarce = BooleanField(_l("Scarce expert (shared across the province)"))
    monthly_limit = StringField(_l("Monthly limit of bookings (scarce experts; empty: none)"))


class ClosureForm(FlaskForm):
    first_day = StringField(_l("First day"))
    last_day = StringField(_l("Last day"))
    reason = StringField(_l("Reason"))

    def service_data(self) -> dict:
        return {"first_day": self.first_day.data, "last_day": self.last_day.data,
                "reason": self.reason.data}  # fmt: skip


def fill_form(form: DirectoryForm, obj) -> None:
    """Show a row's current values (numbers as text, None as empty)."""
    for name, field in form._fields.items():
        if name == "csrf_token":
            continue
        value = getattr(obj, name, None)
        if isinstance(field, BooleanField):
            field.data = bool(value)
        elif isinstance(field, SelectField):
            field.data = getattr(value, "value", value)
        else:
            field.data = "" if value is None else str(value)
