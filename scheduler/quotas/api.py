"""GET /api/v1/quotas: the year's figures as JSON. Organizers see everything; a society
editor sees the series totals and their own society's figures only; anonymous callers get
401 (the figures include drafts, which are internal)."""

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from ..enums import EventKind
from ..errors import fail
from ..societies.models import Society
from ..timeutil import to_local
from . import figures, service

bp = Blueprint("quotas", __name__)  # nested under the API blueprint: api.quotas.*


def _local(value):
    return to_local(value).isoformat() if value else None


def _society_ref(s: figures.SocietyRef) -> dict:
    return {"slug": s.slug, "name": s.name}


def _host_counts(counts: list[figures.HostCount]) -> list[dict]:
    return [{**_society_ref(h.society), "sessions": h.sessions} for h in counts]


def series_to_json(p: figures.SeriesProgress, with_hosts: bool) -> dict:
    s = p.series
    body = {
        "slug": s.slug,
        "name": s.name,
        "kind": s.kind.value,
        "active": s.active,
        "target_min": s.target_min,
        "target_max": s.target_max,
        "max_per_host": s.max_per_host,
        "held": p.held,
        "approved": p.approved,
        "planned": p.planned,
        "projected": p.projected,
        "status": p.status,
        "pace_target": p.pace_target,
        "months": [
            {
                "month": m.month,
                "held": m.held,
                "approved": m.approved,
                "planned": m.planned,
                "cumulative": cum,
                "even_pace": pace,
            }
            for m, cum, pace in zip(p.months, p.cumulative_counted, p.even_pace, strict=True)
        ],
    }
    if with_hosts:
        body["hosts"] = _host_counts(p.hosts)
        body["hosts_last_year"] = _host_counts(p.hosts_last_year)
        body["waiting_since_last_year"] = [_society_ref(x) for x in p.waiting_since_last_year]
        body["never_hosted"] = {
            "total": p.never_hosted_total,
            "first": [_society_ref(x) for x in p.never_hosted],
        }
    return body


def _by_kind(counts: dict) -> dict:
    return {k.value: counts.get(k, 0) for k in EventKind}


def society_to_json(f: figures.SocietyYear, allowances=None) -> dict:
    s = f.society
    body = {
        "slug": s.slug,
        "name": s.name,
        "kind": s.kind.value,
        "city": s.city,
        "active": s.active,
        "min_events_per_year": s.min_events_per_year,
        "hosted": f.hosted,
        "meets_minimum": f.meets_minimum,
        "held": f.held,
        "planned": f.planned,
        "hosted_by_kind": _by_kind(f.hosted_by_kind),
        "cohosted": f.cohosted,
        "cohosted_by_kind": _by_kind(f.cohosted_by_kind),
        "major_filed_on_time": f.major_on_time,
        "major_filed_late": f.major_late,
        "major_not_filed": f.major_unfiled,
        "cancelled": f.cancelled,
        "attendance": f.attendance,
        "attendance_events": f.attendance_events,
        "last_held": _local(f.last_held),
        "dormant": f.dormant,
    }
    if allowances is not None:
        body["allowances"] = [
            {
                "series": a.series.slug,
                "max_per_host": a.series.max_per_host,
                "booked": a.booked,
                "remaining": a.remaining,
            }
            for a in allowances
        ]
    return body


def _share(s: figures.Share, key: str) -> dict:
    value = s.key.value if key == "kind" else s.key
    return {key: value, "participating": s.participating, "active": s.active, "share": s.share}


def campaign_to_json(cp: figures.CampaignParticipation) -> dict:
    c = cp.campaign
    return {
        "slug": c.slug,
        "name": c.name,
        "start_date": c.start_date.isoformat(),
        "end_date": c.end_date.isoformat(),
        "participation_target": c.participation_target,
        "participating": cp.participating,
        "active": cp.active,
        "share": cp.share,
        "target_met": cp.target_met,
        "by_kind": [_share(s, "kind") for s in cp.by_kind],
        "by_city": [_share(s, "city") for s in cp.by_city],
    }


def _scope() -> tuple[bool, Society | None]:
    """(sees everything, the one society asked for or allowed)."""
    if not current_user.is_authenticated:
        fail(401, _("Sign in or send an API token: Authorization: Bearer <token>."))
    slug = request.args.get("society")
    society = service.find_society(slug) if slug else None
    if current_user.is_organizer:
        return True, society
    if society is not None and society.id != current_user.society_id:
        fail(403, _("Editors may only see their own society's figures."))
    return False, society or current_user.society


@bp.get("/quotas")
def quotas():
    organizer, society = _scope()
    year = service.parse_year(request.args.get("year"))
    slug = request.args.get("series")
    series = service.find_series(slug) if slug else None
    data = service.build_dashboard(
        year,
        service.clock(),
        series_id=series.id if series else None,
        society_id=society.id if society else None,
        with_campaigns=organizer,
    )
    allowances = service.allowances(year, society.id) if society else None
    return jsonify(
        {
            "year": year,
            "as_of": _local(data.now),
            "scope": "all" if organizer and society is None else "society",
            "series": [series_to_json(p, with_hosts=organizer) for p in data.series],
            "societies": [society_to_json(f, allowances) for f in data.societies],
            "campaigns": [campaign_to_json(cp) for cp in data.campaigns],
        }
    )
