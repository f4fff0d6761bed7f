"""The campaign form: fields and labels only; the campaign service parses and validates."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from ..enums import EventKind
from ..timeutil import to_local
from .models import CampaignKind


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CampaignForm(FlaskForm):
    name = StringField(_l("Name"))
    slug = StringField(_l("Slug (in addresses; made from the name when empty)"))
    kind = SelectField(
        _l("Kind"), choices=[(k.value, k.label) for k in CampaignKind], validate_choice=False
    )
    theme = StringField(_l("Theme"))
    description = TextAreaField(_l("Description"))
    start_date = StringField(_l("First day"))
    end_date = StringField(_l("Last day"))
    launch_at = StringField(_l("Unified launch (local date and time; empty: none)"))
    participation_target = StringField(
        _l("Participation target (share of active societies, e.g. 60%)")
    )
    event_kinds = CheckboxesField(
        _l("Kinds of events it contains (none ticked: any)"),
        choices=[(k.value, k.label) for k in EventKind],
        validate_choice=False,
    )

    def service_data(self) -> dict:
        return {
            name: field.data
            for name, field in self._fields.items()
            if name != "csrf_token" and not (name == "slug" and not field.data)
        }

    def fill(self, campaign) -> None:
        self.name.data, self.slug.data = campaign.name, campaign.slug
        self.kind.data = campaign.kind.value
        self.theme.data, self.description.data = campaign.theme, campaign.description
        self.start_date.data = campaign.start_date.isoformat()
        self.end_date.data = campaign.end_date.isoformat()
        launch = campaign.launch_at
        self.launch_at.data = to_local(launch).strftime("%Y-%m-%dT%H:%M") if launch else ""
        share = campaign.participation_target
        self.participation_target.data = "" if share is None else f"{share * 100:g}%"
        self.event_kinds.data = list(campaign.event_kinds or [])
