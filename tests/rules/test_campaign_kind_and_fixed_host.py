"""Two data-driven rules as pure functions: a campaign that lists the event kinds it contains
refuses other kinds; a series' fixed host has no per-host maximum (max_per_host None)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from scheduler.rules import CampaignFacts, Context, Proposal, SeriesFacts, check
from scheduler.rules.policy import policy_for

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2031, 1, 1, tzinfo=UTC)
NAMES = {"forum": "论坛", "science_day": "科普日活动", "exhibition": "展览"}


def slot(day: int):
    start = datetime(2031, 9, day, 10, tzinfo=TZ).astimezone(UTC)
    return (start, start.replace(hour=start.hour + 2))


def rules_found(kind: str, kinds: frozenset, **kw) -> list:
    campaign = CampaignFacts(
        id=3,
        name="陕西科普日",
        start_date=date(2031, 9, 15),
        end_date=date(2031, 9, 21),
        event_kinds=kinds,
        kind_names=NAMES,
    )
    p = Proposal(title="开放日", kind=kind, host_id=1, slots=(slot(16),), campaign_id=3)
    ctx = Context(tz=TZ, now=NOW, policy=policy_for(kind), campaign=campaign, **kw)
    return check(p, ctx)


@pytest.mark.parametrize(
    ("kind", "kinds", "refused"),
    [
        ("forum", frozenset({"science_day", "exhibition"}), True),
        ("science_day", frozenset({"science_day", "exhibition"}), False),
        ("exhibition", frozenset({"science_day", "exhibition"}), False),
        ("forum", frozenset(), False),  # no kinds listed: any kind
    ],
)
def test_campaign_kinds(kind, kinds, refused):
    found = [f for f in rules_found(kind, kinds) if f.rule == "campaign_kind"]
    assert bool(found) == refused
    if refused:
        assert found[0].severity == "error"
        assert "科普日活动, 展览" in found[0].message and "论坛" in found[0].message


@pytest.mark.parametrize(("maximum", "refused"), [(1, True), (None, False)])
def test_a_fixed_host_has_no_per_host_maximum(maximum, refused):
    series = SeriesFacts(id=5, name="秦岭讲堂", target_max=50, max_per_host=maximum)
    found = rules_found("science_day", frozenset(), series=series, host_year_counts={2031: 30})
    assert any(f.rule == "host_quota" for f in found) == refused
