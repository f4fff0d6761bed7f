"""The event page's actions, ranked: the one expected next first, the ones that end the
event last (and drawn as dangerous); with their button labels."""

from flask_babel import lazy_gettext as _l

# Organizer decisions on a submitted event: after one, the next event of the queue opens.
DECISIONS = frozenset({"approve", "reject", "request_changes"})

# action -> (rank: lower first, style, label)
RANKS = {
    "approve": (0, "primary", _l("Approve")),
    "submit": (0, "primary", _l("Submit for approval")),
    "complete": (0, "primary", _l("Mark as held")),
    "request_changes": (1, "secondary", _l("Request changes")),
    "withdraw": (1, "secondary", _l("Withdraw")),
    "reject": (2, "danger", _l("Reject")),
    "cancel": (2, "danger", _l("Cancel the event")),
}
# Actions that need a reason (the workflow refuses them without one).
NEED_REASON = frozenset({"reject", "request_changes", "cancel"})


def ranked_actions(names: list[str]) -> list[dict]:
    ranked = sorted(names, key=lambda name: RANKS[name][0])
    return [
        {
            "name": name,
            "style": RANKS[name][1],
            "label": RANKS[name][2],
            "needs_reason": name in NEED_REASON,
        }
        for name in ranked
    ]
