"""The OpenAPI 3.1 document of /api/v1. Tests validate real responses against it."""

from flask import jsonify

from ..campaigns.models import CampaignKind
from ..events.enums import Audience, EventKind, EventStatus
from ..rules.policy import SEVERITY
from ..societies.models import SocietyKind
from . import bp

NULLABLE_STR = {"type": ["string", "null"]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _page_of(name: str) -> dict:
    return {
        "type": "object",
        "required": ["items", "page", "per_page", "total", "pages"],
        "properties": {
            "items": {"type": "array", "items": _ref(name)},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "total": {"type": "integer", "minimum": 0},
            "pages": {"type": "integer", "minimum": 1},
        },
    }


def _obj(required: dict, optional: dict | None = None) -> dict:
    props = {**required, **(optional or {})}
    return {"type": "object", "required": list(required), "properties": props}


REF = _obj(
    {"id": {"type": "integer"}, "slug": {"type": "string"}, "name": {"type": "string"}},
    {"city": {"type": "string"}, "is_online": {"type": "boolean"}},
)
NULLABLE_REF = {"oneOf": [_ref("Ref"), {"type": "null"}]}
# One moved occurrence: the key is its local start in the rule ("2027-03-05T14:30").
MOVED = {
    "type": "object",
    "required": ["start", "end"],
    "properties": {"start": {"type": "string"}, "end": {"type": "string"}},
}
LOCAL_DT = {"type": "string", "format": "date-time"}
# An event's own zone (issue #17): its rule repeats there, its naive times are local there.
TIMEZONE = {
    "type": "string",
    "maxLength": 64,
    "description": 'IANA zone name ("Europe/Berlin"); "" is the association\'s zone.',
}
RDATES = {
    "type": "array",
    "maxItems": 500,
    "items": {"type": "string"},
    "description": "Extra local starts (RFC 5545 RDATE): dates if all_day, else date-times.",
}

SCHEMAS = {
    "Error": _obj(
        {"error": {"type": "string"}, "message": {"type": "string"}},
        {"field": {"type": "string"}},
    ),
    "Ref": REF,
    "Occurrence": _obj({"start": LOCAL_DT, "end": LOCAL_DT, "cancelled": {"type": "boolean"}}),
    "Event": _obj(
        {
            "id": {"type": "integer"},
            "uid": {"type": "string"},
            "title": {"type": "string", "maxLength": 200},
            "description": {"type": "string"},
            "kind": {"enum": EventKind.values()},
            "status": {"enum": EventStatus.values()},
            "decision_reason": {"type": "string"},
            "start": LOCAL_DT,
            "end": LOCAL_DT,
            "all_day": {"type": "boolean"},
            "timezone": TIMEZONE,
            "rrule": NULLABLE_STR,
            "exdates": {"type": "array", "items": {"type": "string"}},
            "rdates": RDATES,
            "overrides": {"type": "object", "additionalProperties": MOVED},
            "series": NULLABLE_REF,
            "campaign": NULLABLE_REF,
            "host": _ref("Ref"),
            "cohosts": {"type": "array", "items": _ref("Ref")},
            "organizers": {"type": "array", "items": _ref("Ref")},
            "venue": NULLABLE_REF,
            "online_url": NULLABLE_STR,
            "speakers": {
                "type": "array",
                "items": _obj(
                    {
                        "id": {"type": "integer"},
                        "slug": {"type": "string"},
                        "name": {"type": "string"},
                        "title": {"type": "string"},
                    }
                ),
            },
            "audiences": {"type": "array", "items": {"enum": Audience.values()}},
            "expected_attendance": {"type": "integer", "minimum": 0},
            "is_major": {"type": "boolean"},
            "sequence": {"type": "integer", "minimum": 0},
            "occurrences": {"type": "array", "items": _ref("Occurrence")},
            "created_at": LOCAL_DT,
            "updated_at": LOCAL_DT,
        }
    ),
    "Society": _obj(
        {
            "id": {"type": "integer"},
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "short_name": {"type": "string"},
            "kind": {"enum": SocietyKind.values()},
            "discipline": {"type": "string"},
            "city": {"type": "string"},
            "active": {"type": "boolean"},
        }
    ),
    "Venue": _obj(
        {
            "id": {"type": "integer"},
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "address": {"type": "string"},
            "city": {"type": "string"},
            "capacity": {"type": "integer", "minimum": 0},
            "latitude": {"type": ["number", "null"]},
            "longitude": {"type": ["number", "null"]},
            "buffer_minutes": {"type": "integer", "minimum": 0},
            "is_online": {"type": "boolean"},
            "stream_url": NULLABLE_STR,
        }
    ),
    "Series": _obj(
        {
            "id": {"type": "integer"},
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "kind": {"enum": EventKind.values()},
            "description": {"type": "string"},
            "cadence_rrule": NULLABLE_STR,
            "target_min": {"type": "integer", "minimum": 0},
            "target_max": {"type": "integer", "minimum": 0},
            "max_per_host": {"type": "integer", "minimum": 1},
            "preferred_months": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": 12},
            },
            "preferred_weekdays": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 6},
                "description": "0 = Monday … 6 = Sunday.",
            },
            "duration_minutes": {"type": "integer", "minimum": 1},
            "default_start_time": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
            "min_spacing_days": {"type": "integer", "minimum": 0},
            "expected_attendance": {"type": "integer", "minimum": 0},
            "avoid_holidays": {"type": "boolean"},
            "avoid_weekends": {"type": "boolean"},
            "color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
            "active": {"type": "boolean"},
            "default_venue_id": {"type": ["integer", "null"]},
            "default_venue": NULLABLE_STR,
            "host_mode": {"enum": ["applications", "fixed"]},
            "fixed_host": NULLABLE_STR,
            "time_slots": {"type": "array", "items": {"type": "string"}},
            "city": {"type": "string"},
            "inside_campaign": NULLABLE_STR,
            "at_launch": {"type": "boolean"},
            "avoid_campaigns": {"type": "array", "items": {"enum": CampaignKind.values()}},
        }
    ),
    "Campaign": _obj(
        {
            "id": {"type": "integer"},
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "kind": {"enum": CampaignKind.values()},
            "theme": {"type": "string"},
            "start_date": {"type": "string", "format": "date"},
            "end_date": {"type": "string", "format": "date"},
            "launch_at": {"type": ["string", "null"], "format": "date-time"},
            "participation_target": {"type": ["number", "null"]},
            "description": {"type": "string"},
            "event_kinds": {"type": "array", "items": {"enum": EventKind.values()}},
        }
    ),
}
SCHEMAS["Finding"] = _obj(
    {
        "rule": {"enum": list(SEVERITY)},
        "severity": {"enum": ["error", "warning"]},
        "message": {"type": "string"},
        "occurrence_start": {"type": ["string", "null"], "format": "date-time"},
        "conflicts_with": {
            "oneOf": [
                _obj(
                    {
                        "id": {"type": "integer"},
                        "title": {"type": "string"},
                        "start": LOCAL_DT,
                        "end": LOCAL_DT,
                    }
                ),
                {"type": "null"},
            ]
        },
        "suggestions": {
            "type": "array",
            "items": _obj(
                {
                    "start": LOCAL_DT,
                    "end": LOCAL_DT,
                    "venue": {
                        "oneOf": [
                            _obj({"id": {"type": "integer"}, "name": {"type": "string"}}),
                            {"type": "null"},
                        ]
                    },
                }
            ),
        },
    }
)
SCHEMAS["EventWithFindings"] = {
    "allOf": [
        _ref("Event"),
        {
            "type": "object",
            "required": ["findings"],
            "properties": {"findings": {"type": "array", "items": _ref("Finding")}},
        },
    ]
}
SCHEMAS["Findings"] = _obj({"findings": {"type": "array", "items": _ref("Finding")}})
SCHEMAS["Refused"] = _obj(
    {"error": {"type": "string"}, "message": {"type": "string"}},
    {"findings": {"type": "array", "items": _ref("Finding")}, "field": {"type": "string"}},
)
_REF_IN = {"oneOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]}
SCHEMAS["EventInput"] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string", "maxLength": 200},
        "description": {"type": "string", "maxLength": 20000},
        "kind": {"enum": EventKind.values()},
        "series": _REF_IN,
        "campaign": _REF_IN,
        "venue": _REF_IN,
        "host": _REF_IN,
        "start": {"type": "string", "description": "Local ISO date-time (or date if all_day)."},
        "end": {"type": "string"},
        "all_day": {"type": "boolean"},
        "timezone": TIMEZONE,
        "rrule": {"type": "string", "description": "RFC 5545 RRULE with COUNT or UNTIL."},
        "exdates": {"type": "array", "items": {"type": "string"}},
        "rdates": RDATES,
        "overrides": {"type": "object", "additionalProperties": MOVED},
        "online_url": {"type": "string"},
        "cohosts": {"type": "array", "items": _REF_IN},
        "organizers": {"type": "array", "items": _REF_IN},
        "speakers": {"type": "array", "items": _REF_IN},
        "audiences": {"type": "array", "items": {"enum": Audience.values()}},
        "expected_attendance": {"type": "integer", "minimum": 0},
        "is_major": {"type": "boolean"},
    },
}
# The conflict check takes an event body, or the id of an existing event plus the changes.
SCHEMAS["ConflictCheck"] = {
    **SCHEMAS["EventInput"],
    "properties": {
        "id": {"type": "integer", "description": "An existing event, changed by the body."},
        **SCHEMAS["EventInput"]["properties"],
    },
}
SCHEMAS["Decision"] = {
    "type": "object",
    "properties": {
        "reason": {"type": "string", "maxLength": 2000},
        "override": {"type": "boolean"},
    },
}

