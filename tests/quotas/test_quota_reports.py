"""The annual evaluation exports: Excel read back with openpyxl, CSV, and the CLI command."""

import csv
import io

import pytest
from openpyxl import load_workbook

from scheduler.quotas import reports
from tests.conftest import sign_in
from tests.quotas.world import NOW, build_world, freeze


@pytest.fixture
def world(app, monkeypatch):
    freeze(monkeypatch)
    return build_world()


def rows_by_slug(sheet) -> tuple[list, dict]:
    rows = list(sheet.iter_rows(values_only=True))
    headers = list(rows[0])
    return headers, {row[0]: dict(zip(headers, row, strict=True)) for row in rows[1:]}


def test_the_excel_file_reads_back_with_the_right_figures(client, world):
    sign_in(client, world.organizer.email)
    response = client.get("/admin/quotas/export.xlsx?year=2027&lang=en")
    assert response.status_code == 200
    assert response.content_type == reports.XLSX_TYPE
    assert "evaluation-2027.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Societies", "Series", "Sessions", "Notes"]

    _, societies = rows_by_slug(book["Societies"])
    assert set(societies) == {"gd-physics", "sz-cast", "scut-cast", "sleepy"}  # not inactive
    phys, sz, scut = societies["gd-physics"], societies["sz-cast"], societies["scut-cast"]
    assert phys["Hosted (approved sessions)"] == 1 and phys["Hosted: Forum"] == 1
    assert phys["Co-hosted: Academic month activity"] == 1
    assert (phys["Major events filed on time"], phys["Major events filed late"]) == (1, 0)
    assert (phys["Recorded attendance"], phys["Events with attendance recorded"]) == (300, 1)
    assert sz["Hosted (approved sessions)"] == 5 and sz["Hosted: Lecture"] == 3
    assert (sz["Held"], sz["Planned"], sz["Major events filed late"]) == (1, 4, 1)
    assert (scut["Hosted (approved sessions)"], scut["Cancelled sessions"]) == (0, 1)
    assert (scut["Co-hosted (approved sessions)"], scut["Minimum met"]) == (1, "no")
    assert societies["sleepy"]["Dormant"] == "yes"
    assert societies["sleepy"]["Last held session"].year == 2025  # a real date cell

    _, series = rows_by_slug(book["Series"])
    lingnan = series["lingnan"]
    assert (lingnan["Held"], lingnan["Approved"], lingnan["Planned"]) == (2, 2, 0)
    assert (lingnan["Annual minimum"], lingnan["Hosts this year"]) == (3, 2)
    assert lingnan["Mar"] == 1 and lingnan["May"] == 1 and lingnan["Oct"] == 0
    assert book["Series"]._charts  # the progress chart

    sessions = list(book["Sessions"].iter_rows(values_only=True))[1:]
    assert [(r[0], r[4]) for r in sessions] == [("lingnan", "gd-physics"), ("lingnan", "sz-cast")]


def test_csv_reports(client, world):
    sign_in(client, world.organizer.email)
    response = client.get("/admin/quotas/export.csv?year=2027&report=series&lang=en")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads the Chinese names correctly
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [(r["Slug"], r["Series"], r["Held"]) for r in rows] == [("lingnan", "岭南科学论坛", "2")]
    societies = client.get("/admin/quotas/export.csv?year=2027&lang=en").data.decode("utf-8-sig")
    sleepy = next(r for r in csv.DictReader(io.StringIO(societies)) if r["Slug"] == "sleepy")
    assert sleepy["Last held session"] == "2025-03-01"
    assert client.get("/admin/quotas/export.csv?year=2027&report=nope").status_code == 400
    assert client.get("/admin/quotas/export.csv?year=1900").status_code == 400


def test_the_report_command(app, world, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "evaluation.xlsx"
    result = runner.invoke(args=["report", "--year", "2027", "--format", "xlsx", "--out", out])
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert {r[0] for r in rows[1:]} == {"gd-physics", "sz-cast", "scut-cast", "sleepy"}

    out_csv = tmp_path / "sessions.csv"
    args = ["report", "--year", "2027", "--format", "csv", "--report", "sessions"]
    result = runner.invoke(args=[*args, "--out", out_csv])
    assert result.exit_code == 0, result.output
    assert out_csv.read_text("utf-8-sig").count("lingnan") == 2

    bad = runner.invoke(args=["report", "--year", "MMXXVII", "--out", tmp_path / "x.csv"])
    assert bad.exit_code != 0 and "year" in bad.output
    assert not (tmp_path / "x.csv").exists()


def test_a_year_without_events_still_gives_a_workbook(world):
    book = load_workbook(io.BytesIO(reports.build_xlsx(2001, NOW)))
    societies, series, sessions, _notes = book.worksheets
    assert societies.max_row == 5  # every active society, all zero
    [lingnan] = list(series.iter_rows(min_row=2, values_only=True))
    assert lingnan[0] == "lingnan" and lingnan[5:9] == (0, 0, 0, 0)
    assert sessions.max_row == 1  # headers only
