"""Signing in and out, the forgotten-password form and the one-time set-password page."""

import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length, Regexp

from ..database import serialized_writes
from ..errors import RequestError
from ..extensions import db
from ..security import safe_next
from . import service, token_views, user_views
from .models import MAX_EMAIL

bp = Blueprint("accounts", __name__)

# Letters a browser can send in an e-mail field; control characters (NUL breaks
# PostgreSQL) make the form invalid instead of reaching the database.
PRINTABLE = Regexp(r"^[^\x00-\x1f\x7f]*$", message=_l("Control characters are not allowed."))


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=MAX_EMAIL), PRINTABLE])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=service.MAX_PASSWORD)]
    )


class ForgotForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=MAX_EMAIL), PRINTABLE])


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("accounts/login.html", form=form), status
    email = form.email.data.strip().lower()
    guard = current_app.extensions["sign_in_guard"]
    if not guard.attempt(email):  # counted before the password is checked
        flash(_("Too many failed sign-ins; please wait 15 minutes."), "error")
        return render_template("accounts/login.html", form=form), 429
    user = service.authenticate(email, form.password.data)
    if user is None:
        flash(_("Wrong e-mail or password."), "error")
        return render_template("accounts/login.html", form=form), 401
    guard.succeeded(email)
    login_user(user)
    default = url_for("admin.approvals" if user.is_organizer else "portal.my_events")
    return redirect(safe_next(request.args.get("next")) or default)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("public.calendar"))


@bp.route("/account/forgot", methods=["GET", "POST"])
def forgot():
    """The same answer, in about the same time, whether or not the address has an account."""
    form = ForgotForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("accounts/forgot.html", form=form), status
    started = time.monotonic()
    with serialized_writes():
        service.request_password_reset(form.email.data)
        db.session.commit()
    # Pad to a fixed time: composing and queueing a mail must not show in the timing.
    elapsed = time.monotonic() - started
    time.sleep(max(0.0, current_app.config["PASSWORD_RESET_MIN_SECONDS"] - elapsed))
    return render_template("accounts/forgot_sent.html", email=form.email.data.strip())


def _set_password_page(link, status: int = 200):
    page = render_template("accounts/set_password.html", link=link, user=link.user,
                           min_password=service.MIN_PASSWORD)  # fmt: skip
    # The page's URL carries the one-time link: keep it out of caches.
    return page, status, {"Cache-Control": "no-store"}


@bp.route("/account/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    link = service.open_link(token)  # 404/410 with the reason when it cannot be used
    if request.method == "GET":
        return _set_password_page(link)
    # Read before the change: afterwards this session's token no longer matches.
    signed_in = current_user.id if current_user.is_authenticated else None
    try:
        with serialized_writes():
            user = service.set_password_with_link(
                token, request.form.get("password", ""), request.form.get("confirmation", "")
            )
            db.session.commit()
    except RequestError as exc:
        db.session.rollback()
        if exc.status != 400:
            raise
        flash(exc.message, "error")
        return _set_password_page(service.open_link(token), 400)
    current_app.extensions["sign_in_guard"].succeeded(user.email)
    if signed_in == user.id:  # the session that changed it stays in; every other is out
        login_user(user)
        flash(_("Your password is changed; your other sessions are signed out."), "ok")
        return redirect(url_for("admin.approvals" if user.is_organizer else "portal.my_events"))
    flash(_("Your password is set. Sign in with it now."), "ok")
    return redirect(url_for("accounts.login"))


def _change_password_page(status: int = 200):
    page = render_template("accounts/change_password.html", min_password=service.MIN_PASSWORD)
    return page, status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """A new password for the signed-in user; every other session of theirs is signed out."""
    if request.method == "GET":
        return _change_password_page()
    user = current_user._get_current_object()
    guard = current_app.extensions["sign_in_guard"]
    if not guard.attempt(user.email):  # guessing the current password is a sign-in attempt
        flash(_("Too many failed sign-ins; please wait 15 minutes."), "error")
        return _change_password_page(429)
    form = request.form
    try:
        with serialized_writes():
            service.change_password(
                user, form.get("current"), form.get("password", ""), form.get("confirmation", "")
            )
            db.session.commit()
    except RequestError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _change_password_page(exc.status)
    guard.succeeded(user.email)
    login_user(user)  # this session carries the new password's token
    flash(_("Your password is changed; your other sessions are signed out."), "ok")
    return redirect(url_for("accounts.change_password"))


# The token and user pages live in their own modules, on this blueprint.
token_views.register(bp)
user_views.register(bp)