_COUNT = {"type": "integer", "minimum": 0}
_SOCIETY_REF = _obj({"slug": {"type": "string"}, "name": {"type": "string"}})
_BY_KIND = {
    "type": "object",
    "required": EventKind.values(),
    "properties": dict.fromkeys(EventKind.values(), _COUNT),
}
_SHARE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
SCHEMAS["SeriesQuota"] = _obj(
    {
        "slug": {"type": "string"},
        "name": {"type": "string"},
        "kind": {"enum": EventKind.values()},
        "active": {"type": "boolean"},
        "target_min": _COUNT,
        "target_max": _COUNT,
        "max_per_host": {"type": "integer", "minimum": 1},
        "held": _COUNT,
        "approved": _COUNT,
        "planned": _COUNT,
        "projected": _COUNT,
        "status": {"enum": ["no_target", "over_maximum", "met", "on_track", "short"]},
        "pace_target": _COUNT,
        "months": {
            "type": "array",
            "minItems": 12,
            "maxItems": 12,
            "items": _obj(
                {
                    "month": {"type": "integer", "minimum": 1, "maximum": 12},
                    "held": _COUNT,
                    "approved": _COUNT,
                    "planned": _COUNT,
                    "cumulative": _COUNT,
                    "even_pace": {"type": "number", "minimum": 0},
                }
            ),
        },
    },
    {
        "hosts": {
            "type": "array",
            "items": {"allOf": [_SOCIETY_REF, _obj({"sessions": _COUNT})]},
        },
        "hosts_last_year": {
            "type": "array",
            "items": {"allOf": [_SOCIETY_REF, _obj({"sessions": _COUNT})]},
        },
        "waiting_since_last_year": {"type": "array", "items": _SOCIETY_REF},
        "never_hosted": _obj({"total": _COUNT, "first": {"type": "array", "items": _SOCIETY_REF}}),
    },
)
SCHEMAS["SeriesQuota"]["description"] = (
    "Sessions (occurrences) of a series starting in the year. held: approved and ended, or "
    "completed; approved: approved or completed; planned: draft, submitted, changes requested "
    "or approved and not yet ended; projected = held + planned. Host lists: organizers only."
)
SCHEMAS["SocietyFigures"] = _obj(
    {
        "slug": {"type": "string"},
        "name": {"type": "string"},
        "kind": {"enum": SocietyKind.values()},
        "city": {"type": "string"},
        "active": {"type": "boolean"},
        "min_events_per_year": _COUNT,
        "hosted": _COUNT,
        "meets_minimum": {"type": "boolean"},
        "held": _COUNT,
        "planned": _COUNT,
        "hosted_by_kind": _BY_KIND,
        "cohosted": _COUNT,
        "cohosted_by_kind": _BY_KIND,
        "major_filed_on_time": _COUNT,
        "major_filed_late": _COUNT,
        "major_not_filed": _COUNT,
        "cancelled": _COUNT,
        "attendance": _COUNT,
        "attendance_events": _COUNT,
        "last_held": {"type": ["string", "null"], "format": "date-time"},
        "dormant": {"type": "boolean"},
    },
    {
        "allowances": {
            "type": "array",
            "items": _obj(
                {
                    "series": {"type": "string"},
                    "max_per_host": {"type": "integer", "minimum": 1},
                    "booked": _COUNT,
                    "remaining": _COUNT,
                }
            ),
        }
    },
)
SCHEMAS["CampaignParticipation"] = _obj(
    {
        "slug": {"type": "string"},
        "name": {"type": "string"},
        "start_date": {"type": "string", "format": "date"},
        "end_date": {"type": "string", "format": "date"},
        "participation_target": _SHARE,
        "participating": _COUNT,
        "active": _COUNT,
        "share": _SHARE,
        "target_met": {"type": ["boolean", "null"]},
        "by_kind": {
            "type": "array",
            "items": _obj(
                {
                    "kind": {"enum": SocietyKind.values()},
                    "participating": _COUNT,
                    "active": _COUNT,
                    "share": _SHARE,
                }
            ),
        },
        "by_city": {
            "type": "array",
            "items": _obj(
                {
                    "city": {"type": "string"},
                    "participating": _COUNT,
                    "active": _COUNT,
                    "share": _SHARE,
                }
            ),
        },
    }
)
SCHEMAS["Quotas"] = _obj(
    {
        "year": {"type": "integer", "minimum": 2000, "maximum": 2100},
        "as_of": LOCAL_DT,
        "scope": {"enum": ["all", "society"]},
        "series": {"type": "array", "items": _ref("SeriesQuota")},
        "societies": {"type": "array", "items": _ref("SocietyFigures")},
        "campaigns": {"type": "array", "items": _ref("CampaignParticipation")},
    }
)

