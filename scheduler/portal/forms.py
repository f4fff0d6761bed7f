"""Turning the event form into the same body the API takes, and back."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import url_for

from ..extensions import db
from ..timeutil import event_zone, to_local
from ..venues.models import Venue

REPEATS = {
    "": "",
    "daily": "FREQ=DAILY",
    "weekly": "FREQ=WEEKLY",
    "biweekly": "FREQ=WEEKLY;INTERVAL=2",
    "monthly": "FREQ=MONTHLY",
}
LISTS = ("cohosts", "organizers", "speakers", "audiences")


def form_to_body(form) -> dict:
    """The API body for a submitted form (all fields: a form always sends the whole event)."""
    body = {
        name: form.get(name, "")
        for name in (
            "title", "description", "kind", "series", "campaign", "venue", "online_url", "host",
            "start", "end", "expected_attendance",
        )
    }  # fmt: skip
    body["all_day"] = "all_day" in form
    body["is_major"] = "is_major" in form
    for name in LISTS:
        body[name] = [v for v in form.getlist(name) if v]
    repeat = form.get("repeat", "")
    if repeat == "custom":
        body["rrule"] = form.get("rrule", "")
    elif repeat in REPEATS and repeat:
        count = form.get("repeat_count", "").strip() or "1"
        body["rrule"] = f"{REPEATS[repeat]};COUNT={count}"
    else:
        body["rrule"] = ""
    body["exdates"] = _lines(form.get("exdates", ""))
    if "timezone" in form:  # the event's own zone; times are local there
        body["timezone"] = form.get("timezone", "").strip()
    if "rdates" in form:
        body["rdates"] = _lines(form.get("rdates", ""))
    return body


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def event_to_form(event) -> dict:
    """Initial form values for an existing event (times in the event's zone)."""
    fmt = "%Y-%m-%d" if event.all_day else "%Y-%m-%dT%H:%M"
    tz = event_zone(event)
    end = event.end_at
    if event.all_day:
        end = end - timedelta(days=1)  # show the last day, not the exclusive end
    rule = event.rrule or ""
    repeat, count = "custom" if rule else "", ""
    for name, prefix in REPEATS.items():
        if name and rule.startswith(prefix + ";COUNT=") and rule[len(prefix) + 7 :].isdigit():
            repeat, count = name, rule[len(prefix) + 7 :]
    return {
        "title": event.title,
        "description": event.description,
        "kind": event.kind.value,
        "series": event.series.slug if event.series else "",
        "campaign": event.campaign.slug if event.campaign else "",
        "venue": event.venue.slug if event.venue else "",
        "online_url": event.online_url,
        "host": event.host.slug,
        "start": to_local(event.start_at, tz).strftime(fmt),
        "end": to_local(end, tz).strftime(fmt),
        "timezone": event.timezone or "",
        "all_day": event.all_day,
        "is_major": event.is_major,
        "expected_attendance": event.expected_attendance,
        "cohosts": [s.slug for s in event.cohosts],
        "organizers": [s.slug for s in event.organizing_societies],
        "speakers": [p.slug for p in event.speakers],
        "audiences": [a.value for a in event.audiences],
        "repeat": repeat,
        "repeat_count": count,
        "rrule": rule,
        "exdates": "\n".join(event.exdates or []),
        "rdates": "\n".join(event.rdates or []),
    }


def body_to_form(body: dict, form) -> dict:
    """Values to show again after a refused submission."""
    values = dict(body)
    values["repeat"] = form.get("repeat", "")
    values["repeat_count"] = form.get("repeat_count", "")
    values["rrule"] = form.get("rrule", "")
    values["exdates"] = form.get("exdates", "")
    values["rdates"] = form.get("rdates", "")
    return values


def with_edit_links(event, findings: list[dict]) -> list[dict]:
    """Each suggestion gets the edit form's address with it filled in: the whole event
    moves by the suggestion's shift (as its check assumed), into its venue (one query)."""
    ids = {s["venue"]["id"] for f in findings for s in f["suggestions"] if s["venue"]}
    slugs = {}
    if ids:
        rows = db.session.execute(sa.select(Venue.id, Venue.slug).where(Venue.id.in_(ids)))
        slugs = dict(rows.tuples().all())
    values = event_to_form(event)
    fmt = "%Y-%m-%d" if event.all_day else "%Y-%m-%dT%H:%M"
    for f in findings:
        for s in f["suggestions"]:
            if not f["occurrence_start"]:
                continue
            shift = datetime.fromisoformat(s["start"]) - datetime.fromisoformat(
                f["occurrence_start"]
            )
            start, end = (
                (datetime.strptime(values[name], fmt) + shift).strftime(fmt)
                for name in ("start", "end")
            )
            venue = slugs.get(s["venue"]["id"], "") if s["venue"] else values["venue"]
            s["href"] = url_for(
                "portal.edit_event", event_id=event.id, start=start, end=end, venue=venue
            )
    return findings
