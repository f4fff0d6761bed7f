"""The background scheduler process: flask --app scheduler jobs."""

import logging

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("jobs")
@with_appcontext
def jobs():
    """Run the background scheduler process (one per deployment)."""
    from .runner import run_scheduler
    from .settings import JobsConfigError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # Every run is recorded at /admin/jobs; the executor's per-run lines are noise.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    try:
        run_scheduler(current_app._get_current_object())
    except JobsConfigError as exc:
        raise click.ClickException(str(exc)) from None


COMMANDS = (jobs,)