for _name in ("Event", "Society", "Venue", "Series", "Campaign"):
    SCHEMAS[f"{_name}Page"] = _page_of(_name)


def _param(name: str, description: str, schema: dict | None = None) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


PAGE_PARAMS = [
    _param("page", "Page number, from 1.", {"type": "integer", "minimum": 1}),
    _param(
        "per_page", "Items per page (1-500).", {"type": "integer", "minimum": 1, "maximum": 500}
    ),
]


def _error(description: str, schema: str = "Error") -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


WRITE_ERRORS = {
    "400": _error("Invalid input; nothing was written."),
    "401": _error("No valid bearer token."),
    "403": _error("Not allowed for this user."),
    "404": _error("No such event."),
    "409": _error("Refused in the current state or by conflicts.", "Refused"),
}
ID_PARAM = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
SECURED = [{"bearer": []}]


def _json_body(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


ERRORS = {
    "400": {
        "description": "Invalid input.",
        "content": {"application/json": {"schema": _ref("Error")}},
    },
    "404": {
        "description": "Not found.",
        "content": {"application/json": {"schema": _ref("Error")}},
    },
}


def _ok(schema: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _list_op(summary: str, schema: str, params: list) -> dict:
    return {
        "get": {
            "summary": summary,
            "parameters": params + PAGE_PARAMS,
            "responses": {"200": _ok(schema, summary), **ERRORS},
        }
    }


EVENT_FILTERS = [
    _param("from", "Start of the window: YYYY-MM-DD (local) or ISO 8601 date-time."),
    _param("to", "End of the window (inclusive date or exclusive date-time)."),
    _param("kind", "Event kinds, comma-separated.", {"type": "string"}),
    _param("series", "Series slugs, comma-separated."),
    _param("society", "Society slugs (host or co-host), comma-separated."),
    _param("venue", "Venue slugs, comma-separated."),
    _param("campaign", "Campaign slugs, comma-separated."),
    _param("city", "Cities, comma-separated."),
    _param("audience", "Audience tags, comma-separated."),
    _param("q", "Text search in title and description."),
    _param("status", "Statuses (signed-in users only; editors see their own society's)."),
]


# --- the year planner (scheduler/planner/api.py) ----------------------------------------------

_PLAN_STATUS = {"enum": ["draft", "accepted", "undone"]}
_SOLVER_STATUS = {"enum": ["optimal", "feasible", "infeasible", "unknown"]}
_NUMBER_OR_NULL = {"type": ["number", "null"]}
_LOCAL_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_NAMED = _obj({"slug": {"type": "string"}, "name": {"type": "string"}})
_PLAN_SUMMARY = {
    "id": {"type": "integer"},
    "year": {"type": "integer"},
    "series": {"type": "array", "items": {"type": "string"}},
    "status": _PLAN_STATUS,
    "solver_status": _SOLVER_STATUS,
    "objective": {"type": ["integer", "null"]},
    "best_bound": _NUMBER_OR_NULL,
    "gap": _NUMBER_OR_NULL,
    "created_at": LOCAL_DT,
    "accepted_at": _LOCAL_OR_NULL,
    "undone_at": _LOCAL_OR_NULL,
}
_PIN = {
    "type": "object",
    "additionalProperties": False,
    "required": ["series"],
    "properties": {
        "series": {"type": "string"},
        "start": {"type": "string", "description": "Local date-time (or date) in the year."},
        "host": {"type": "string"},
        "venue": {"type": "string"},
    },
}
_DATES = {"type": "array", "items": {"type": "string", "format": "date"}}
PLANNER_SCHEMAS = {
    "PlanRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["year"],
        "properties": {
            "year": {"type": "integer", "minimum": 2000, "maximum": 2100},
            "series": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Series slugs (default: every active series with a target).",
            },
            "time_limit": {"type": "number", "minimum": 1, "maximum": 600, "default": 30},
            "seed": {"type": "integer", "minimum": 0, "default": 1},
            "pins": {"type": "array", "items": _PIN},
        },
    },
    "PlanSummary": _obj(_PLAN_SUMMARY),
    "PlanSession": _obj(
        {
            "series": {"type": "string"},
            "position": {"type": "integer", "minimum": 1},
            "start": LOCAL_DT,
            "end": LOCAL_DT,
            "venue": _NAMED,
            "host": _NAMED,
            "change": {"enum": ["new", "kept", "moved"]},
            "pinned": _obj(
                {
                    "date": {"type": "boolean"},
                    "host": {"type": "boolean"},
                    "venue": {"type": "boolean"},
                }
            ),
            "explanation": {"type": "string"},
            "event_id": {"type": ["integer", "null"]},
        }
    ),
    "Plan": _obj(
        {
            **_PLAN_SUMMARY,
            "time_limit": {"type": "number"},
            "seed": {"type": "integer"},
            "wall_seconds": {"type": "number"},
            "stopped_by": {"type": ["string", "null"]},
            "holidays_official": {"type": "boolean"},
            "score": {"type": "object", "additionalProperties": {"type": "integer"}},
            "explanation": {"type": "array", "items": {"type": "string"}},
            "notes": {"type": "array", "items": {"type": "string"}},
            "not_planned": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Series a partial plan leaves out, each with why.",
            },
            "conflicts": {"type": "array", "items": {"type": "object"}},
            "pins": {"type": "array", "items": _PIN},
            "sessions": {"type": "array", "items": _ref("PlanSession")},
        }
    ),
    "PlanList": _obj({"items": {"type": "array", "items": _ref("PlanSummary")}}),
    "ApplicationInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["series", "year"],
        "properties": {
            "series": {"type": ["string", "integer"]},
            "year": {"type": "integer", "minimum": 2000, "maximum": 2100},
            "society": {
                "type": ["string", "integer"],
                "description": "Organizers only; editors apply for their own society.",
            },
            "preferred_months": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": 12},
            },
            "preferred_dates": _DATES,
            "unavailable_dates": _DATES,
            "speakers": {"type": "array", "items": {"type": ["string", "integer"]}},
            "note": {"type": "string", "maxLength": 2000},
        },
    },
    "Application": _obj(
        {
            "id": {"type": "integer"},
            "series": {"type": "string"},
            "society": {"type": "string"},
            "year": {"type": "integer"},
            "preferred_months": {"type": "array", "items": {"type": "integer"}},
            "preferred_dates": _DATES,
            "unavailable_dates": _DATES,
            "speakers": {"type": "array", "items": {"type": ["string", "integer"]}},
            "note": {"type": "string"},
        }
    ),
    "ApplicationList": _obj({"items": {"type": "array", "items": _ref("Application")}}),
}
SCHEMAS.update(PLANNER_SCHEMAS)
_PLAN_ERRORS = {
    "400": _error("Invalid input (unknown series, bad year or time limit, bad pins, or a "
                  "series that cannot be planned); nothing was written."),
    "401": _error("No valid bearer token."),
    "403": _error("Organizers only."),
}  # fmt: skip
PLANNER_PATHS = {
    "/plans": {
        "get": {
            "summary": "The latest plans (organizers)",
            "security": SECURED,
            "parameters": [_param("year", "Only plans of this year.")],
            "responses": {"200": _ok("PlanList", "Plans, newest first."), **_PLAN_ERRORS},
        },
        "post": {
            "summary": "Run the year planner: a draft plan (nothing on the calendar changes). "
            "When no plan exists the answer is still 201, with solver_status infeasible and "
            "the reasons in explanation.",
            "security": SECURED,
            "requestBody": _json_body("PlanRequest"),
            "responses": {"201": _ok("Plan", "The plan."), **_PLAN_ERRORS},
        },
    },
    "/plans/{id}": {
        "get": {
            "summary": "One plan with its sessions and their explanations (organizers)",
            "security": SECURED,
            "parameters": [ID_PARAM],
            "responses": {
                "200": _ok("Plan", "The plan."),
                **_PLAN_ERRORS,
                "404": _error("No such plan."),
            },
        }
    },
    "/plans/{id}/accept": {
        "post": {
            "summary": "Accept a draft plan: its sessions become approved events, in one "
            "transaction, with audit entries naming the plan",
            "security": SECURED,
            "parameters": [ID_PARAM],
            "responses": {
                "200": _ok("Plan", "The accepted plan (sessions carry event_id)."),
                **_PLAN_ERRORS,
                "404": _error("No such plan."),
                "409": _error("Not a draft, no plan, or the calendar changed meanwhile."),
            },
        }
    },
    "/plans/{id}/undo": {
        "post": {
            "summary": "Undo an accepted plan in one step: the calendar is as before",
            "security": SECURED,
            "parameters": [ID_PARAM],
            "responses": {
                "200": _ok("Plan", "The undone plan."),
                **_PLAN_ERRORS,
                "404": _error("No such plan."),
                "409": _error("Not accepted, taken over by a later plan, or already held."),
            },
        }
    },
    "/applications": {
        "get": {
            "summary": "Host applications of a year (organizers: all; editors: their own)",
            "security": SECURED,
            "parameters": [
                _param("year", "The year (2000-2100)."),
                _param("series", "One series slug."),
            ],
            "responses": {"200": _ok("ApplicationList", "Applications."), **_PLAN_ERRORS},
        },
        "post": {
            "summary": "Apply to host a session of a series (201), or replace the wishes of "
            "the society's application for that series and year (200)",
            "security": SECURED,
            "requestBody": _json_body("ApplicationInput"),
            "responses": {
                "200": _ok("Application", "The application, updated."),
                "201": _ok("Application", "The new application."),
                **_PLAN_ERRORS,
            },
        },
    },
    "/applications/{id}": {
        "delete": {
            "summary": "Withdraw an application",
            "security": SECURED,
            "parameters": [ID_PARAM],
            "responses": {
                "204": {"description": "Withdrawn."},
                **_PLAN_ERRORS,
                "404": _error("No such application."),
            },
        }
    },
}


