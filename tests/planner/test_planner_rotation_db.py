"""The issue's rotation case from the database: only 岭南科学论坛 planned, three societies
that hosted it in 2026 and three that did not applied for three sessions of 2027."""

from dataclasses import replace

import pytest

from scheduler.events.workflow import SYSTEM
from scheduler.extensions import db
from scheduler.planner.apply import run_plan
from scheduler.planner.core import solve as solve_module
from scheduler.planner.core.solve import solve
from scheduler.planner.core.types import Weights
from scheduler.planner.load import parse_request
from scheduler.planner.models import HostApplication
from tests.factories import local, make_event, make_society
from tests.planner.planner_world import at, build_db_world


@pytest.fixture
def world(app):
    w = build_db_world()
    for day, host in ((16, w["a"]), (30, w["b"])):  # 丙 hosted on 6 June 2026 already
        make_event(start=local(2026, 5, day, 14, 30), hours=3, host=host, series=w["lingnan"])
    # The fresh ones live far away and wish for a Wednesday the series never uses: the soft
    # goals alone would choose last year's hosts.
    fresh = [make_society(slug=f"hn-{n}", name=f"海南{n}号学会", city="海口") for n in range(3)]
    for n, society in enumerate(fresh):
        db.session.add(
            HostApplication(
                society_id=society.id,
                series_id=w["lingnan"].id,
                year=2027,
                preferred_months=[],
                preferred_dates=["2027-05-05"],
                unavailable_dates=[],
                speaker_ids=[],
                created_at=at(2026, 11, 1 + n, 9, 0),
            )
        )
    db.session.commit()
    w["fresh"] = {s.id for s in fresh}
    return w


def test_the_fresh_applicants_host_and_last_years_hosts_wait(world):
    body = {"year": 2027, "series": ["lingnan"], "time_limit": 5}
    plan = run_plan(parse_request(body), SYSTEM)
    assert plan.found and len(plan.sessions) == 3
    assert {s.host_id for s in plan.sessions} == world["fresh"]
    assert plan.score["rotation"] == 0
    assert not [n for n in plan.notes if n["code"] == "rotation_relaxed"]


def test_without_the_rule_last_years_hosts_would_be_chosen(world, monkeypatch):
    """The case really tests the rule: with its weight at 0, the soft goals pick others."""

    def soft_only(inst, *args, **kw):
        return solve(replace(inst, weights=Weights(rotation=0)), *args, **kw)

    monkeypatch.setattr(solve_module, "solve", soft_only)
    plan = run_plan(parse_request({"year": 2027, "series": ["lingnan"]}), SYSTEM)
    assert plan.found and {s.host_id for s in plan.sessions} != world["fresh"]
