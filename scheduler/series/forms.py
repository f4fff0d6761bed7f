"""The series form: fields and labels only; the series service parses and validates.

Choices are filled per request (venues, societies, campaigns change); they are not checked
by WTForms (``validate_choice=False``) so that the service gives the one clear message.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..campaigns.models import CampaignKind
from ..enums import EventKind
from .models import HostMode

WEEKDAY_NAMES = (
    _l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
    _l("Saturday"), _l("Sunday"),
)  # fmt: skip


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _select(label, **kw) -> SelectField:
    return SelectField(label, choices=[], validate_choice=False, **kw)


class SeriesForm(FlaskForm):
    name = StringField(_l("Name"))
    slug = StringField(_l("Slug (in addresses; made from the name when empty)"))
    kind = SelectField(
        _l("Kind"), choices=[(k.value, k.label) for k in EventKind], validate_choice=False
    )
    description = TextAreaField(_l("Description"))
    cadence_rrule = StringField(_l("Cadence (repeat rule, RRULE)"))
    target_min = StringField(_l("Sessions a year: at least"), default="0")
    target_max = StringField(_l("Sessions a year: at most"), default="0")
    max_per_host = StringField(_l("Sessions a year per host society: at most"), default="1")
    min_spacing_days = StringField(_l("Days between sessions: at least"), default="0")
    duration_minutes = StringField(_l("Duration (minutes)"), default="180")
    default_start_time = StringField(_l("Start time"), default="14:30")
    time_slots = StringField(_l("Other start times the planner may use (e.g. 09:30, 14:30)"))
    expected_attendance = StringField(_l("Expected attendance"), default="0")
    preferred_weekdays = CheckboxesField(
        _l("Weekdays"), choices=[(str(n), name) for n, name in enumerate(WEEKDAY_NAMES)],
        validate_choice=False,
    )  # fmt: skip
    preferred_months = CheckboxesField(
        _l("Preferred months"), choices=[(str(m), str(m)) for m in range(1, 13)],
        validate_choice=False,
    )  # fmt: skip
    default_venue = _select(_l("Default venue"))
    city = StringField(_l("Sessions must be held in this city (empty: anywhere)"))
    avoid_holidays = BooleanField(_l("Avoid public holidays"), default=True)
    avoid_weekends = BooleanField(_l("Avoid weekends"))
    color = StringField(_l("Colour"), default="#1f6feb")
    host_mode = RadioField(
        _l("How hosts are chosen"),
        choices=[(m.value, m.label) for m in HostMode],
        default=HostMode.APPLICATIONS.value,
        validate_choice=False,
    )
    fixed_host = _select(_l("Fixed host"))
    inside_campaign = _select(_l("Sessions must fall inside this campaign"))
    at_launch = BooleanField(_l("The session is the campaign's unified launch"))
    avoid_campaigns = CheckboxesField(
        _l("Campaigns the series avoids"),
        choices=[(k.value, k.label) for k in CampaignKind],
        validate_choice=False,
    )

    def service_data(self) -> dict:
        """The fields as the series service's ``data`` (an empty slug: made from the name)."""
        return {
            name: field.data
            for name, field in self._fields.items()
            if name != "csrf_token" and not (name == "slug" and not field.data)
        }

    def fill(self, series, planning) -> None:
        """Show a series' current values."""
        for name, field in self._fields.items():
            if name == "csrf_token":
                continue
            source = planning if name in PLANNING_FORM_FIELDS else series
            value = getattr(source, name, None) if source is not None else None
            if hasattr(value, "slug"):
                value = value.slug
            if isinstance(field, BooleanField):
                field.data = bool(value)
            elif isinstance(field, SelectMultipleField):
                field.data = [str(v) for v in value or []]
            elif name == "time_slots":
                field.data = ", ".join(value or [])
            else:
                field.data = "" if value is None else str(getattr(value, "value", value))


PLANNING_FORM_FIELDS = ("time_slots", "city", "inside_campaign", "at_launch", "avoid_campaigns")
