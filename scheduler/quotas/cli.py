"""flask --app scheduler report --year YYYY --format csv|xlsx --out FILE"""

from pathlib import Path

import click
from flask import Flask

from ..errors import RequestError
from . import reports, service


def register_quota_cli(app: Flask) -> None:
    @app.cli.command("report")
    @click.option("--year", required=True, help="The year, e.g. 2027.")
    @click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="xlsx")
    @click.option(
        "--report",
        type=click.Choice(reports.CSV_REPORTS),
        default="societies",
        help="Which table a CSV holds (an Excel file holds them all).",
    )
    @click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True))
    def report(year, fmt, report, out):
        """Write the annual society evaluation (societies, series, sessions) to a file."""
        try:
            year = service.parse_year(year)
        except RequestError as exc:
            raise click.ClickException(exc.message) from None
        now = service.clock()
        if fmt == "csv":
            body = reports.build_csv(year, now, report)
        else:
            body = reports.build_xlsx(year, now)
        Path(out).write_bytes(body)
        click.echo(f"{fmt} report for {year} written to {out} ({len(body)} bytes)")
