"""The translations of mail and of the jobs pages: a Flask-Babel domain with its own catalog.

Mail must go out in Chinese whatever the state of the application's catalog, so this area
keeps its messages (English msgids) in ``notifications/translations/<lang>/LC_MESSAGES/
jobs.po``, read straight from the .po file (no build step) and laid over the application's
catalog, so the pages of this area that extend ``base.html`` stay translated too.
"""

import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from flask import current_app
from flask_babel import Domain, get_locale

CATALOGS = Path(__file__).resolve().parent / "translations"
DOMAIN = "jobs"


def _own_catalog(language: str) -> Translations | None:
    po = CATALOGS / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.exists():
        return None
    with po.open("rb") as f:
        catalog = read_po(f, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


class JobsDomain(Domain):
    """The application's catalog for the locale, with this area's catalog laid over it."""

    def __init__(self):
        super().__init__(domain=DOMAIN)

    def get_translations(self):
        locale = get_locale()
        key = str(locale)
        if key not in self.cache:
            app_dirs = current_app.extensions["babel"].translation_directories
            merged = Translations()
            for directory in app_dirs:
                merged.merge(Translations.load(directory, [locale], "messages"))
            own = _own_catalog(locale.language) if locale is not None else None
            if own is not None:
                merged.merge(own)
            self.cache[key] = merged
        return self.cache[key]


domain = JobsDomain()
gettext = domain.gettext
ngettext = domain.ngettext
lazy_gettext = domain.lazy_gettext
_ = gettext
_l = lazy_gettext


def template_i18n() -> dict:
    """Context for render_template: Jinja's ``_`` resolves ``gettext`` from the context."""
    return {"gettext": gettext, "ngettext": ngettext}
