"""/account/tokens: every signed-in user creates named API tokens (each shown once), sees
when they were last used, and revokes them."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..database import serialized_writes
from ..errors import RequestError
from ..extensions import db
from . import service
from .models import MAX_NAME


def _page(new_token: str | None = None, status: int = 200):
    page = render_template(
        "accounts/tokens.html",
        tokens=service.own_tokens(current_user),
        new_token=new_token,
        max_name=MAX_NAME,
    )
    # A page showing a new token must not stay in a cache.
    return page, status, {"Cache-Control": "no-store"}


@login_required
def tokens():
    return _page()


@login_required
def create_token():
    try:
        with serialized_writes():
            _token, plain = service.create_api_token(current_user, request.form.get("name", ""))
            db.session.commit()
    except RequestError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _page(status=exc.status)
    return _page(new_token=plain)


@login_required
def revoke_token(token_id: int):
    with serialized_writes():
        token = service.revoke_api_token(current_user, token_id)
        db.session.commit()
    flash(_("The token %(prefix)s… was revoked; programs using it are refused now.",
            prefix=token.prefix), "ok")  # fmt: skip
    return redirect(url_for("accounts.tokens"))


def register(bp: Blueprint) -> None:
    """Hang the token pages on the accounts blueprint (endpoints accounts.<view>)."""
    bp.add_url_rule("/account/tokens", view_func=tokens)
    bp.add_url_rule("/account/tokens", view_func=create_token, methods=["POST"])
    bp.add_url_rule(
        "/account/tokens/<int:token_id>/revoke", view_func=revoke_token, methods=["POST"]
    )
