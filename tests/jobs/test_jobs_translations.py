"""The jobs catalog (mail and the jobs pages) translates every message of its sources, with the
same placeholders: mail must never go out half in English."""

import os
import re

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from scheduler.notifications.i18n import CATALOGS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLACEHOLDER = re.compile(r"%\(([^)]*)\)s")


def extracted() -> dict[str, str]:
    mapping = CATALOGS / "babel.cfg"
    with mapping.open() as f:
        method_map, options_map = parse_mapping_cfg(f, str(mapping))
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "N_": None}
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT,
        method_map,
        options_map,
        keywords=keywords,
        directory_filter=lambda path: not os.path.basename(path).startswith((".", "_")),
    ):
        msgid = message if isinstance(message, str) else message[0]
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def test_every_message_of_mail_and_the_jobs_pages_is_translated():
    with (CATALOGS / "zh" / "LC_MESSAGES" / "jobs.po").open("rb") as f:
        catalog = read_po(f)
    messages = extracted()
    assert len(messages) > 100
    missing, wrong = [], []
    for msgid, where in sorted(messages.items()):
        entry = catalog.get(msgid)
        if entry is None or not entry.string or entry.fuzzy:
            missing.append(f"{where}: {msgid!r}")
        elif set(PLACEHOLDER.findall(msgid)) != set(PLACEHOLDER.findall(entry.string)):
            wrong.append(f"{msgid!r} -> {entry.string!r}")
    assert not missing, "untranslated (see docs/jobs.md, Translations):\n" + "\n".join(missing)
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)
