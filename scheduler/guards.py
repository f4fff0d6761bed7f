"""Input guards for every request, before any view: text no column can hold is a 400.

PostgreSQL can neither store nor compare a NUL character, and no encoding holds a lone
surrogate (JSON's "\\ud800"); a JSON body nested deeper than the parser's recursion limit
cannot be read. Each becomes one clear 400 that changes nothing, whatever the route
(pages, forms, feeds, the API), instead of a 500 from the driver deep inside a view.
"""

import re

from flask import Flask, request
from flask_babel import gettext as _

from .errors import BadInput

# Deeper JSON is refused unread: no body the API takes is more than a few levels deep.
MAX_JSON_DEPTH = 64
_UNUSABLE = re.compile("[\x00\ud800-\udfff]")


def texts(value):
    """Every string inside a JSON value, keys too (iterative: deep nesting cannot overflow)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            pending.extend([*item.keys(), *item.values()])
        elif isinstance(item, list):
            pending.extend(item)


def json_depth(data: bytes) -> int:
    """How deep arrays and objects nest in a JSON text (strings skipped), without parsing."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def _refuse(name: str):
    field = str(name)[:40]
    raise BadInput(
        _("%(field)s contains control characters.", field=_UNUSABLE.sub("?", field)), field=field
    )


def _fields():
    """(name, value) of everything the request carries: path, query, form, files, JSON."""
    yield from (request.view_args or {}).items()
    yield "path", request.path
    yield from request.args.items(multi=True)
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        yield from request.form.items(multi=True)
        for name, upload in request.files.items(multi=True):
            yield name, upload.filename or ""
    if request.is_json:
        if json_depth(request.get_data(cache=True)) > MAX_JSON_DEPTH:
            raise BadInput(
                _("The JSON body nests deeper than %(n)s levels.", n=MAX_JSON_DEPTH), field="body"
            )
        body = request.get_json(silent=True)
        yield from body.items() if isinstance(body, dict) else [("body", body)]


def install_input_guards(app: Flask) -> None:
    @app.before_request
    def refuse_unusable_text():
        for name, value in _fields():
            if isinstance(name, str) and _UNUSABLE.search(name):
                _refuse(name)
            if any(_UNUSABLE.search(text) for text in texts(value)):
                _refuse(name)
