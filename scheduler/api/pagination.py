"""Page and per-page arguments shared by every list endpoint."""

from flask import current_app
from flask_babel import gettext as _

from ..database import MAX_ID
from ..errors import BadInput, NotFound


def parse_page(args) -> tuple[int, int]:
    max_size = current_app.config["API_MAX_PAGE_SIZE"]
    try:
        page = int(args.get("page", 1))
        per_page = int(args.get("per_page", current_app.config["API_PAGE_SIZE"]))
    except ValueError:
        raise BadInput(_("page and per_page must be whole numbers."), field="page") from None
    if page < 1:
        raise BadInput(_("page must be 1 or more."), field="page")
    if page > MAX_ID:  # past any last page, and an OFFSET the database would not take
        raise BadInput(_("page must be between 1 and %(max)s.", max=MAX_ID), field="page")
    if not 1 <= per_page <= max_size:
        raise BadInput(_("per_page must be between 1 and %(max)s.", max=max_size), field="per_page")
    return page, per_page


def page_envelope(items: list, page: int, per_page: int, total: int) -> dict:
    pages = max(1, -(-total // per_page))
    if page > pages:
        raise NotFound(
            _("Page %(page)s is out of range (last page: %(pages)s).", page=page, pages=pages)
        )
    return {"items": items, "page": page, "per_page": per_page, "total": total, "pages": pages}
