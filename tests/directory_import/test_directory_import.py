"""Bulk directory import from the spreadsheets an association keeps (a Hubei province here,
unlike the demo's Guangdong): xlsx and CSV (UTF-8 or GB18030), Chinese or English headers,
dry runs, all-or-nothing writes, --skip-bad, formulas kept as text, the CLI and the page."""

import csv
import io

import openpyxl
import pytest
import sqlalchemy as sa

from scheduler.accounts.models import Role, User
from scheduler.audit.models import AuditEntry
from scheduler.extensions import db
from scheduler.notifications.models import OutboxMessage
from scheduler.people.models import Person
from scheduler.societies.models import Society, SocietyKind
from scheduler.venues.models import Venue
from tests.conftest import sign_in
from tests.factories import make_society, make_user

EXPERTS = (
    "陈立新",
    "黄晓燕",
    "周建国",
    "吴海涛",
    "郑雅琴",
    "孙志强",
    "马丽娟",
    "胡德明",
    "郭文博",
    "何思远",
)
CITIES = ("宜昌", "襄阳", "荆州", "十堰", "黄石", "孝感", "恩施", "咸宁")
SOCIETY_HEADERS = ["标识", "名称", "简称", "类型", "学科", "城市", "联系人", "联系电话", "联系邮箱",
                   "年度最少活动数", "启用"]  # fmt: skip
VENUE_HEADERS = ["名称", "地址", "城市", "容纳人数", "纬度", "经度", "间隔分钟", "线上", "直播地址"]
PEOPLE_HEADERS = ["姓名", "职称", "单位", "稀缺专家", "每月上限"]
USER_HEADERS = ["邮箱", "姓名", "角色", "学会"]


def societies(n: int = 32) -> list[list]:
    return [
        [f"hb-soc-{i}", f"{CITIES[i % 8]}市第{i}学会", f"鄂{i}", "市级科协", "生物", CITIES[i % 8],
         "刘老师", 13900000000 + i, f"soc{i}@hb.example.org", i % 3, "是"]
        for i in range(n)
    ]  # fmt: skip


def venues() -> list[list]:
    rows = [[f"{c}科技馆报告厅", f"{c}市示例路 {i} 号", c, 100 + i * 50, 30.1 + i / 10,
             111.2 + i / 10, 15, "否", ""] for i, c in enumerate(CITIES)]  # fmt: skip
    return [
        *rows,
        ["湖北科普云直播", "", "武汉", "", "", "", 0, "是", "https://live.hb.example.org/1"],
    ]


def people() -> list[list]:
    return [
        [EXPERTS[i], "研究员" if i % 2 else "教授", f"{CITIES[i % 8]}大学",
         "是" if i < 3 else "否", 2 if i < 3 else ""]
        for i in range(10)
    ]  # fmt: skip


def users() -> list[list]:
    return [
        ["Editor.One@hb.example.org", "王编辑", "学会编辑", "hb-soc-1"],
        ["editor2@hb.example.org", "李编辑", "editor", "荆州市第2学会"],  # by name
        ["organizer2@hb.example.org", "省科协", "organizer", ""],
    ]


