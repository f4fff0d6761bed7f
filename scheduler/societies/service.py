"""The one way in for changes of societies: pages, API, CLI and the importer call these.

They validate, write an audit entry and flush; the caller commits.
"""

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import directory_input as di
from ..audit.service import record
from ..errors import BadInput, Conflict
from ..extensions import db
from .models import Society
from .schemas import SocietyInput


def _refuse_duplicates(society: Society, values: dict) -> None:
    slug, name = values.get("slug", society.slug), values.get("name", society.name)
    if slug:
        di.refuse_duplicate(
            Society, society, "slug", slug,
            _("A society with the slug %(slug)s already exists.", slug=slug),
        )  # fmt: skip
    di.refuse_duplicate(
        Society, society, "name", name,
        _("A society named %(name)s already exists.", name=name),
    )  # fmt: skip


def _save(society: Society, values: dict, action: str, by) -> Society:
    """Check, apply, flush and audit: nothing changes on the object when a check refuses."""
    with db.session.no_autoflush:
        _refuse_duplicates(society, values)
        if values.get("active") is False and society.active:
            _refuse_deactivation(society)
    return di.save_row(
        society,
        values,
        action,
        by,
        entity="society",
        slug_taken=lambda slug: _("A society with the slug %(slug)s already exists.", slug=slug),
    )


def create_society(data: Mapping[str, Any], by) -> Society:
    values = di.validate(SocietyInput, data)
    for required in ("name", "kind"):
        if required not in values:
            raise BadInput(_("%(field)s is required.", field=required), field=required)
    return _save(Society(min_events_per_year=1, active=True), values, "create", by)


def update_society(society: Society, data: Mapping[str, Any], by) -> Society:
    return _save(society, di.validate(SocietyInput, data), "update", by)


def set_society_active(society: Society, active: bool, by) -> None:
    update_society(society, {"active": active}, by)


def _refuse_deactivation(society: Society) -> None:
    """A society that hosts an active series by design (fixed host) stays active."""
    series = di.table("series")
    names = db.session.scalars(
        sa.select(series.c.name)
        .where(series.c.fixed_host_id == society.id, series.c.active.is_(True))
        .order_by(series.c.name)
        .limit(5)
    ).all()
    if names:
        raise Conflict(
            _(
                "%(name)s is the fixed host of %(series)s; choose another host there first.",
                name=society.name,
                series="、".join(names),
            ),
            field="active",
        )


def delete_society(society: Society, by) -> None:
    """Refused (409) while events, users, series or plans refer to the society."""
    events, t = di.table("events"), di.table
    cohosting = sa.select(t("event_cohosts").c.event_id).where(
        t("event_cohosts").c.society_id == society.id
    )
    organizing = sa.select(t("event_organizers").c.event_id).where(
        t("event_organizers").c.society_id == society.id
    )
    titles = di.event_titles(
        sa.or_(
            events.c.host_id == society.id,
            events.c.id.in_(cohosting),
            events.c.id.in_(organizing),
        )
    )
    uses = (
        (t("users").c.society_id, _("its user accounts")),
        (t("series").c.fixed_host_id, _("a series it hosts")),
        (t("host_applications").c.society_id, _("its host applications")),
        (t("plan_sessions").c.host_id, _("a planned session")),
    )
    others = [reason for column, reason in uses if di.is_used(column, society.id)]
    di.refuse_delete_if_used(society.name, titles, others)
    record("society", society.id, "delete", by, {"slug": [society.slug, None]})
    db.session.delete(society)
    db.session.flush()
