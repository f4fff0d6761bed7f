"""Importing an .ics file from the command line: flask --app scheduler import-ics."""

import click
from flask.cli import with_appcontext

from ..errors import RequestError


@click.command("import-ics")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--society", "society_slug", required=True, help="The host society's slug.")
@click.option("--approve", is_flag=True, help="Approve valid events instead of submitting.")
def import_ics_command(path, society_slug, approve):
    """Import events from an .ics file; lists each as created/updated/unchanged/skipped."""
    from .importer import import_ics, read_bounded

    with open(path, "rb") as file:
        data = read_bounded(file)
    try:
        result = import_ics(data, society_slug, approve=approve)
    except RequestError as exc:
        raise click.ClickException(exc.message) from None
    for note in result.notes:
        click.echo(note)
    for item in result.items:
        line = f"{item.outcome:9}  line {item.line}  {item.uid}  {item.title}"
        click.echo(line + (f"  — {item.reason}" if item.reason else ""))
    counts = ", ".join(
        f"{name} {result.count(name)}" for name in ("created", "updated", "unchanged", "skipped")
    )
    click.echo(counts)


COMMANDS = (import_ics_command,)
