"""The OpenAPI 3.1 document of /api/v1: one row per operation here, the components derived
from the models that declare each body once (api/schemas.py). Tests validate real responses
against it, and schemathesis drives the API from it."""

import copy
import functools
from typing import NamedTuple

from flask import jsonify

from ..events import workflow
from .schemas import component_schemas


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _param(name: str, description: str, schema: dict | None = None) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _path_param(name: str, schema: dict, description: str = "") -> dict:
    described = {"description": description} if description else {}
    return {"name": name, "in": "path", "required": True, **described, "schema": schema}


def _error(description: str, schema: str = "Error") -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


# --- parameters -------------------------------------------------------------------------------

PAGE_PARAMS = [
    _param("page", "Page number, from 1.", {"type": "integer", "minimum": 1}),
    _param(
        "per_page", "Items per page (1-500).", {"type": "integer", "minimum": 1, "maximum": 500}
    ),
]
EVENT_FILTERS = [
    _param("from", "Start of the window: YYYY-MM-DD (local) or ISO 8601 date-time."),
    _param("to", "End of the window (inclusive date or exclusive date-time)."),
    _param("kind", "Event kinds, comma-separated.", {"type": "string"}),
    _param("series", "Series slugs, comma-separated."),
    _param("society", "Society slugs (host or co-host), comma-separated."),
    _param("venue", "Venue slugs, comma-separated."),
    _param("campaign", "Campaign slugs, comma-separated."),
    _param("speaker", "Speaker (person) slugs, comma-separated."),
    _param("city", "Cities, comma-separated."),
    _param("audience", "Audience tags, comma-separated."),
    _param(
        "q",
        "Words that must all occur (any case) in the title, description or a name the event "
        "shows: venue and address, speakers, host, co-hosts, organizers, series, campaign. "
        "At most 100 characters and 8 words (search area, scheduler/search/).",
    ),
    _param("status", "Statuses (signed-in users only; editors see their own society's)."),
]
ID = _path_param("id", {"type": "integer"})
USER_ID = _path_param("id", {"type": "integer"}, "The user's id.")
SLUG = _path_param("slug", {"type": "string"})
SOCIETY_SLUG = _path_param("slug", {"type": "string"}, "The society's slug.")
CLOSURE_ID = _path_param("closure_id", {"type": "integer"})
# The status changes the workflow offers (events/workflow.py: ACTIONS), as the path spells them.
ACTION = _path_param("action", {"enum": [name.replace("_", "-") for name in workflow.ACTIONS]})
QUOTA_YEAR = _param(
    "year",
    "The year (2000-2100); the current local year if absent.",
    {"type": "string", "pattern": "^[0-9]{4}$"},
)
KEY = _path_param("key", {"type": "string"}, "The occurrence's local start in the rule.")

# --- the errors each group of operations may answer -------------------------------------------

READ_ERRORS = {"400": _error("Invalid input."), "404": _error("Not found.")}
WRITE_ERRORS = {
    "400": _error("Invalid input; nothing was written."),
    "401": _error("No valid bearer token."),
    "403": _error("Not allowed for this user."),
    "404": _error("No such event."),
    "409": _error("Refused in the current state or by conflicts.", "Refused"),
}
PLAN_ERRORS = {
    "400": _error("Invalid input (unknown series, bad year or time limit, bad pins, or a "
                  "series that cannot be planned); nothing was written."),
    "401": _error("No valid bearer token."),
    "403": _error("Organizers only."),
}  # fmt: skip
USER_ERRORS = {
    "400": _error("Invalid input (unknown field, bad e-mail, an editor without a society); "
                  "nothing was written."),
    "401": _error("No valid bearer token."),
    "403": _error("Organizers only."),
    "409": _error("A duplicate e-mail, or the change would leave no active organizer (or "
                  "removes the caller's own organizer role); an invitation to someone who "
                  "already has a password or is deactivated."),
}  # fmt: skip
SYNC_ERRORS = {
    "401": _error("No valid bearer token."),
    "403": _error("Not an editor of this society nor an organizer."),
    "404": _error("No such society, or it has no synced calendar."),
}


class Op(NamedTuple):
    """One operation: its answers are {status: (model or None, description)}; ``body`` names
    the model of its request body. Operations need a bearer token unless ``public``."""

    method: str
    path: str
    summary: str
    answers: dict
    body: str | None = None
    body_optional: bool = False
    params: list = []
    errors: dict = WRITE_ERRORS
    public: bool = False


@functools.cache
def _schemas() -> dict:
    """The components: every body declared once as a pydantic model (api/schemas.py,
    events/schemas.py), its JSON Schema derived from it at the first request for the
    document (a tenth of a second: not at every worker's start)."""
    return component_schemas()


