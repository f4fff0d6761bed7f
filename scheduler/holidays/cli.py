"""The holiday calendar from the command line: flask --app scheduler import-holidays|holidays."""

import click
from flask.cli import with_appcontext

from ..errors import RequestError
from ..extensions import db


@click.command("import-holidays")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--year", type=int, help="The year of the schedule (else read from the dates).")
@click.option(
    "--official/--provisional",
    default=True,
    help="Mark the year official (the State Council's published schedule, the default) "
    "or provisional (an estimate until it is published).",
)
def import_holidays(path, year, official):
    """Import a holiday schedule (CSV or YAML) for one year, official or provisional."""
    from .service import import_schedule

    try:
        result = import_schedule(path, year, official=official)
    except RequestError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(
        f"{result.year}: {len(result.days_off)} days off and "
        f"{len(result.workdays)} make-up working days imported "
        f"({'official' if result.official else 'PROVISIONAL'})"
    )


@click.command("holidays")
@with_appcontext
@click.option("--year", type=int, required=True)
def show_holidays(year):
    """List a year's holidays and make-up working days, saying if they are official."""
    from .service import ensure_year

    result = ensure_year(year)
    db.session.commit()
    click.echo(f"{year}: {'official' if result.official else 'PROVISIONAL (not yet published)'}")
    for day, name in sorted(result.days_off.items()):
        click.echo(f"  {day.isoformat()}  off      {name}")
    for day, name in sorted(result.workdays.items()):
        click.echo(f"  {day.isoformat()}  workday  {name}")


COMMANDS = (
    import_holidays,
    show_holidays,
)
