"""The mail of an invitation or a password reset, queued in the outbox in the user's
language. Links are built from PUBLIC_BASE_URL, never from the request's Host header."""

from flask_babel import force_locale
from flask_babel import gettext as _

from ..notifications.service import DEFAULT_LOCALE, queue_message, render_body
from ..urls import absolute_url
from .models import AccountLink, LinkPurpose, User


def queue_link_mail(user: User, link: AccountLink, plain: str) -> str:
    """Queue the link's mail to the user; returns the link's URL."""
    url = absolute_url("accounts.set_password", token=plain)
    locale = user.locale or DEFAULT_LOCALE
    invitation = link.purpose == LinkPurpose.INVITATION
    with force_locale(locale):
        subject = (
            _("Your invitation to the science events scheduler")
            if invitation
            else _("Reset your password for the science events scheduler")
        )
    body = render_body(
        "invitation" if invitation else "password_reset",
        locale,
        user=user,
        url=url,
        expires_at=link.expires_at,
        sign_in_url=absolute_url("accounts.login"),
    )
    queue_message(link.purpose.value, user.email, locale, subject, body)
    return url
