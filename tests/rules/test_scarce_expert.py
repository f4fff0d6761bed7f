"""The scarce expert rule as a pure function: more bookings in a local month than allowed."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from scheduler.rules import Context, Proposal, check
from scheduler.rules.policy import policy_for

TZ = ZoneInfo("Asia/Shanghai")
ACADEMICIAN = 41


def local(month, day, hour, minute=0):
    return datetime(2027, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


def talk(month, day, hour=14):
    return (local(month, day, hour), local(month, day, hour + 1))


def findings(slots, others: dict, limit=2, kind="lecture"):
    proposal = Proposal(
        title="院士讲座", kind=kind, host_id=1, slots=tuple(slots),
        speaker_ids=frozenset({ACADEMICIAN, 7}),
    )  # fmt: skip
    ctx = Context(
        tz=TZ, now=datetime(2027, 1, 1, tzinfo=UTC), policy=policy_for(kind),
        speaker_names={ACADEMICIAN: "周院士", 7: "普通专家"},
        scarce_limits={ACADEMICIAN: limit} if limit else {},
        speaker_month_counts=others,
    )  # fmt: skip
    return [f for f in check(proposal, ctx) if f.rule == "scarce_expert"]


@pytest.mark.parametrize(
    ("slots", "others", "limit", "months"),
    [
        ([talk(5, 10)], {}, 2, []),  # first booking
        ([talk(5, 10)], {(ACADEMICIAN, 2027, 5): 1}, 2, []),  # exactly the limit
        ([talk(5, 10)], {(ACADEMICIAN, 2027, 5): 2}, 2, ["2027-05"]),  # one over
        ([talk(5, 10)], {(ACADEMICIAN, 2027, 4): 9}, 2, []),  # another month
        ([talk(5, 10), talk(5, 17), talk(5, 24)], {}, 2, ["2027-05"]),  # a weekly series
        ([talk(5, 10), talk(6, 7)], {(ACADEMICIAN, 2027, 6): 2}, 2, ["2027-06"]),
        ([talk(5, 10)], {(ACADEMICIAN, 2027, 5): 5}, None, []),  # no limit: no rule
        ([talk(5, 10)], {(7, 2027, 5): 5}, 2, []),  # other speakers do not count
    ],
)
def test_scarce_expert_table(slots, others, limit, months):
    found = findings(slots, others, limit)
    assert [f.message.split(" in ")[1][:7] for f in found] == months
    assert all(f.severity == "warning" for f in found)


def test_the_month_is_the_local_one():
    # 00:30 on 1 April in Shanghai is still 31 March in UTC: it counts for April.
    early = (local(4, 1, 0, 30), local(4, 1, 1, 30))
    assert findings([early], {(ACADEMICIAN, 2027, 3): 2}) == []
    (finding,) = findings([early], {(ACADEMICIAN, 2027, 4): 2})
    assert "周院士" in finding.message and "2027-04" in finding.message and "3" in finding.message
