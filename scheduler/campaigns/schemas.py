"""The campaign body of the API and the campaign pages, declared once: the service validates
with it and the API document is derived from it."""

import re
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from flask_babel import gettext as _
from pydantic import Field

from .. import directory_input as di
from ..enums import EventKind
from ..errors import BadInput
from ..limits import MAX_PLAN_YEAR, MIN_PLAN_YEAR
from ..timeutil import local_zone
from .models import MAX_NAME, MAX_THEME, CampaignKind

MAX_DESCRIPTION = 5000
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
PERCENT = re.compile(r"([0-9]{1,3}(\.[0-9]{1,6})?)\s*[%％]")


def parse_day(value, name: str) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        text = di.text(value, name, 10, required=True)
        try:
            value = date.fromisoformat(text) if ISO_DATE.fullmatch(text) else None
        except ValueError:
            value = None
    if value is None or not MIN_PLAN_YEAR <= value.year <= MAX_PLAN_YEAR:
        raise BadInput(_("%(field)s must be a date such as 2027-10-01.", field=name), field=name)
    return value


def parse_launch(value, name: str) -> datetime | None:
    """A local date-time ("2027-10-08T09:30", the association's time zone) as aware UTC."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, datetime):
        text = di.text(value, name, 25)
        try:
            value = datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError:
            value = None
    if value is None or not MIN_PLAN_YEAR <= value.year <= MAX_PLAN_YEAR:
        raise BadInput(
            _("%(field)s must be a local date and time such as 2027-10-08T09:30.", field=name),
            field=name,
        )
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_zone())
    return value.astimezone(UTC)


def parse_share(value, name: str) -> float | None:
    """A share of 0..1, or a percentage such as "60%"."""
    if isinstance(value, str) and PERCENT.fullmatch(value.strip()):
        number = float(PERCENT.fullmatch(value.strip()).group(1))
        if number > 100:
            raise BadInput(
                _(
                    "%(field)s must be between %(low)s and %(high)s.",
                    field=name,
                    low="0%",
                    high="100%",
                ),
                field=name,
            )
        return number / 100
    return di.decimal(value, name, 0, 1)


def parse_event_kinds(value, name: str) -> list[str]:
    items = value.replace("，", ",").split(",") if isinstance(value, str) else value
    if items is None:
        return []
    if not isinstance(items, list | tuple):
        raise BadInput(_("%(field)s must be a list.", field=name), field=name)
    kinds = {di.choice(v, name, EventKind).value for v in items if str(v).strip()}
    return [k for k in EventKind.values() if k in kinds]


Day = Annotated[date, di.checked(parse_day)]


class CampaignInput(di.Body):
    """A new campaign needs name, kind, start_date and end_date; a change sends only what
    changes. launch_at is a local date-time inside the window; participation_target a share
    0..1 or a percentage such as '60%'."""

    name: di.Text(MAX_NAME, required=True) = None
    slug: di.Slug = None
    kind: di.Choice(CampaignKind) = None
    theme: di.Text(MAX_THEME) = None
    description: di.Text(MAX_DESCRIPTION) = None
    start_date: Day = None
    end_date: Day = None
    launch_at: Annotated[
        datetime | None,
        di.checked(parse_launch),
        Field(description="Local date-time of the unified launch; null or '' for none."),
    ] = None
    participation_target: Annotated[
        Annotated[float, Field(ge=0, le=1)] | None,
        di.checked(parse_share),
        Field(description="A share 0..1, or a percentage such as '60%'."),
    ] = None
    event_kinds: Annotated[
        list[Literal[tuple(EventKind.values())]],  # type: ignore[valid-type]
        di.checked(parse_event_kinds),
        Field(description="Event kinds the campaign contains (empty: any)."),
    ] = None