# --- series and campaigns administration (writes) --------------------------------------

_TEXT_OR_NUMBER = {"type": ["string", "integer", "number", "null"]}
_LIST_OR_TEXT = {"type": ["array", "string", "null"]}
_BOOL_OR_TEXT = {"type": ["boolean", "string", "integer", "null"]}
SERIES_CAMPAIGN_SCHEMAS = {
    "SeriesInput": {
        "type": "object",
        "additionalProperties": False,
        "description": "A new series needs name and kind; a change sends only what changes. "
        "Numbers, booleans and lists may also come as text (lists comma-separated). "
        "default_venue, fixed_host and inside_campaign are slugs (null or '' for none).",
        "properties": {
            "name": {"type": "string"},
            "slug": {"type": "string"},
            "kind": {
                "type": "string",
                "description": "An event kind: " + ", ".join(EventKind.values()),
            },
            "description": {"type": "string"},
            "cadence_rrule": {
                "type": ["string", "null"],
                "description": "RFC 5545 RRULE without COUNT/UNTIL, e.g. "
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH.",
            },
            "target_min": _TEXT_OR_NUMBER,
            "target_max": _TEXT_OR_NUMBER,
            "max_per_host": _TEXT_OR_NUMBER,
            "min_spacing_days": _TEXT_OR_NUMBER,
            "duration_minutes": _TEXT_OR_NUMBER,
            "default_start_time": {"type": "string", "description": "HH:MM, local."},
            "expected_attendance": _TEXT_OR_NUMBER,
            "preferred_weekdays": {**_LIST_OR_TEXT, "description": "0..6 or MO..SU."},
            "preferred_months": {**_LIST_OR_TEXT, "description": "1..12."},
            "default_venue": NULLABLE_STR,
            "avoid_holidays": _BOOL_OR_TEXT,
            "avoid_weekends": _BOOL_OR_TEXT,
            "color": {"type": "string", "description": "#RRGGBB"},
            "active": _BOOL_OR_TEXT,
            "host_mode": {"type": "string", "description": "applications | fixed"},
            "fixed_host": NULLABLE_STR,
            "time_slots": {**_LIST_OR_TEXT, "description": "Local start times, HH:MM."},
            "city": {"type": ["string", "null"]},
            "inside_campaign": NULLABLE_STR,
            "at_launch": _BOOL_OR_TEXT,
            "avoid_campaigns": {**_LIST_OR_TEXT, "description": "Campaign kinds."},
        },
    },
    "CampaignInput": {
        "type": "object",
        "additionalProperties": False,
        "description": "A new campaign needs name, kind, start_date and end_date; a change "
        "sends only what changes. launch_at is a local date-time inside the window; "
        "participation_target a share 0..1 or a percentage such as '60%'.",
        "properties": {
            "name": {"type": "string"},
            "slug": {"type": "string"},
            "kind": {
                "type": "string",
                "description": "A campaign kind: " + ", ".join(CampaignKind.values()),
            },
            "theme": {"type": "string"},
            "description": {"type": "string"},
            "start_date": {"type": "string", "format": "date"},
            "end_date": {"type": "string", "format": "date"},
            "launch_at": {"type": ["string", "null"]},
            "participation_target": _TEXT_OR_NUMBER,
            "event_kinds": {**_LIST_OR_TEXT, "description": "Event kinds (empty: any)."},
        },
    },
}
SCHEMAS.update(SERIES_CAMPAIGN_SCHEMAS)
_SLUG_PARAM = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}


