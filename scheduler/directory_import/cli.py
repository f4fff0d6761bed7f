"""flask --app scheduler import-directory FILE.xlsx|FILE.csv [--dry-run] [--skip-bad]
[--kind ...]: the upload page's import from the command line."""

import click
from flask import Flask

from ..errors import RequestError
from ..feeds.importer import import_limits
from .importer import OUTCOMES, import_directory
from .reader import KINDS


def register_import_cli(app: Flask) -> None:
    @app.cli.command("import-directory")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--dry-run", is_flag=True, help="Check every row and write nothing.")
    @click.option("--skip-bad", is_flag=True, help="Import the good rows and list the bad ones.")
    @click.option("--kind", type=click.Choice(KINDS), help="What a CSV (or one sheet) lists.")
    def import_directory_command(path, dry_run, skip_bad, kind):
        """Import societies, venues, people and users (invited) from .xlsx or .csv."""
        limit = import_limits().max_bytes
        with open(path, "rb") as file:
            data = file.read(limit + 1)
        if len(data) > limit:
            raise click.ClickException(f"{path} is larger than {limit} bytes (IMPORT_MAX_BYTES)")
        try:
            result = import_directory(data, click.format_filename(path).rsplit("/", 1)[-1], None,
                                      kind=kind, dry_run=dry_run, skip_bad=skip_bad)  # fmt: skip
        except RequestError as exc:
            raise click.ClickException(exc.message) from None
        for item in result.items:
            line = f"{item.sheet}  row {item.row:<5} {item.outcome:9}  {item.label}"
            click.echo(line + (f"  — {item.message}" if item.message else ""))
        click.echo(", ".join(f"{result.count(o)} {o}" for o in OUTCOMES))
        if dry_run:
            click.echo("dry run: nothing was written")
        elif not result.written:
            raise click.ClickException(
                f"nothing was written: {len(result.bad)} bad row(s); fix them, or pass "
                "--skip-bad to import the others"
            )
        if dry_run and result.bad:
            raise SystemExit(1)
