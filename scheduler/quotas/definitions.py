"""Changing the quota definitions: a series' annual targets and host maximum, a society's
yearly minimum, a campaign's participation target. Each change is validated, audited and
committed here, so pages and any later API share one way in."""

from flask_babel import gettext as _

from .. import directory_input as di
from ..audit.service import record
from ..campaigns.models import Campaign
from ..errors import BadInput
from ..extensions import db
from ..series.models import MAX_SESSIONS, Series
from ..societies.models import Society


def _whole(form, name: str, low: int, high: int = MAX_SESSIONS) -> int:
    return di.integer(form.get(name) or "", name, low, high)


def _save(entity_type: str, obj, changes: dict, by) -> None:
    changed = {k: v for k, v in changes.items() if v[0] != v[1]}
    if changed:
        record(entity_type, obj.id, "update_quota", by, changed)
    db.session.commit()


def update_series_targets(series: Series, form, by) -> None:
    """target_min, target_max and max_per_host from a form; the minimum may not exceed the
    maximum (the same check constraint guards the table)."""
    target_min = _whole(form, "target_min", 0)
    target_max = _whole(form, "target_max", 0)
    max_per_host = _whole(form, "max_per_host", 1)
    if target_min > target_max:
        raise BadInput(
            _("The annual minimum cannot be above the annual maximum."), field="target_min"
        )
    changes = {
        "target_min": [series.target_min, target_min],
        "target_max": [series.target_max, target_max],
        "max_per_host": [series.max_per_host, max_per_host],
    }
    series.target_min, series.target_max = target_min, target_max
    series.max_per_host = max_per_host
    _save("series", series, changes, by)


def update_society_minimum(society: Society, form, by) -> None:
    minimum = _whole(form, "min_events_per_year", 0)
    changes = {"min_events_per_year": [society.min_events_per_year, minimum]}
    society.min_events_per_year = minimum
    _save("society", society, changes, by)


def update_campaign_target(campaign: Campaign, form, by) -> None:
    """The target as a percentage of active societies (0-100); empty removes it."""
    raw = (form.get("participation_target") or "").strip()
    target = None if raw == "" else _whole(form, "participation_target", 0, 100) / 100
    changes = {"participation_target": [campaign.participation_target, target]}
    campaign.participation_target = target
    _save("campaign", campaign, changes, by)