def _directory_writes(thing: str, schema: str) -> tuple[dict, dict]:
    """The POST on the collection, and PATCH/DELETE on one row by slug (organizers)."""
    create = {
        "post": {
            "summary": f"Create a {thing} (organizers)",
            "security": SECURED,
            "requestBody": _json_body(f"{schema}Input"),
            "responses": {"201": _ok(schema, f"The new {thing}."), **WRITE_ERRORS},
        }
    }
    one = {
        "patch": {
            "summary": f"Change a {thing} (only the fields sent)",
            "security": SECURED,
            "parameters": [_SLUG_PARAM],
            "requestBody": _json_body(f"{schema}Input"),
            "responses": {"200": _ok(schema, f"The {thing}."), **WRITE_ERRORS},
        },
        "delete": {
            "summary": f"Delete a {thing} (409 with the reason while events use it)",
            "security": SECURED,
            "parameters": [_SLUG_PARAM],
            "responses": {"204": {"description": "Deleted."}, **WRITE_ERRORS},
        },
    }
    return create, one


_SERIES_CREATE, _SERIES_ONE = _directory_writes("series", "Series")
_CAMPAIGN_CREATE, _CAMPAIGN_ONE = _directory_writes("campaign", "Campaign")
SERIES_CAMPAIGN_PATHS = {"/series/{slug}": _SERIES_ONE, "/campaigns/{slug}": _CAMPAIGN_ONE}


# --- societies, venues (with closures) and people administration (h1) -----------------------

