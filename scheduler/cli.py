"""Flask CLI commands: flask --app scheduler <command>."""

import functools
import logging

import click
import sqlalchemy as sa
from flask import Flask, current_app

from .errors import BadInput
from .extensions import db


def register_cli(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db():
        """Create or migrate the database to the latest schema."""
        from .health import check_connection
        from .migrate import upgrade

        problem = check_connection()
        if problem:
            raise click.ClickException(problem)
        upgrade()
        click.echo("database is at the latest revision")

    @app.cli.command("demo-data")
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

    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option(
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="At least 10 characters; asked twice (hidden) when left out.",
    )
    @click.option("--role", type=click.Choice(["organizer", "editor"]), required=True)
    @click.option("--society", "society_slug", help="Slug of the editor's society.")
    @click.option("--name", default="")
    def create_user(email, password, role, society_slug, name):
        """Create an organizer or a society editor with a password (the first organizer)."""
        from .accounts.service import create_user as make_user
        from .directory_input import write

        try:
            user = write(make_user, email, password, role, society_slug, name)
        except BadInput as exc:
            raise click.ClickException(exc.message) from None
        click.echo(f"created {user.role.value} {user.email}")

    @app.cli.command("invite-user")
    @click.option("--email", required=True)
    @click.option("--role", type=click.Choice(["organizer", "editor"]), required=True)
    @click.option("--society", "society_slug", default="", help="Slug of the editor's society.")
    @click.option("--name", default="")
    @click.option("--locale", type=click.Choice(["zh_CN", "en"]), default="zh_CN")
    def invite_user(email, role, society_slug, name, locale):
        """Invite a user by e-mail; prints the one-time link too (for sites without SMTP)."""
        from .accounts.service import invite_user as invite
        from .directory_input import write

        data = {"email": email, "role": role, "society": society_slug, "name": name,
                "locale": locale}  # fmt: skip
        try:
            user, url = write(invite, data, None)
        except BadInput as exc:
            raise click.ClickException(exc.message) from None
        click.echo(f"invited {user.role.value} {user.email}; the link works once: {url}")

    @app.cli.command("create-token")
    @click.option("--email", required=True)
    @click.option("--name", default="cli", help="A label to tell tokens apart.")
    def create_token(email, name):
        """Print a new API bearer token for a user (stored hashed; shown once)."""
        from .accounts.service import issue_token

        try:
            plain = issue_token(email, name)
        except BadInput as exc:
            raise click.ClickException(exc.message) from None
        click.echo(plain)

    @app.cli.command("revoke-token")
    @click.option("--prefix", required=True, help="The first characters of the token (sct_...).")
    def revoke_token(prefix):
        """Revoke API tokens by their printed prefix (see list-tokens)."""
        from .accounts.service import revoke_tokens

        count = revoke_tokens(prefix)
        if not count:
            raise click.ClickException(f"no active token starts with {prefix!r}")
        click.echo(f"revoked {count} token(s)")

    @app.cli.command("list-tokens")
    @click.option("--email", required=True)
    def list_tokens(email):
        """Show a user's API tokens (prefix, name, created, last used, revoked)."""
        from .accounts.service import tokens_of

        for t in tokens_of(email):
            state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
            created = f"{t.created_at:%Y-%m-%d}"
            click.echo(f"{t.prefix}  {t.name or '-'}  created {created}  used {used}  {state}")

    @app.cli.command("import-holidays")
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
        from .holidays.service import import_schedule

        try:
            result = import_schedule(path, year, official=official)
        except BadInput as exc:
            raise click.ClickException(exc.message) from None
        click.echo(
            f"{result.year}: {len(result.days_off)} days off and "
            f"{len(result.workdays)} make-up working days imported "
            f"({'official' if result.official else 'PROVISIONAL'})"
        )

    @app.cli.command("holidays")
    @click.option("--year", type=int, required=True)
    def show_holidays(year):
        """List a year's holidays and make-up working days, saying if they are official."""
        from .holidays.service import ensure_year

        result = ensure_year(year)
        db.session.commit()
        click.echo(
            f"{year}: {'official' if result.official else 'PROVISIONAL (not yet published)'}"
        )
        for day, name in sorted(result.days_off.items()):
            click.echo(f"  {day.isoformat()}  off      {name}")
        for day, name in sorted(result.workdays.items()):
            click.echo(f"  {day.isoformat()}  workday  {name}")

    @app.cli.command("import-ics")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--society", "society_slug", required=True, help="The host society's slug.")
    @click.option("--approve", is_flag=True, help="Approve valid events instead of submitting.")
    def import_ics_command(path, society_slug, approve):
        """Import events from an .ics file; lists each as created/updated/unchanged/skipped."""
        from .feeds.importer import import_ics, read_bounded

        with open(path, "rb") as file:
            data = read_bounded(file)
        try:
            result = import_ics(data, society_slug, approve=approve)
        except BadInput as exc:
            raise click.ClickException(exc.message) from None
        for note in result.notes:
            click.echo(note)
        for item in result.items:
            line = f"{item.outcome:9}  line {item.line}  {item.uid}  {item.title}"
            click.echo(line + (f"  — {item.reason}" if item.reason else ""))
        counts = ", ".join(
            f"{name} {result.count(name)}"
            for name in ("created", "updated", "unchanged", "skipped")
        )
        click.echo(counts)

    @app.cli.command("backup")
    @click.argument("path", required=False, type=click.Path())
    def backup_command(path):
        """Back up the database to PATH (a file or folder; default instance/backups/)."""
        from .backup import BackupError, backup

        try:
            summary = backup(path)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"backup written: {summary.describe()}")

    @app.cli.command("restore")
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

    @app.cli.command("jobs")
    def jobs():
        """Run the background scheduler process (one per deployment)."""
        from .jobs.runner import run_scheduler
        from .jobs.settings import JobsConfigError

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        # Every run is recorded at /admin/jobs; the executor's per-run lines are noise.
        logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
        try:
            run_scheduler(current_app._get_current_object())
        except JobsConfigError as exc:
            raise click.ClickException(str(exc)) from None


# Commands that run on a database without our schema: init-db makes it, backup and restore
# check the files they read. Every other command first needs a migrated database.
NO_SCHEMA_NEEDED = {"init-db", "backup", "restore"}


def require_database(app: Flask) -> None:
    """Make every app command say in one line (exit 1) what is wrong with the database: a
    wrong DATABASE_URL, a server out of reach, a schema that needs init-db. Call it after
    every command is registered."""
    for name, command in app.cli.commands.items():
        if command.callback is not None:
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

    return with_appcontext(run)
