"""Rule data: default severities and what each event kind asks of the rules.

Changing how strict a rule is, or which kinds avoid holidays, means editing these tables,
not the rule functions. Series add their own data (spacing, maxima, avoid_holidays).
"""

from dataclasses import dataclass, field

ERROR, WARNING = "error", "warning"

# Rule name -> default severity (the README's "Conflict rules" lists them).
SEVERITY = {
    "venue_overlap": ERROR,
    "speaker_overlap": ERROR,
    "capacity": ERROR,
    "campaign_window": ERROR,
    "campaign_kind": ERROR,
    "series_quota": ERROR,
    "host_quota": ERROR,
    "filing_lead_time": ERROR,
    "host_overlap": WARNING,
    "holiday": WARNING,
    "series_spacing": WARNING,
    "audience_overlap": WARNING,
    "scarce_expert": WARNING,
}

# Errors an organizer may approve anyway, with a written reason.
OVERRIDABLE = frozenset({"series_quota", "host_quota", "filing_lead_time"})


@dataclass(frozen=True)
class KindPolicy:
    avoids_holidays: bool = True
    # Public kinds compete for the same audience in a city.
    checks_audience_overlap: bool = True
    # Per-kind severity changes: rule -> "error" | "warning" | None (rule off).
    severities: dict = field(default_factory=dict)

    def severity(self, rule: str) -> str | None:
        return self.severities.get(rule, SEVERITY[rule])


# Event kind -> policy. Science-day activities, exhibitions and competitions are meant for
# the public on days off, so they do not avoid holidays.
KIND_POLICIES = {
    "forum": KindPolicy(),
    "academic_month": KindPolicy(),
    "science_day": KindPolicy(avoids_holidays=False),
    "lecture": KindPolicy(),
    "salon": KindPolicy(checks_audience_overlap=False),
    "conference": KindPolicy(),
    "exhibition": KindPolicy(avoids_holidays=False, severities={"host_overlap": None}),
    "competition": KindPolicy(avoids_holidays=False),
    "training": KindPolicy(checks_audience_overlap=False),
    "other": KindPolicy(),
}


def policy_for(kind: str) -> KindPolicy:
    return KIND_POLICIES.get(kind, KindPolicy())