_TEXT = {"type": ["string", "null"]}
SCHEMAS["Society"]["properties"].update(
    {
        "min_events_per_year": {"type": "integer", "minimum": 0},
        "contact_name": {"type": "string", "description": "Organizers only."},
        "contact_email": {"type": "string", "description": "Organizers only."},
        "contact_phone": {"type": "string", "description": "Organizers only."},
    }
)
SCHEMAS["Venue"]["properties"]["active"] = {"type": "boolean"}
DIRECTORY_SCHEMAS = {
    "Person": _obj(
        {
            "id": {"type": "integer"},
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "title": {"type": "string"},
            "affiliation": {"type": "string"},
            "scarce": {"type": "boolean"},
        },
        {
            "monthly_limit": {"type": ["integer", "null"], "description": "Organizers only."},
            "active": {"type": "boolean", "description": "Organizers only."},
        },
    ),
    "SocietyInput": {
        "type": "object",
        "additionalProperties": False,
        "description": "A new society needs name and kind; a change sends only what changes. "
        "Numbers and booleans may also come as text; the slug is made from the name when "
        "absent.",
        "properties": {
            "name": {"type": "string"},
            "slug": {"type": "string"},
            "short_name": _TEXT,
            "kind": {"type": "string", "description": ", ".join(SocietyKind.values())},
            "discipline": _TEXT,
            "city": _TEXT,
            "contact_name": _TEXT,
            "contact_email": _TEXT,
            "contact_phone": _TEXT,
            "min_events_per_year": _TEXT_OR_NUMBER,
            "active": _BOOL_OR_TEXT,
        },
    },
    "VenueInput": {
        "type": "object",
        "additionalProperties": False,
        "description": "A hall needs a capacity of at least 1; an online venue a stream URL "
        "(http or https). Latitude and longitude come together or not at all.",
        "properties": {
            "name": {"type": "string"},
            "slug": {"type": "string"},
            "address": _TEXT,
            "city": _TEXT,
            "capacity": _TEXT_OR_NUMBER,
            "latitude": _TEXT_OR_NUMBER,
            "longitude": _TEXT_OR_NUMBER,
            "buffer_minutes": {**_TEXT_OR_NUMBER, "description": "0..1440"},
            "is_online": _BOOL_OR_TEXT,
            "stream_url": _TEXT,
            "active": {
                **_BOOL_OR_TEXT,
                "description": "Deactivating is refused (409) while future submitted or "
                "approved events use the venue.",
            },
        },
    },
    "PersonInput": {
        "type": "object",
        "additionalProperties": False,
        "description": "A scarce expert with a monthly limit makes the conflict check warn "
        "when booked more often in one month.",
        "properties": {
            "name": {"type": "string"},
            "slug": {"type": "string"},
            "title": _TEXT,
            "affiliation": _TEXT,
            "scarce": _BOOL_OR_TEXT,
            "monthly_limit": {**_TEXT_OR_NUMBER, "description": "1..100, or null for none."},
            "active": _BOOL_OR_TEXT,
        },
    },
    "Closure": _obj(
        {
            "id": {"type": "integer"},
            "venue": {"type": "string"},
            "first_day": {"type": "string", "format": "date"},
            "last_day": {"type": "string", "format": "date"},
            "reason": {"type": "string"},
        }
    ),
    "ClosureList": _obj({"items": {"type": "array", "items": _ref("Closure")}}),
    "ClosureInput": {
        "type": "object",
        "additionalProperties": False,
        "description": "Local dates, both included. Refused (409) over future submitted or "
        "approved events in the venue.",
        "properties": {
            "first_day": {"type": "string", "format": "date"},
            "last_day": {"type": "string", "format": "date"},
            "reason": _TEXT,
        },
    },
    "PersonPage": _page_of("Person"),
}
SCHEMAS.update(DIRECTORY_SCHEMAS)
_SOCIETY_CREATE, _SOCIETY_ONE = _directory_writes("society", "Society")
_VENUE_CREATE, _VENUE_ONE = _directory_writes("venue", "Venue")
_PERSON_CREATE, _PERSON_ONE = _directory_writes("person", "Person")
_CLOSURE_PARAM = {
    "name": "closure_id", "in": "path", "required": True, "schema": {"type": "integer"},
}  # fmt: skip
DIRECTORY_PATHS = {
    "/societies/{slug}": _SOCIETY_ONE,
    "/venues/{slug}": _VENUE_ONE,
    "/people": {
        **_list_op(
            "Active experts and speakers",
            "PersonPage",
            [
                _param("scarce", "1: scarce experts only."),
                _param("inactive", "1: inactive ones too (organizers)."),
            ],
        ),
        **_PERSON_CREATE,
    },
    "/people/{slug}": {
        "get": {
            "summary": "One expert or speaker",
            "parameters": [_SLUG_PARAM],
            "responses": {"200": _ok("Person", "The person."), **ERRORS},
        },
        **_PERSON_ONE,
    },
    "/venues/{slug}/closures": {
        "get": {
            "summary": "Days the venue cannot be booked",
            "parameters": [_SLUG_PARAM],
            "responses": {"200": _ok("ClosureList", "The closures."), **ERRORS},
        },
        "post": {
            "summary": "Close a venue for a range of days (organizers)",
            "security": SECURED,
            "parameters": [_SLUG_PARAM],
            "requestBody": _json_body("ClosureInput"),
            "responses": {"201": _ok("Closure", "The new closure."), **WRITE_ERRORS},
        },
    },
    "/venues/{slug}/closures/{closure_id}": {
        "patch": {
            "summary": "Change a closure (only the fields sent)",
            "security": SECURED,
            "parameters": [_SLUG_PARAM, _CLOSURE_PARAM],
            "requestBody": _json_body("ClosureInput"),
            "responses": {"200": _ok("Closure", "The closure."), **WRITE_ERRORS},
        },
        "delete": {
            "summary": "Reopen the days of a closure",
            "security": SECURED,
            "parameters": [_SLUG_PARAM, _CLOSURE_PARAM],
            "responses": {"204": {"description": "Deleted."}, **WRITE_ERRORS},
        },
    },
}