# Every operation of /api/v1: method, path, summary, answers, then the model of its body,
# its parameters and errors where they differ from the defaults of Op.
# fmt: off
OPERATIONS = (
    Op("get", "/events", "Published events in a window",
       {"200": ("EventPage", "Published events in a window")},
       params=[*EVENT_FILTERS, *PAGE_PARAMS], errors=READ_ERRORS, public=True),
    Op("post", "/events", "Register a draft event (its findings come back with it)",
       {"201": ("EventWithFindings", "The new draft.")}, body="EventInput"),
    Op("get", "/events/{id}", "One event with all its occurrences",
       {"200": ("Event", "The event.")}, params=[ID], errors=READ_ERRORS, public=True),
    Op("patch", "/events/{id}", "Change an event (drafts; organizers also later statuses)",
       {"200": ("EventWithFindings", "The event.")}, body="EventInput", params=[ID]),
    Op("delete", "/events/{id}", "Delete a draft", {"204": (None, "Deleted.")}, params=[ID]),
    Op("post", "/events/{id}/{action}",
       "Change the event's status: submit, withdraw, approve, reject, request-changes, cancel "
       "or complete (reject, request-changes and cancel need a reason; approving over errors "
       "needs override and a reason; complete may carry the actual attendance)",
       {"200": ("EventWithFindings", "The event.")}, body="Decision", body_optional=True,
       params=[ID, ACTION]),
    Op("patch", "/events/{id}/occurrences/{key}",
       "Move one occurrence of a repeating event, cancel it or reset it",
       {"200": ("EventWithFindings", "The event.")}, body="OccurrenceChange",
       params=[ID, KEY]),
    Op("post", "/conflicts/check", "Findings for an event body; writes nothing",
       {"200": ("Findings", "The findings.")}, body="ConflictCheck"),
    Op("get", "/societies", "Societies (contacts for organizers only)",
       {"200": ("SocietyPage", "Societies (contacts for organizers only)")},
       params=[
           _param("kind", "Society kinds, comma-separated."),
           _param("city", "City."),
           *PAGE_PARAMS,
       ],
       errors=READ_ERRORS, public=True),
    Op("post", "/societies", "Create a society (organizers)",
       {"201": ("Society", "The new society.")}, body="SocietyInput"),
    Op("get", "/venues", "Active venues", {"200": ("VenuePage", "Active venues")},
       params=[_param("city", "City."), *PAGE_PARAMS], errors=READ_ERRORS, public=True),
    Op("post", "/venues", "Create a venue (organizers)", {"201": ("Venue", "The new venue.")},
       body="VenueInput"),
    Op("patch", "/societies/{slug}", "Change a society (only the fields sent)",
       {"200": ("Society", "The society.")}, body="SocietyInput", params=[SLUG]),
    Op("delete", "/societies/{slug}", "Delete a society (409 with the reason while events use it)",
       {"204": (None, "Deleted.")}, params=[SLUG]),
    Op("patch", "/venues/{slug}", "Change a venue (only the fields sent)",
       {"200": ("Venue", "The venue.")}, body="VenueInput", params=[SLUG]),
    Op("delete", "/venues/{slug}", "Delete a venue (409 with the reason while events use it)",
       {"204": (None, "Deleted.")}, params=[SLUG]),
    Op("get", "/people", "Active experts and speakers",
       {"200": ("PersonPage", "Active experts and speakers")},
       params=[
           _param("scarce", "1: scarce experts only."),
           _param("inactive", "1: inactive ones too (organizers)."),
           *PAGE_PARAMS,
       ],
       errors=READ_ERRORS, public=True),
    Op("post", "/people", "Create a person (organizers)", {"201": ("Person", "The new person.")},
       body="PersonInput"),
    Op("get", "/people/{slug}", "One expert or speaker", {"200": ("Person", "The person.")},
       params=[SLUG], errors=READ_ERRORS, public=True),
    Op("patch", "/people/{slug}", "Change a person (only the fields sent)",
       {"200": ("Person", "The person.")}, body="PersonInput", params=[SLUG]),
    Op("delete", "/people/{slug}", "Delete a person (409 with the reason while events use it)",
       {"204": (None, "Deleted.")}, params=[SLUG]),
    Op("get", "/venues/{slug}/closures", "Days the venue cannot be booked",
       {"200": ("ClosureList", "The closures.")}, params=[SLUG], errors=READ_ERRORS, public=True),
    Op("post", "/venues/{slug}/closures", "Close a venue for a range of days (organizers)",
       {"201": ("Closure", "The new closure.")}, body="ClosureInput", params=[SLUG]),
    Op("patch", "/venues/{slug}/closures/{closure_id}", "Change a closure (only the fields sent)",
       {"200": ("Closure", "The closure.")}, body="ClosureInput", params=[SLUG, CLOSURE_ID]),
    Op("delete", "/venues/{slug}/closures/{closure_id}", "Reopen the days of a closure",
       {"204": (None, "Deleted.")}, params=[SLUG, CLOSURE_ID]),
    Op("get", "/series", "Series", {"200": ("SeriesPage", "Series")},
       params=[_param("kind", "Event kinds."), *PAGE_PARAMS], errors=READ_ERRORS, public=True),
    Op("post", "/series", "Create a series (organizers)", {"201": ("Series", "The new series.")},
       body="SeriesInput"),
    Op("get", "/campaigns", "Campaigns", {"200": ("CampaignPage", "Campaigns")},
       params=[*PAGE_PARAMS], errors=READ_ERRORS, public=True),
    Op("post", "/campaigns", "Create a campaign (organizers)",
       {"201": ("Campaign", "The new campaign.")}, body="CampaignInput"),
    Op("patch", "/series/{slug}", "Change a series (only the fields sent)",
       {"200": ("Series", "The series.")}, body="SeriesInput", params=[SLUG]),
    Op("delete", "/series/{slug}", "Delete a series (409 with the reason while events use it)",
       {"204": (None, "Deleted.")}, params=[SLUG]),
    Op("patch", "/campaigns/{slug}", "Change a campaign (only the fields sent)",
       {"200": ("Campaign", "The campaign.")}, body="CampaignInput", params=[SLUG]),
    Op("delete", "/campaigns/{slug}",
       "Delete a campaign (409 with the reason while events use it)", {"204": (None, "Deleted.")},
       params=[SLUG]),
    Op("get", "/plans", "The latest plans (organizers)",
       {"200": ("PlanList", "Plans, newest first.")},
       params=[_param("year", "Only plans of this year.")], errors=PLAN_ERRORS),
    Op("post", "/plans",
       "Run the year planner: a draft plan (nothing on the calendar changes). When no plan exists"
       " the answer is still 201, with solver_status infeasible and the reasons in explanation.",
       {"201": ("Plan", "The plan.")}, body="PlanRequest", errors=PLAN_ERRORS),
    Op("get", "/plans/{id}", "One plan with its sessions and their explanations (organizers)",
       {"200": ("Plan", "The plan.")}, params=[ID],
       errors={**PLAN_ERRORS, "404": _error("No such plan.")}),
    Op("post", "/plans/{id}/accept",
       "Accept a draft plan: its sessions become approved events, in one transaction, with audit "
       "entries naming the plan",
       {"200": ("Plan", "The accepted plan (sessions carry event_id).")}, params=[ID],
       errors={
           **PLAN_ERRORS,
           "404": _error("No such plan."),
           "409": _error("Not a draft, no plan, or the calendar changed meanwhile."),
       }),
    Op("post", "/plans/{id}/undo", "Undo an accepted plan in one step: the calendar is as before",
       {"200": ("Plan", "The undone plan.")}, params=[ID],
       errors={
           **PLAN_ERRORS,
           "404": _error("No such plan."),
           "409": _error("Not accepted, taken over by a later plan, or already held."),
       }),
    Op("get", "/applications", "Host applications of a year (organizers: all; editors: their own)",
       {"200": ("ApplicationList", "Applications.")},
       params=[_param("year", "The year (2000-2100)."), _param("series", "One series slug.")],
       errors=PLAN_ERRORS),
    Op("post", "/applications",
       "Apply to host a session of a series (201), or replace the wishes of the society's "
       "application for that series and year (200)",

       {
           "200": ("Application", "The application, updated."),
           "201": ("Application", "The new application."),
       },
       body="ApplicationInput", errors=PLAN_ERRORS),
    Op("delete", "/applications/{id}", "Withdraw an application", {"204": (None, "Withdrawn.")},
       params=[ID], errors={**PLAN_ERRORS, "404": _error("No such application.")}),
    Op("get", "/users", "Users (organizers)", {"200": ("UserPage", "Users, active first.")},
       params=[*PAGE_PARAMS], errors={**USER_ERRORS, "404": _error("Page out of range.")}),
    Op("post", "/users",
       "Invite a user: a mail with a one-time link to choose a password (expires after "
       "INVITATION_TTL_DAYS)",
       {"201": ("User", "The invited user.")}, body="UserInvitation", errors=USER_ERRORS),
    Op("patch", "/users/{id}",
       "Change a user's role, society, name, language or active (only the keys given); a "
       "deactivated user's sessions and tokens stop working",
       {"200": ("User", "The user.")}, body="UserChange", params=[USER_ID],
       errors={**USER_ERRORS, "404": _error("No such user.")}),
    Op("post", "/users/{id}/invitation", "Send a new invitation; earlier links stop working",
       {"200": ("User", "The user.")}, params=[USER_ID],
       errors={**USER_ERRORS, "404": _error("No such user.")}),
    Op("get", "/tokens", "The caller's own API tokens (never the tokens themselves)",
       {"200": ("ApiTokenList", "Newest first.")},
       errors={"401": _error("No valid bearer token.")}),
    Op("post", "/tokens",
       "Create a named API token for the caller; the token is in this answer only",
       {"201": ("NewApiToken", "The new token.")}, body="ApiTokenInput",
       errors={
           "400": _error("Invalid name or unknown field."),
           "401": _error("No valid bearer token."),
           "409": _error("Too many active tokens."),
       }),
    Op("delete", "/tokens/{id}", "Revoke one of the caller's own tokens",
       {"204": (None, "Revoked.")}, params=[ID],
       errors={
           "401": _error("No valid bearer token."),
           "404": _error("No such token of the caller."),
       }),
    Op("get", "/societies/{slug}/calendar-source",
       "The society's synced calendar: its URL, mode and its last sync (outcome, time and every "
       "item with its reason)",
       {"200": ("CalendarSource", "The source.")}, params=[SOCIETY_SLUG], errors=SYNC_ERRORS),
    Op("put", "/societies/{slug}/calendar-source",
       "Register or change the society's public .ics URL (http or https, public addresses only), "
       "the mode for new events (draft or submit) and whether it is synced automatically; only "
       "the keys given change",
       {"200": ("CalendarSource", "Changed."), "201": ("CalendarSource", "Registered.")},
       body="CalendarSourceInput", params=[SOCIETY_SLUG],
       errors={
           **SYNC_ERRORS,
           "400": _error("Invalid URL, mode or field; nothing was written."),
           "409": _error("Registered meanwhile by someone else."),
       }),
    Op("delete", "/societies/{slug}/calendar-source",
       "Stop syncing; the events it brought stay as they are", {"204": (None, "Removed.")},
       params=[SOCIETY_SLUG], errors=SYNC_ERRORS),
    Op("post", "/societies/{slug}/calendar-source/sync",
       "Sync now: fetch and import the calendar; the answer carries the report",
       {"200": ("CalendarSource", "Synced or failed.")}, params=[SOCIETY_SLUG],
       errors={
           **SYNC_ERRORS,
           "409": _error("Another sync of this calendar is running; nothing was done."),
       }),
    Op("get", "/quotas",
       "Annual quotas: series progress and pace, host rotation, society figures for the "
       "evaluation, campaign participation. Organizers see everything; a society editor sees the "
       "series totals and their own society only (with remaining allowances).",
       {"200": ("Quotas", "The figures.")},
       params=[
           QUOTA_YEAR,
           _param("series", "One series slug."),
           _param("society", "One society slug (editors: only their own)."),
       ],
       errors={
           "400": _error("Invalid year."),
           "401": _error("Not signed in and no valid bearer token."),
           "403": _error("Another society's figures, asked by an editor."),
           "404": _error("Unknown series or society."),
       }),
)
# fmt: on


def _operation(op: Op) -> dict:
    out: dict = {"summary": op.summary}
    if not op.public:
        out["security"] = [{"bearer": []}]
    if op.params:
        out["parameters"] = list(op.params)
    if op.body:
        schema = {"schema": _ref(op.body)}
        out["requestBody"] = {
            "required": not op.body_optional,
            "content": {"application/json": schema},
        }
    answers = {
        status: {"description": text, "content": {"application/json": {"schema": _ref(model)}}}
        if model
        else {"description": text}
        for status, (model, text) in op.answers.items()
    }
    out["responses"] = {**answers, **op.errors}
    return out


def _paths() -> dict:
    paths: dict = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    return paths


def build_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Science events scheduler API",
            "version": "1.0.0",
            "description": "Events, societies, venues, series and campaigns of the "
            "Associations for Science and Technology. Times are ISO 8601 in the "
            "configured local time zone (Asia/Shanghai by default). Errors are "
            '{"error", "message"} in the language of Accept-Language.',
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": copy.deepcopy(_schemas()),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": copy.deepcopy(_paths()),  # callers may change their copy
    }


def openapi_document():
    """GET /api/v1/openapi.json (routed by api/__init__.py as api.openapi_document)."""
    return jsonify(build_document())
