"""The Chinese catalog covers every message of the code and the templates.

Extraction runs in-process with the mapping of ``babel.cfg`` and the keywords of
``make extract-messages`` (the defaults plus ``_l`` and ``N_``), so a string added without
its translation fails here. No app or database is needed.
"""

import os
import re

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BABEL_CFG = os.path.join(ROOT, "babel.cfg")
ZH_CATALOG = os.path.join(ROOT, "scheduler", "translations", "zh", "LC_MESSAGES", "messages.po")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "N_": None}
PLACEHOLDER = re.compile(r"%\(([^)]*)\)s")


def _keep_directory(path: str) -> bool:
    """Like pybabel extract: skip hidden and underscore folders (.venv, __pycache__)."""
    name = os.path.basename(path)
    return not name.startswith((".", "_"))


def _as_tuple(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


@pytest.fixture(scope="module")
def extracted() -> dict[tuple[str, str | None], list[str]]:
    """{(msgid, context): ["file:line", ...]} for every message in the sources."""
    with open(BABEL_CFG) as f:
        method_map, options_map = parse_mapping_cfg(f, BABEL_CFG)
    found: dict[tuple[str, str | None], list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        ROOT,
        method_map,
        options_map,
        keywords=KEYWORDS,
        directory_filter=_keep_directory,
    ):
        msgid = _as_tuple(message)[0]
        if msgid:
            found.setdefault((msgid, context), []).append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def catalog():
    with open(ZH_CATALOG, "rb") as f:
        return read_po(f)


def test_extraction_finds_messages(extracted):
    assert len(extracted) > 100, "babel.cfg or the keywords no longer match the sources"


def test_every_message_is_translated(extracted, catalog):
    missing = []
    for (msgid, context), where in sorted(extracted.items(), key=lambda item: item[1][0]):
        message = catalog.get(msgid, context)
        if message is None:
            problem = "not in the catalog"
        elif message.fuzzy:
            problem = "fuzzy"
        elif not all(_as_tuple(message.string)):
            problem = "untranslated"
        else:
            continue
        missing.append(f"{where[0]}: {msgid!r} ({problem})")
    assert not missing, (
        f"{len(missing)} message(s) lack a Chinese translation; run `make extract-messages` "
        "and translate them in scheduler/translations/zh/LC_MESSAGES/messages.po:\n"
        + "\n".join(missing)
    )


def test_translations_keep_the_placeholders(catalog):
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        expected = set().union(*(PLACEHOLDER.findall(i) for i in _as_tuple(message.id)))
        for string in _as_tuple(message.string):
            if not string:
                continue
            got = set(PLACEHOLDER.findall(string))
            if got != expected:
                wrong.append(
                    f"{message.id!r} -> {string!r}: expected {sorted(expected)}, "
                    f"found {sorted(got)}"
                )
    assert not wrong, "Placeholders differ from the source text:\n" + "\n".join(wrong)