# --- users and API tokens (scheduler/accounts/api.py): h3 ----------------------------------
_USER_STATE = {"enum": ["active", "invited", "deactivated"]}
_ROLE = {"enum": ["organizer", "editor"]}
ACCOUNT_SCHEMAS = {
    "User": _obj(
        {
            "id": {"type": "integer"},
            "email": {"type": "string"},
            "name": {"type": "string"},
            "role": _ROLE,
            "society": NULLABLE_STR,
            "locale": {"enum": ["zh_CN", "en", None]},
            "active": {"type": "boolean"},
            "state": _USER_STATE,
            "created_at": LOCAL_DT,
        }
    ),
    "UserInvitation": {
        "type": "object",
        "required": ["email", "role"],
        "additionalProperties": False,
        "properties": {
            "email": {"type": "string", "maxLength": 200},
            "role": _ROLE,
            "society": {"type": ["string", "null"], "description": "Slug; editors need one."},
            "name": {"type": "string", "maxLength": 120},
            "locale": {"enum": ["zh_CN", "en", ""]},
        },
    },
    "UserChange": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "role": _ROLE,
            "society": {"type": ["string", "null"]},
            "name": {"type": "string", "maxLength": 120},
            "locale": {"enum": ["zh_CN", "en", ""]},
            "active": {"type": "boolean"},
        },
    },
    "ApiToken": _obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "prefix": {"type": "string"},
            "created_at": LOCAL_DT,
            "last_used_at": {"type": ["string", "null"], "format": "date-time"},
            "revoked": {"type": "boolean"},
        }
    ),
    "NewApiToken": _obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "prefix": {"type": "string"},
            "token": {"type": "string", "description": "The bearer token; shown only here."},
            "created_at": LOCAL_DT,
            "last_used_at": {"type": "null"},
            "revoked": {"type": "boolean"},
        }
    ),
    "ApiTokenList": _obj({"items": {"type": "array", "items": _ref("ApiToken")}}),
    "ApiTokenInput": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"name": {"type": "string", "maxLength": 120}},
    },
}
ACCOUNT_SCHEMAS["UserPage"] = _page_of("User")
SCHEMAS.update(ACCOUNT_SCHEMAS)
_USER_ERRORS = {
    "400": _error("Invalid input (unknown field, bad e-mail, an editor without a society); "
                  "nothing was written."),
    "401": _error("No valid bearer token."),
    "403": _error("Organizers only."),
    "409": _error("A duplicate e-mail, or the change would leave no active organizer (or "
                  "removes the caller's own organizer role); an invitation to someone who "
                  "already has a password or is deactivated."),
}  # fmt: skip
_USER_ID = {**ID_PARAM, "description": "The user's id."}
ACCOUNT_PATHS = {
    "/users": {
        "get": {
            "summary": "Users (organizers)",
            "security": SECURED,
            "parameters": PAGE_PARAMS,
            "responses": {
                "200": _ok("UserPage", "Users, active first."),
                **_USER_ERRORS,
                "404": _error("Page out of range."),
            },
        },
        "post": {
            "summary": "Invite a user: a mail with a one-time link to choose a password "
            "(expires after INVITATION_TTL_DAYS)",
            "security": SECURED,
            "requestBody": _json_body("UserInvitation"),
            "responses": {"201": _ok("User", "The invited user."), **_USER_ERRORS},
        },
    },
    "/users/{id}": {
        "patch": {
            "summary": "Change a user's role, society, name, language or active (only the "
            "keys given); a deactivated user's sessions and tokens stop working",
            "security": SECURED,
            "parameters": [_USER_ID],
            "requestBody": _json_body("UserChange"),
            "responses": {
                "200": _ok("User", "The user."),
                **_USER_ERRORS,
                "404": _error("No such user."),
            },
        }
    },
    "/users/{id}/invitation": {
        "post": {
            "summary": "Send a new invitation; earlier links stop working",
            "security": SECURED,
            "parameters": [_USER_ID],
            "responses": {
                "200": _ok("User", "The user."),
                **_USER_ERRORS,
                "404": _error("No such user."),
            },
        }
    },
    "/tokens": {
        "get": {
            "summary": "The caller's own API tokens (never the tokens themselves)",
            "security": SECURED,
            "responses": {
                "200": _ok("ApiTokenList", "Newest first."),
                "401": _error("No valid bearer token."),
            },
        },
        "post": {
            "summary": "Create a named API token for the caller; the token is in this answer only",
            "security": SECURED,
            "requestBody": _json_body("ApiTokenInput"),
            "responses": {
                "201": _ok("NewApiToken", "The new token."),
                "400": _error("Invalid name or unknown field."),
                "401": _error("No valid bearer token."),
                "409": _error("Too many active tokens."),
            },
        },
    },
    "/tokens/{id}": {
        "delete": {
            "summary": "Revoke one of the caller's own tokens",
            "security": SECURED,
            "parameters": [ID_PARAM],
            "responses": {
                "204": {"description": "Revoked."},
                "401": _error("No valid bearer token."),
                "404": _error("No such token of the caller."),
            },
        }
    },
}


