"""/admin/users: organizers invite users, resend invitations, change roles and societies,
deactivate and reactivate accounts."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..database import serialized_writes
from ..errors import RequestError
from ..extensions import db
from ..societies.models import Society
from . import service
from .access import organizer_required
from .models import Role, User

EDITABLE = ("name", "role", "society", "locale")


def _page(status: int = 200):
    stmt = service.users_query().options(sa.orm.selectinload(User.society))
    users = db.session.scalars(stmt).all()
    societies = db.session.scalars(
        sa.select(Society).where(Society.active.is_(True)).order_by(Society.name)
    ).all()
    return render_template(
        "accounts/users.html", users=users, societies=societies, roles=list(Role),
        form=request.form,
    ), status  # fmt: skip


def _change(action, done_message: str):
    """Run ``action`` in a write transaction; a refusal is shown on the page with its status."""
    try:
        with serialized_writes():
            message = action() or done_message
            db.session.commit()
    except RequestError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _page(exc.status)
    flash(message, "ok")
    return redirect(url_for("accounts.users"))


@organizer_required
def users():
    return _page()


@organizer_required
def invite():
    data = {key: request.form.get(key, "") for key in ("email", *EDITABLE)}

    def action():
        user, _url = service.invite_user(data, current_user)
        return _("Invitation sent to %(email)s.", email=user.email)

    return _change(action, "")


@organizer_required
def update(user_id: int):
    user = service.get_user(user_id)
    data = {key: request.form[key] for key in EDITABLE if key in request.form}

    def action():
        service.update_user(user, data, current_user)

    return _change(action, _("%(email)s was updated.", email=user.email))


@organizer_required
def resend(user_id: int):
    user = service.get_user(user_id)

    def action():
        service.resend_invitation(user, current_user)

    return _change(action, _("A new invitation was sent to %(email)s.", email=user.email))


@organizer_required
def set_active(user_id: int):
    user = service.get_user(user_id)
    active = request.form.get("active", "") == "1"
    message = (
        _("%(email)s can sign in again.", email=user.email)
        if active
        else _("%(email)s was deactivated; their API tokens stop working.", email=user.email)
    )
    return _change(lambda: service.set_user_active(user, active, current_user), message)


def register(bp: Blueprint) -> None:
    """Hang the user pages on the accounts blueprint (endpoints accounts.<view>)."""
    bp.add_url_rule("/admin/users", view_func=users)
    bp.add_url_rule("/admin/users", view_func=invite, methods=["POST"])
    bp.add_url_rule("/admin/users/<int:user_id>", view_func=update, methods=["POST"])
    bp.add_url_rule("/admin/users/<int:user_id>/invitation", view_func=resend, methods=["POST"])
    bp.add_url_rule("/admin/users/<int:user_id>/active", view_func=set_active, methods=["POST"])
