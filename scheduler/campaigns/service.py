"""The one way in for changes of campaigns: create, update, (de)activate, delete.

Pages, the API and the CLI call these; values come JSON-typed or as strings and are parsed
here. Nothing here commits: the caller does.
"""

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import directory_input as parse
from ..audit.service import record
from ..enums import EventKind
from ..errors import BadInput, Conflict
from ..extensions import db
from ..series.models import Series, SeriesPlanning
from ..timeutil import local_zone, to_local
from .models import Campaign, CampaignKind

MIN_YEAR, MAX_YEAR = 2000, 2100
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
PERCENT = re.compile(r"([0-9]{1,3}(\.[0-9]{1,6})?)\s*[%％]")


def parse_day(value, name: str) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        text = parse.text(value, name, 10, required=True)
        try:
            value = date.fromisoformat(text) if ISO_DATE.fullmatch(text) else None
        except ValueError:
            value = None
    if value is None or not MIN_YEAR <= value.year <= MAX_YEAR:
        raise BadInput(_("%(field)s must be a date such as 2027-10-01.", field=name), field=name)
    return value


def parse_launch(value, name: str) -> datetime | None:
    """A local date-time ("2027-10-08T09:30", the association's time zone) as aware UTC."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, datetime):
        text = parse.text(value, name, 25)
        try:
            value = datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError:
            value = None
    if value is None or not MIN_YEAR <= value.year <= MAX_YEAR:
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
    return parse.decimal(value, name, 0, 1)


def parse_event_kinds(value, name: str) -> list[str]:
    items = value.replace("，", ",").split(",") if isinstance(value, str) else value
    if items is None:
        return []
    if not isinstance(items, list | tuple):
        raise BadInput(_("%(field)s must be a list.", field=name), field=name)
    kinds = {parse.choice(v, name, EventKind).value for v in items if str(v).strip()}
    return [k for k in EventKind.values() if k in kinds]


PARSERS = {
    "name": lambda v, n: parse.text(v, n, 200, required=True),
    "slug": lambda v, n: parse.slug(v, n),
    "kind": lambda v, n: parse.choice(v, n, CampaignKind),
    "theme": lambda v, n: parse.text(v, n, 300),
    "description": lambda v, n: parse.text(v, n, 5000),
    "start_date": parse_day,
    "end_date": parse_day,
    "launch_at": parse_launch,
    "participation_target": parse_share,
    "event_kinds": parse_event_kinds,
}


def _check_window(campaign: Campaign) -> None:
    if campaign.end_date < campaign.start_date:
        raise BadInput(_("The campaign must not end before it starts."), field="end_date")
    launch = campaign.launch_at
    if launch is None:
        return
    first = datetime.combine(campaign.start_date, time(0), local_zone())
    last = datetime.combine(campaign.end_date, time.max, local_zone())
    if not first <= launch <= last:
        raise BadInput(
            _(
                "The unified launch (%(launch)s) must lie inside the campaign, from "
                "%(first)s to %(last)s.",
                launch=to_local(launch).strftime("%Y-%m-%d %H:%M"),
                first=campaign.start_date.isoformat(),
                last=campaign.end_date.isoformat(),
            ),
            field="launch_at",
        )


def _apply(campaign: Campaign, data: Mapping[str, Any]) -> dict:
    values = parse.parse_fields(data, PARSERS)
    parse.refuse_name_or_slug_taken(
        Campaign,
        campaign,
        values,
        lambda name: _("A campaign named %(name)s already exists.", name=name),
        lambda slug: _("A campaign with the slug %(slug)s already exists.", slug=slug),
    )
    changes = parse.apply_values(campaign, values)
    _check_window(campaign)
    if "event_kinds" in values and campaign.id is not None:
        _check_series_inside(campaign)
    return changes


def _check_series_inside(campaign: Campaign) -> None:
    """Series planned inside the campaign must be of a kind it contains (their sessions are
    tagged with it)."""
    if not campaign.event_kinds:
        return
    names = parse.first_names(
        sa.select(Series.name)
        .join(SeriesPlanning, SeriesPlanning.series_id == Series.id)
        .where(
            SeriesPlanning.inside_campaign_id == campaign.id,
            Series.kind.not_in([EventKind(k) for k in campaign.event_kinds]),
        )
        .order_by(Series.name)
    )
    if names:
        raise BadInput(
            _(
                "Series of other kinds must fall inside %(name)s (%(series)s): add their "
                "kinds or change their planner settings first.",
                name=campaign.name,
                series=_(", ").join(names),
            ),
            field="event_kinds",
        )


def create_campaign(data: Mapping[str, Any], by) -> Campaign:
    parse.require(data, ("name", "kind", "start_date", "end_date"))
    data = parse.without_empty_slug(data)
    campaign = Campaign(theme="", description="", event_kinds=[])
    with db.session.no_autoflush:
        changes = _apply(campaign, data)
        if not campaign.slug:
            campaign.slug = parse.slug_from_name(Campaign, campaign.name, "campaign")
            changes["slug"] = [None, campaign.slug]
    parse.flush_unique(
        campaign, _("A campaign with the slug %(slug)s already exists.", slug=campaign.slug)
    )
    record("campaign", campaign.id, "create", by, changes=changes)
    return campaign


def update_campaign(campaign: Campaign, data: Mapping[str, Any], by) -> Campaign:
    with db.session.no_autoflush:
        changes = _apply(campaign, data)
    parse.flush_unique(
        campaign, _("A campaign with the slug %(slug)s already exists.", slug=campaign.slug)
    )
    if changes:
        record("campaign", campaign.id, "update", by, changes=changes)
    return campaign


def set_campaign_active(campaign: Campaign, active: bool, by) -> None:
    """Campaigns have no active flag: a campaign ends with its window. Kept for the
    directory contract; asking to deactivate one is refused with that reason."""
    if not active:
        raise BadInput(_("A campaign ends with its window; change its dates or delete it instead."))


def delete_campaign(campaign: Campaign, by) -> None:
    """Refused (409) while events are tagged with the campaign or a series must fall
    inside it."""
    titles = parse.event_titles(parse.table("events").c.campaign_id == campaign.id)
    if titles:
        raise Conflict(
            _(
                "%(name)s has events (%(titles)s): it cannot be deleted.",
                name=campaign.name,
                titles="、".join(titles),
            )
        )
    series = parse.first_names(
        sa.select(Series.name)
        .join(SeriesPlanning, SeriesPlanning.series_id == Series.id)
        .where(SeriesPlanning.inside_campaign_id == campaign.id)
        .order_by(Series.name)
    )
    if series:
        raise Conflict(
            _(
                "Series must fall inside %(name)s (%(series)s): change their planner "
                "settings first.",
                name=campaign.name,
                series="、".join(series),
            )
        )
    record("campaign", campaign.id, "delete", by, changes={"slug": [campaign.slug, None]})
    db.session.delete(campaign)
    db.session.flush()
