"""Flask CLI commands: flask --app scheduler <command>."""

import functools

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import with_appcontext

from .extensions import db


@click.command("init-db")
@with_appcontext
def init_db():
    """Create or migrate the database to the latest schema."""
    from .health import check_connection
    from .migrate import upgrade

    problem = check_connection()
    if problem:
        raise click.ClickException(problem)
    upgrade()
    click.echo("database is at the latest revision")


@click.command("demo-data")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when events already exist.")
def demo_data(if_empty: bool):
    """Load the demo province (Chinese societies, venues, series, events, accounts)."""
    from .demo import DemoDataError, load_demo_data
    from .events.models import Event
    from .holidays.service import ensure_year
    from .timeutil import local_today

    if db.session.scalar(sa.select(sa.func.count()).select_from(Event)):
        if if_empty:
            click.echo("database already has events; demo data not loaded")
            return
        raise click.ClickException("the database is not empty; demo data needs an empty one")
    try:
        counts = load_demo_data()
    except DemoDataError as exc:
        raise click.ClickException(str(exc)) from None
    this_year = local_today().year
    for year in (this_year, this_year + 1):
        ensure_year(year)  # store the holiday calendars the demo was planned around
    click.echo("demo data loaded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@click.command("backup")
@with_appcontext
@click.argument("path", required=False, type=click.Path())
def backup_command(path):
    """Back up the database to PATH (a file or folder; default instance/backups/)."""
    from .backup import BackupError, backup

    try:
        summary = backup(path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backup written: {summary.describe()}")


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Restore even while `flask jobs` runs.")
def restore_command(path, force):
    """Replace the database with a backup made by `flask backup`."""
    from .backup import BackupError, restore

    try:
        result = restore(path, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored into {result.database}: {result.summary.describe()}")
    if result.behind_head:
        click.echo(
            f"the restored schema is at revision {result.summary.revision}, older than "
            f"this code's {result.head}: run `flask --app scheduler init-db` to upgrade it"
        )


def register_cli(app: Flask) -> None:
    """The database-wide commands above and each area's own (accounts, holidays, feeds, jobs)."""
    from .accounts.cli import COMMANDS as ACCOUNT_COMMANDS
    from .feeds.cli import COMMANDS as FEED_COMMANDS
    from .holidays.cli import COMMANDS as HOLIDAY_COMMANDS
    from .jobs.cli import COMMANDS as JOB_COMMANDS

    core = (init_db, demo_data, backup_command, restore_command)
    for command in (*core, *ACCOUNT_COMMANDS, *HOLIDAY_COMMANDS, *FEED_COMMANDS, *JOB_COMMANDS):
        app.cli.add_command(command)


# Commands that run on a database without our schema: init-db makes it, backup and restore
# check the files they read. Every other command first needs a migrated database.
NO_SCHEMA_NEEDED = {"init-db", "backup", "restore"}


def require_database(app: Flask) -> None:
    """Make every app command say in one line (exit 1) what is wrong with the database: a
    wrong DATABASE_URL, a server out of reach, a schema that needs init-db. Call it after
    every command is registered."""
    for name, command in app.cli.commands.items():
        # The commands are module-level objects shared by every app made in one process
        # (the tests make hundreds): wrap each once, not once per app.
        if command.callback is not None and not getattr(command.callback, "checked", False):
            command.callback = _checked(command.callback, name not in NO_SCHEMA_NEEDED)


def _checked(callback, needs_schema: bool):
    from flask.cli import with_appcontext

    from .health import check_connection, database_state

    @functools.wraps(callback)
    def run(*args, **kwargs):
        if needs_schema:
            state = database_state()
            problem = state.message if not state.ok else None
        elif db.engine.dialect.name != "sqlite":  # a SQLite file is only made by init-db
            problem = check_connection()
        else:
            problem = None
        if problem:
            raise click.ClickException(problem)
        return callback(*args, **kwargs)

    checked = with_appcontext(run)
    checked.checked = True
    return checked
