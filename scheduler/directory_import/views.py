"""/admin/directory/import: organizers upload a spreadsheet of societies, venues, people and
users, check it (dry run) or import it, and download blank templates."""

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.access import organizer_only
from ..errors import BadInput, RequestError, fail
from ..feeds.importer import import_limits, read_bounded, too_large
from .blanks import XLSX_TYPE, template_csv, template_xlsx
from .importer import import_directory
from .reader import KINDS

bp = Blueprint("directory_import", __name__, url_prefix="/admin/directory/import")


bp.before_request(organizer_only)


@bp.route("", methods=["GET", "POST"])
def upload():
    result, error, status = None, None, 200
    if request.method == "POST":
        try:
            result = _import()
        except RequestError as exc:
            error, status = exc.message, exc.status
    return render_template(
        "admin/directory_import.html", result=result, error=error, kinds=KINDS,
        form=request.form,
    ), status  # fmt: skip


def _import():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadInput(_("Choose an .xlsx or .csv file."), field="file")
    data = read_bounded(upload)
    if len(data) > import_limits().max_bytes:
        raise BadInput(too_large(), field="file")
    kind = request.form.get("kind", "")
    if kind and kind not in KINDS:
        raise BadInput(_("The kind must be one of: %(kinds)s.", kinds=", ".join(KINDS)),
                       field="kind")  # fmt: skip
    return import_directory(
        data, upload.filename, current_user, kind=kind or None,
        dry_run=request.form.get("action") != "import", skip_bad="skip_bad" in request.form,
    )  # fmt: skip


@bp.get("/template.xlsx")
def template_workbook():
    return _download(template_xlsx(), XLSX_TYPE, "directory-template.xlsx")


@bp.get("/template/<kind>.csv")
def template_sheet(kind: str):
    if kind not in KINDS:
        fail(404, _("There is no template for %(kind)s.", kind=kind[:40]))
    return _download(template_csv(kind), "text/csv; charset=utf-8", f"{kind}-template.csv")


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, mimetype=mimetype, headers=headers)
