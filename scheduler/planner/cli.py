"""flask --app scheduler plan --year YYYY [--series SLUG ...] [--time-limit S] [--apply]

Prints the plan (one line per session), its status and score. Exit status: 0 with a plan,
1 for input that cannot be planned (nothing is written), 2 when no plan exists (the
reasons are printed; the plan is stored for the page and the API), 3 for a partial plan:
some series are planned, the ones printed as "not planned" are not (with ``--apply`` the
planned part is accepted all the same).
"""

import sys

import click
from flask import Flask

from ..errors import RequestError
from ..events.workflow import SYSTEM
from ..timeutil import to_local
from .apply import PlanRefused, accept_plan, get_plan, names_for, run_plan, undo_plan
from .load import parse_request
from .phrases import CHANGE_LABELS, explain_session, not_planned, phrase_all

EXIT_NO_PLAN = 2
EXIT_PARTIAL = 3


def print_plan(plan) -> None:
    names = names_for(plan)
    for s in plan.sessions:
        start = to_local(s.start_at)
        click.echo(
            f"{start:%Y-%m-%d %a %H:%M}-{to_local(s.end_at):%H:%M}  "
            f"{names['series'][s.series_id].name}  {names['venue'][s.venue_id].name}  "
            f"{names['host'][s.host_id].name}  [{CHANGE_LABELS[s.change]}]  "
            f"{explain_session(s.explanation)}"
        )
    status = plan.solver_status.value
    line = f"plan #{plan.id} for {plan.year}: {status}"
    if plan.objective is not None:
        line += (
            f", objective {plan.objective}, best bound {plan.best_bound:.0f}, "
            f"gap {100 * (plan.gap or 0):.1f} %, {len(plan.sessions)} sessions"
        )
    line += f", {plan.wall_seconds:.1f} s (limit {plan.time_limit:.0f} s, seed {plan.seed})"
    click.echo(line)
    if plan.score:
        terms = ", ".join(f"{k} {v}" for k, v in plan.score.items() if v)
        click.echo(f"score by soft goal: {terms or 'all met'}")
    if not plan.holidays_official:
        click.echo(f"holidays of {plan.year} are PROVISIONAL (not yet published officially)")
    for note in plan.notes or []:
        label = "not planned" if note.get("code") == "not_planned" else "note"
        click.echo(f"{label}: {phrase_all([note])[0]}")
    for line in phrase_all(plan.explanation):
        click.echo(f"no plan: {line}")
    for c in plan.conflicts or []:
        click.echo(f"conflict: {c.get('message')}")


def register_planner_cli(app: Flask) -> None:
    @app.cli.command("plan")
    @click.option("--year", required=True, help="The year to plan, e.g. 2027.")
    @click.option("--series", "series", multiple=True, help="A series slug (repeatable).")
    @click.option("--time-limit", default=None, help="Seconds for the solver (default 30).")
    @click.option("--seed", default=None, help="Random seed (default 1).")
    @click.option("--apply", "apply_", is_flag=True, help="Accept the plan: create the events.")
    def plan_command(year, series, time_limit, seed, apply_):
        """Plan the year's series sessions: dates, venues and host societies."""
        body = {"year": year, "series": list(series), "time_limit": time_limit, "seed": seed}
        try:
            plan = run_plan(parse_request(body), SYSTEM)
        except RequestError as exc:
            raise click.ClickException(exc.message) from None
        print_plan(plan)
        if not plan.found:
            sys.exit(EXIT_NO_PLAN)
        if apply_:
            try:
                accept_plan(plan, SYSTEM)
            except PlanRefused as exc:
                raise click.ClickException(exc.message) from None
            click.echo(f"accepted: plan #{plan.id} is on the calendar")
        if not_planned(plan.notes):
            sys.exit(EXIT_PARTIAL)

    @app.cli.command("plan-undo")
    @click.argument("plan_id", type=int)
    def plan_undo_command(plan_id):
        """Take an accepted plan off the calendar."""
        try:
            plan = undo_plan(get_plan(plan_id), SYSTEM)
        except RequestError as exc:
            raise click.ClickException(exc.message) from None
        click.echo(f"plan #{plan.id} undone")
