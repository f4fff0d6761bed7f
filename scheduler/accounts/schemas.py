"""The user and API token bodies of the API, the user pages and the spreadsheet importer,
declared once: the service validates with them and the API document is derived from them."""

from typing import Annotated, Literal

from flask_babel import gettext as _
from pydantic import Field

from .. import directory_input as di
from ..errors import BadInput
from .models import MAX_EMAIL, MAX_LOCALE, MAX_NAME, Role

LOCALES = ("zh_CN", "en")


def _email(value, name: str) -> str:
    return di.email(value, name, MAX_EMAIL).lower()


def _locale(value, name: str) -> str:
    locale = di.text(value, name, MAX_LOCALE)
    if locale and locale not in LOCALES:
        raise BadInput(_("The language must be zh_CN or en."), field=name)
    return locale


def _token_name(value, name: str) -> str:
    """Text only: a token's name never comes from a spreadsheet cell."""
    if not isinstance(value, str):
        raise BadInput(_("%(field)s must be text.", field=name), field=name)
    return di.text(value, name, MAX_NAME)


Email = Annotated[di.Email(MAX_EMAIL), di.checked(_email)]
Locale = Annotated[
    Literal[*LOCALES, ""],
    di.checked(_locale),
    Field(description='"" for the association\'s default language.'),
]
Society = Annotated[di.SlugOrNone, Field(description="Slug; editors need one.")]


class UserInvitation(di.Body):
    """A new user: mailed a one-time link to choose a password."""

    email: Email = None
    role: di.Choice(Role) = None
    society: Society = None
    name: di.Text(MAX_NAME) = None
    locale: Locale = None


class UserChange(di.Body):
    """Change name, role, society, language or active (only the keys given)."""

    role: di.Choice(Role) = None
    society: Society = None
    name: di.Text(MAX_NAME) = None
    locale: Locale = None
    active: di.Flag = None


class ApiTokenInput(di.Body):
    name: Annotated[str, di.checked(_token_name), Field(max_length=MAX_NAME)] = None