def workbook(sheets: dict[str, list[list]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def full_workbook() -> bytes:
    return workbook({
        "用户": [USER_HEADERS, *users()],  # the users sheet first: societies are still read first
        "学会": [SOCIETY_HEADERS, *societies()],
        "场馆": [VENUE_HEADERS, *venues()],
        "专家": [PEOPLE_HEADERS, *people()],
    })  # fmt: skip


def csv_bytes(rows: list[list], encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def cli(app, tmp_path, name: str, data: bytes, *options: str):
    path = tmp_path / name
    path.write_bytes(data)
    result = app.test_cli_runner().invoke(args=["import-directory", str(path), *options])
    db.session.remove()
    return result


def counts() -> tuple[int, int, int, int, int]:
    def n(model):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))

    return n(Society), n(Venue), n(Person), n(User), n(AuditEntry)


def test_a_workbook_is_checked_imported_and_reimported_from_the_cli(app, tmp_path):
    data = full_workbook()
    dry = cli(app, tmp_path, "湖北名录.xlsx", data, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert counts() == (0, 0, 0, 0, 0)
    lines = dry.output.splitlines()
    assert sum(" row " in line and " created " in line for line in lines) == 32 + 9 + 10 + 3
    assert "学会  row 2     created    hb-soc-0" in dry.output
    assert "dry run: nothing was written" in dry.output

    done = cli(app, tmp_path, "湖北名录.xlsx", data)
    assert done.exit_code == 0, done.output
    assert counts()[:4] == (32, 9, 10, 3)
    soc = db.session.scalar(sa.select(Society).where(Society.slug == "hb-soc-5"))
    assert (soc.name, soc.city, soc.kind, soc.contact_phone) == (
        "孝感市第5学会",
        "孝感",
        SocietyKind.CITY,
        "13900000005",
    )
    assert soc.min_events_per_year == 2 and soc.active
    online = db.session.scalar(sa.select(Venue).where(Venue.name == "湖北科普云直播"))
    assert online.is_online and online.stream_url.endswith("/1") and online.slug
    expert = db.session.scalar(sa.select(Person).where(Person.name == "黄晓燕"))
    assert expert.scarce and expert.monthly_limit == 2 and expert.affiliation == "襄阳大学"
    editor = db.session.scalar(sa.select(User).where(User.email == "editor2@hb.example.org"))
    assert editor.role == Role.EDITOR and editor.society.slug == "hb-soc-2"
    assert editor.password_hash == ""  # invited: sets a password from the mail's link
    mails = db.session.scalars(sa.select(OutboxMessage.recipient)).all()
    assert sorted(mails) == sorted(["editor.one@hb.example.org", "editor2@hb.example.org",
                                    "organizer2@hb.example.org"])  # fmt: skip
    audits = counts()[4]
    assert audits >= 54

    again = cli(app, tmp_path, "湖北名录.xlsx", data)
    assert again.exit_code == 0 and "0 created, 0 updated, 54 unchanged" in again.output
    assert counts()[4] == audits  # nothing changed, nothing audited

    # A changed row updates the entry with its slug; an empty cell leaves a field alone.
    rows = societies(2)
    rows[1][1], rows[1][5], rows[1][8] = "襄阳市改名学会", "襄樊", None
    changed = cli(app, tmp_path, "学会.csv", csv_bytes([SOCIETY_HEADERS, *rows]))
    assert changed.exit_code == 0 and "1 updated, 1 unchanged" in changed.output
    soc = db.session.scalar(sa.select(Society).where(Society.slug == "hb-soc-1"))
    assert (soc.name, soc.city, soc.contact_email) == (
        "襄阳市改名学会",
        "襄樊",
        "soc1@hb.example.org",
    )


def test_one_bad_row_writes_nothing_unless_bad_rows_are_skipped(app, tmp_path):
    rows = societies(31)
    rows[7][3] = "外星学会"  # an unknown kind
    rows[20][10] = "也许"  # not a yes/no
    rows[25][8] = "not-an-email"
    data = workbook({"societies": [SOCIETY_HEADERS, *rows]})
    refused = cli(app, tmp_path, "bad.xlsx", data)
    assert refused.exit_code == 1
    assert "nothing was written: 3 bad row(s)" in refused.output
    for row in (9, 22, 27):  # the spreadsheet's row numbers (the header is row 1)
        assert f"row {row:<5} error" in refused.output, refused.output
    assert counts() == (0, 0, 0, 0, 0)

    dry = cli(app, tmp_path, "bad.xlsx", data, "--dry-run")
    assert dry.exit_code == 1 and "28 created" in dry.output and counts()[0] == 0

    skipped = cli(app, tmp_path, "bad.xlsx", data, "--skip-bad")
    assert skipped.exit_code == 0, skipped.output
    assert "28 created, 0 updated, 0 unchanged, 0 error, 3 skipped" in skipped.output
    assert "row 9     skipped" in skipped.output
    assert counts()[0] == 28
    assert db.session.scalar(sa.select(Society).where(Society.slug == "hb-soc-7")) is None


def test_csv_in_utf8_with_or_without_bom_and_in_gb18030(app, tmp_path):
    rows = [PEOPLE_HEADERS, *people()]
    for name, data in (
        ("a.csv", csv_bytes(rows[:4], "utf-8")),
        ("b.csv", b"\xef\xbb\xbf" + csv_bytes([rows[0], *rows[4:7]], "utf-8")),
        ("c.csv", csv_bytes([rows[0], *rows[7:], ["𠀋先生", "研究员", "恩施州科协", "否", ""]],
                            "gb18030")),  # an extension-B ideograph GBK lacks
    ):  # fmt: skip
        result = cli(app, tmp_path, name, data)  # the kind comes from the headers
        assert result.exit_code == 0, (name, result.output)
    names = set(db.session.scalars(sa.select(Person.name)))
    assert names == set(EXPERTS) | {"𠀋先生"}

    garbled = cli(app, tmp_path, "d.csv", b"\xff\xfe\x00\x00\x81" * 10)
    assert garbled.exit_code == 1 and "GB18030" in garbled.output


def test_the_kind_comes_from_the_option_the_name_or_the_headers(app, tmp_path):
    only_names = csv_bytes([["名称", "城市"], ["十堰科协", "十堰"]])
    unclear = cli(app, tmp_path, "list.csv", only_names)
    assert unclear.exit_code == 1 and "list.csv" in unclear.output
    as_venues = cli(app, tmp_path, "list.csv", only_names, "--kind", "venues")
    assert as_venues.exit_code == 1 and "容纳人数" in as_venues.output  # a hall needs one
    english = csv_bytes([["name", "kind", "city"], ["十堰市科协", "city", "十堰"]])
    by_name = cli(app, tmp_path, "hubei-societies.csv", english)
    assert by_name.exit_code == 0 and counts()[0] == 1
    unknown = cli(app, tmp_path, "x.csv", csv_bytes([["名称", "类型", "会长"], ["a", "city", "b"]]),
                  "--kind", "societies")  # fmt: skip
    assert unknown.exit_code == 1 and "“会长”" in unknown.output
    old_excel = cli(app, tmp_path, "old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 600)
    assert old_excel.exit_code == 1 and "old.xls" in old_excel.output
    broken = cli(app, tmp_path, "broken.xlsx", b"PK\x03\x04" + b"\x00" * 300)
    assert broken.exit_code == 1 and "broken.xlsx" in broken.output
    strange = cli(app, tmp_path, "s.xlsx", workbook({"Sheet1": [["名称"], ["x"]], "学会": []}))
    assert strange.exit_code == 1 and "Sheet1" in strange.output
    assert counts()[0] == 1


def test_formulas_are_stored_as_text_never_evaluated(app, tmp_path):
    rows = [["名称", "简称", "类型", "学科"],
            ["=1+1", '=HYPERLINK("http://evil.example/x","点我")', "city", "+SUM(A1:A2)"],
            ["@公式学会", "-2+3", "city", "=CMD|' /C calc'!A0"]]  # fmt: skip
    assert cli(app, tmp_path, "f.xlsx", workbook({"学会": rows})).exit_code == 0
    assert (
        cli(app, tmp_path, "f.csv", csv_bytes([rows[0], ["=2*3", "=A1", "city", ""]])).exit_code
        == 0
    )
    stored = {s.name: (s.short_name, s.discipline) for s in db.session.scalars(sa.select(Society))}
    assert stored == {
        "=1+1": ('=HYPERLINK("http://evil.example/x","点我")', "+SUM(A1:A2)"),
        "@公式学会": ("-2+3", "=CMD|' /C calc'!A0"),
        "=2*3": ("=A1", ""),
    }


def test_a_row_repeating_an_earlier_one_and_a_bad_user_are_reported(app, tmp_path):
    make_society(slug="hb-host", name="黄石市科协")
    db.session.commit()
    sheets = {
        "学会": [SOCIETY_HEADERS[:4], ["hb-a", "咸宁市学会", "", "市级科协"],
                 ["hb-a", "咸宁市学会", "", "市级科协"]],
        "用户": [USER_HEADERS, ["ed@hb.example.org", "", "编辑", ""],
                 ["ed2@hb.example.org", "", "编辑", "黄石市科协"]],
    }  # fmt: skip
    result = cli(app, tmp_path, "r.xlsx", workbook(sheets), "--skip-bad")
    assert result.exit_code == 0, result.output
    assert "row 3     skipped    hb-a  — " in result.output and "row 2" in result.output
    assert "学会  row 2     created" in result.output
    assert "用户  row 2     skipped" in result.output  # an editor needs a society
    ed2 = db.session.scalar(sa.select(User).where(User.email == "ed2@hb.example.org"))
    assert ed2.society.slug == "hb-host"


# --- the page ---------------------------------------------------------------------------------


@pytest.fixture
def organizer_client(app, client):
    organizer = make_user(Role.ORGANIZER, email="org@hb.example.org")
    db.session.commit()
    token = sign_in(client, organizer.email)
    return client, token


def upload(client, token, data: bytes, name: str, **form):
    body = {"csrf_token": token, "file": (io.BytesIO(data), name), **form}
    return client.post("/admin/directory/import", data=body, content_type="multipart/form-data")


def test_the_upload_page_checks_then_imports(organizer_client):
    client, token = organizer_client
    page = client.get("/admin/directory/import")
    assert page.status_code == 200 and b"template.xlsx" in page.data
    data = full_workbook()
    checked = upload(client, token, data, "湖北.xlsx", action="check")
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200 and html.count("outcome-created") == 54
    assert counts()[:4] == (0, 0, 0, 1)
    imported = upload(client, token, data, "湖北.xlsx", action="import")
    assert imported.status_code == 200 and counts()[:4] == (32, 9, 10, 4)

    rows = [SOCIETY_HEADERS, *societies(33)[30:]]
    rows[1][3] = "宇宙学会"
    refused = upload(client, token, csv_bytes(rows, "gb18030"), "学会.csv", action="import")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "outcome-error" in html and counts()[0] == 32
    skipped = upload(client, token, csv_bytes(rows), "学会.csv", action="import", skip_bad="y")
    assert "outcome-skipped" in skipped.get_data(as_text=True) and counts()[0] == 33


def test_the_upload_page_refuses_bad_files_clearly(app, organizer_client):
    client, token = organizer_client
    no_file = client.post("/admin/directory/import", data={"csrf_token": token, "action": "import"})
    assert no_file.status_code == 400
    garbage = upload(client, token, bytes(range(256)) * 4, "x.csv", action="import")
    assert garbage.status_code == 400 and "GB18030" in garbage.get_data(as_text=True)
    bad_kind = upload(client, token, b"a,b\n", "x.csv", kind="events")
    assert bad_kind.status_code == 400
    app.config["IMPORT_MAX_BYTES"] = 2000
    big = upload(client, token, csv_bytes([PEOPLE_HEADERS, *people() * 20]), "p.csv")
    assert big.status_code == 400 and counts()[2] == 0


def test_the_templates_download_and_import_as_they_are(app, organizer_client, tmp_path):
    client, _token = organizer_client
    book = client.get("/admin/directory/import/template.xlsx")
    assert book.status_code == 200 and "attachment" in book.headers["Content-Disposition"]
    sheets = openpyxl.load_workbook(io.BytesIO(book.data))
    assert sheets.sheetnames == ["学会", "场馆", "专家", "用户"]
    assert [c.value for c in sheets["学会"][1]][:3] == ["标识", "名称", "简称"]
    for kind in ("societies", "venues", "people", "users"):
        sheet = client.get(f"/admin/directory/import/template/{kind}.csv")
        assert sheet.status_code == 200 and sheet.data.startswith(b"\xef\xbb\xbf")
    assert client.get("/admin/directory/import/template/events.csv").status_code == 404
    result = cli(app, tmp_path, "template.xlsx", book.data)
    assert result.exit_code == 0 and "4 created" in result.output, result.output


@pytest.mark.parametrize("backend", ["sqlite"])  # the reader alone: no database involved
def test_damaged_workbooks_and_zip_bombs_are_refused_in_one_message(app, backend):
    import contextlib
    import random
    import zipfile

    from scheduler.directory_import.blanks import template_xlsx
    from scheduler.directory_import.reader import read_file
    from scheduler.errors import BadInput

    good = template_xlsx()
    rnd = random.Random(13)
    for _ in range(80):
        data = bytearray(good)
        for _ in range(rnd.randint(1, 12)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        cut = bytes(data[: rnd.randrange(len(data) // 2, len(data) + 1)])
        with contextlib.suppress(BadInput):  # anything else fails the test
            read_file(cut, "x.xlsx", None, 100)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/sharedStrings.xml", b"<a>" * (40 * 1024 * 1024))
    with pytest.raises(BadInput, match=r"bomb\.xlsx"):
        read_file(bomb.getvalue(), "bomb.xlsx", None, 100)