# --- a society's synced calendar (scheduler/calendar_sync): h4-sync ----------------------------
_SYNC_ITEM = _obj(
    {
        "uid": {"type": "string"},
        "title": {"type": "string"},
        "outcome": {
            "enum": ["created", "updated", "unchanged", "skipped", "withdrawn", "cancelled", "kept"]
        },
        "reason": {"type": "string"},
        "event_id": {"type": ["integer", "null"]},
    },
    {"line": {"type": "integer"}},
)
CALENDAR_SYNC_SCHEMAS = {
    "CalendarSourceInput": {
        "type": "object",
        "properties": {
            "url": {"type": "string", "maxLength": 2000, "description": "http(s) or webcal"},
            "mode": {"enum": ["draft", "submit"]},
            "active": {"type": "boolean"},
        },
    },
    "CalendarSource": _obj(
        {
            "society": {"type": "string"},
            "url": {"type": "string"},
            "mode": {"enum": ["draft", "submit"]},
            "active": {"type": "boolean"},
            "last_checked_at": _LOCAL_OR_NULL,
            "last_success_at": _LOCAL_OR_NULL,
            "last_outcome": {"enum": ["synced", "not_modified", "failed", None]},
            "failures": {"type": "integer", "minimum": 0},
            "last_report": {
                "oneOf": [
                    _obj(
                        {
                            "outcome": {"enum": ["synced", "not_modified", "failed"]},
                            "error": {"type": "string"},
                            "counts": {
                                "type": "object",
                                "additionalProperties": {"type": "integer"},
                            },
                            "items": {"type": "array", "items": _SYNC_ITEM},
                            "notes": {"type": "array", "items": {"type": "string"}},
                            "removed": {"type": "array", "items": _SYNC_ITEM},
                            "paused": {"type": "boolean"},
                        }
                    ),
                    {"type": "null"},
                ]
            },
        }
    ),
}
SCHEMAS.update(CALENDAR_SYNC_SCHEMAS)
_SYNC_ERRORS = {
    "401": _error("No valid bearer token."),
    "403": _error("Not an editor of this society nor an organizer."),
    "404": _error("No such society, or it has no synced calendar."),
}
_SYNC_SLUG = {**_SLUG_PARAM, "description": "The society's slug."}
CALENDAR_SYNC_PATHS = {
    "/societies/{slug}/calendar-source": {
        "get": {
            "summary": "The society's synced calendar: its URL, mode and its last sync "
            "(outcome, time and every item with its reason)",
            "security": SECURED,
            "parameters": [_SYNC_SLUG],
            "responses": {"200": _ok("CalendarSource", "The source."), **_SYNC_ERRORS},
        },
        "put": {
            "summary": "Register or change the society's public .ics URL (http or https, public "
            "addresses only), the mode for new events (draft or submit) and whether it is "
            "synced automatically; only the keys given change",
            "security": SECURED,
            "parameters": [_SYNC_SLUG],
            "requestBody": _json_body("CalendarSourceInput"),
            "responses": {
                "200": _ok("CalendarSource", "Changed."),
                "201": _ok("CalendarSource", "Registered."),
                "400": _error("Invalid URL, mode or field; nothing was written."),
                "409": _error("Registered meanwhile by someone else."),
                **_SYNC_ERRORS,
            },
        },
        "delete": {
            "summary": "Stop syncing; the events it brought stay as they are",
            "security": SECURED,
            "parameters": [_SYNC_SLUG],
            "responses": {"204": {"description": "Removed."}, **_SYNC_ERRORS},
        },
    },
    "/societies/{slug}/calendar-source/sync": {
        "post": {
            "summary": "Sync now: fetch and import the calendar; the answer carries the report",
            "security": SECURED,
            "parameters": [_SYNC_SLUG],
            "responses": {"200": _ok("CalendarSource", "Synced or failed."), **_SYNC_ERRORS},
        }
    },
}


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
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": {
            "/events": {
                **_list_op("Published events in a window", "EventPage", EVENT_FILTERS),
                "post": {
                    "summary": "Register a draft event (its findings come back with it)",
                    "security": SECURED,
                    "requestBody": _json_body("EventInput"),
                    "responses": {
                        "201": _ok("EventWithFindings", "The new draft."),
                        **WRITE_ERRORS,
                    },
                },
            },
            "/events/{id}": {
                "get": {
                    "summary": "One event with all its occurrences",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": {"200": _ok("Event", "The event."), **ERRORS},
                },
                "patch": {
                    "summary": "Change an event (drafts; organizers also later statuses)",
                    "security": SECURED,
                    "parameters": [ID_PARAM],
                    "requestBody": _json_body("EventInput"),
                    "responses": {"200": _ok("EventWithFindings", "The event."), **WRITE_ERRORS},
                },
                "delete": {
                    "summary": "Delete a draft",
                    "security": SECURED,
                    "parameters": [ID_PARAM],
                    "responses": {"204": {"description": "Deleted."}, **WRITE_ERRORS},
                },
            },
            "/events/{id}/{action}": {
                "post": {
                    "summary": "Change the event's status: submit, withdraw, approve, reject, "
                    "request-changes or cancel (reject, request-changes and cancel need a "
                    "reason; approving over errors needs override and a reason)",
                    "security": SECURED,
                    "parameters": [
                        ID_PARAM,
                        {
                            "name": "action",
                            "in": "path",
                            "required": True,
                            "schema": {
                                "enum": [
                                    "submit",
                                    "withdraw",
                                    "approve",
                                    "reject",
                                    "request-changes",
                                    "cancel",
                                ]
                            },
                        },
                    ],
                    "requestBody": {
                        "required": False,
                        "content": {"application/json": {"schema": _ref("Decision")}},
                    },
                    "responses": {"200": _ok("EventWithFindings", "The event."), **WRITE_ERRORS},
                }
            },
            "/events/{id}/occurrences/{key}": {
                "patch": {
                    "summary": "Move one occurrence of a repeating event, cancel it or reset it",
                    "security": SECURED,
                    "parameters": [
                        ID_PARAM,
                        {
                            "name": "key",
                            "in": "path",
                            "required": True,
                            "description": "The occurrence's local start in the rule.",
                            "schema": {"type": "string"},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "start": {"type": "string"},
                                        "end": {"type": "string"},
                                        "cancelled": {"type": "boolean"},
                                        "reset": {"type": "boolean"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {"200": _ok("EventWithFindings", "The event."), **WRITE_ERRORS},
                }
            },
            "/conflicts/check": {
                "post": {
                    "summary": "Findings for an event body; writes nothing",
                    "security": SECURED,
                    "requestBody": _json_body("ConflictCheck"),
                    "responses": {"200": _ok("Findings", "The findings."), **WRITE_ERRORS},
                }
            },
            "/societies": {
                **_list_op(
                    "Societies (contacts for organizers only)",
                    "SocietyPage",
                    [_param("kind", "Society kinds, comma-separated."), _param("city", "City.")],
                ),
                **_SOCIETY_CREATE,
            },
            "/venues": {
                **_list_op("Active venues", "VenuePage", [_param("city", "City.")]),
                **_VENUE_CREATE,
            },
            **DIRECTORY_PATHS,
            "/series": {
                **_list_op("Series", "SeriesPage", [_param("kind", "Event kinds.")]),
                **_SERIES_CREATE,
            },
            "/campaigns": {**_list_op("Campaigns", "CampaignPage", []), **_CAMPAIGN_CREATE},
            **SERIES_CAMPAIGN_PATHS,
            **PLANNER_PATHS,
            **ACCOUNT_PATHS,
            **CALENDAR_SYNC_PATHS,
            "/quotas": {
                "get": {
                    "summary": "Annual quotas: series progress and pace, host rotation, "
                    "society figures for the evaluation, campaign participation. Organizers "
                    "see everything; a society editor sees the series totals and their own "
                    "society only (with remaining allowances).",
                    "security": SECURED,
                    "parameters": [
                        _param(
                            "year",
                            "The year (2000-2100); the current local year if absent.",
                            {"type": "string", "pattern": "^[0-9]{4}$"},
                        ),
                        _param("series", "One series slug."),
                        _param("society", "One society slug (editors: only their own)."),
                    ],
                    "responses": {
                        "200": _ok("Quotas", "The figures."),
                        "400": _error("Invalid year."),
                        "401": _error("Not signed in and no valid bearer token."),
                        "403": _error("Another society's figures, asked by an editor."),
                        "404": _error("Unknown series or society."),
                    },
                }
            },
        },
    }


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(build_document())
