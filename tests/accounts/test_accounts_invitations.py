"""Invitations and password resets through HTTP: the mail in the outbox, the one-time link,
expiry on an injected clock, reuse and replacement refused with a clear page."""

import re
import statistics
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from scheduler.accounts import service
from scheduler.accounts.models import AccountLink, Role, User
from scheduler.audit.models import AuditEntry
from scheduler.extensions import db
from scheduler.notifications.models import OutboxMessage
from scheduler.types import utcnow
from tests.accounts.conftest import PASSWORD, count, link_in, mails_to, quick_user
from tests.conftest import csrf_token, sign_in

PUBLIC = "https://events.wz-kx.example"
INVITEE = "lin.xiaoyu@ruian-physics.example"


def invite(client, **form):
    data = {"email": INVITEE, "name": "林晓雨", "role": "editor", "society": "wz-cast",
            "locale": "zh_CN", **form, "csrf_token": client.csrf}  # fmt: skip
    return client.post("/admin/users", data=data)


def set_password(client, token: str, password: str, confirmation: str | None = None):
    data = {"password": password, "confirmation": confirmation or password,
            "csrf_token": csrf_token(client, "/login")}  # fmt: skip
    return client.post(f"/account/set-password/{token}", data=data)


def move_clock(monkeypatch, delta: timedelta) -> None:
    start = utcnow()
    monkeypatch.setattr(service, "now", lambda: start + delta)


def test_invite_mail_set_password_and_sign_in(app, organizer_client, society):
    app.config["PUBLIC_BASE_URL"] = PUBLIC
    response = invite(organizer_client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users")
    user = db.session.scalar(sa.select(User).where(User.email == INVITEE))
    assert user.society.slug == "wz-cast" and user.role == Role.EDITOR and not user.password_hash

    [mail] = mails_to(INVITEE)
    base, token = link_in(mail)
    assert base == PUBLIC  # the configured address, never the request's host
    assert "温州市科协" in mail.body and mail.kind == "invitation"
    assert token not in db.session.scalar(sa.select(AccountLink.token_hash))

    visitor = app.test_client()
    page = visitor.get(f"/account/set-password/{token}")
    assert page.status_code == 200 and INVITEE in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    # Bad passwords: a clear 400, the link still works.
    assert set_password(visitor, token, "short").status_code == 400
    assert (
        set_password(visitor, token, "温州-瑞安-物理学会", "温州-瑞安-物理学会!").status_code == 400
    )
    db.session.expire_all()
    assert not db.session.get(User, user.id).password_hash

    done = set_password(visitor, token, "温州-瑞安-物理学会")
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    sign_in(visitor, INVITEE, "温州-瑞安-物理学会")
    assert visitor.get("/portal/").status_code == 200

    again = app.test_client().get(f"/account/set-password/{token}")
    assert again.status_code == 410 and "已使用" in again.get_data(as_text=True)
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.entity_type == "user",
                                           AuditEntry.entity_id == user.id).order_by(AuditEntry.id)
    ).all()  # fmt: skip
    assert actions == ["create", "invitation_sent", "password_set"]


def test_mismatched_confirmation_says_so(app, organizer_client, society):
    invite(organizer_client)
    _base, token = link_in(mails_to(INVITEE)[0])
    visitor = app.test_client()
    response = set_password(visitor, token, "long-password-1", "long-password-2")
    assert response.status_code == 400 and "两次输入的密码不一致" in response.get_data(as_text=True)


def test_invitation_in_english_for_an_english_invitee(app, organizer_client, society):
    invite(organizer_client, locale="en", email="wu.hao@lishui-cast.example")
    [mail] = mails_to("wu.hao@lishui-cast.example")
    assert mail.locale == "en" and "invited" in mail.body and "温州市科协" in mail.body


def test_an_expired_invitation_is_refused_and_changes_nothing(app, organizer_client, society,
                                                              monkeypatch):  # fmt: skip
    invite(organizer_client)
    _base, token = link_in(mails_to(INVITEE)[0])
    move_clock(monkeypatch, timedelta(days=7, minutes=1))
    visitor = app.test_client()
    page = visitor.get(f"/account/set-password/{token}")
    assert page.status_code == 410 and "已过期" in page.get_data(as_text=True)
    assert set_password(visitor, token, "long-enough-password").status_code == 410
    db.session.expire_all()
    assert not db.session.scalar(sa.select(User.password_hash).where(User.email == INVITEE))


def test_the_invitation_still_works_just_before_it_expires(app, organizer_client, society,
                                                           monkeypatch):  # fmt: skip
    invite(organizer_client)
    _base, token = link_in(mails_to(INVITEE)[0])
    move_clock(monkeypatch, timedelta(days=6, hours=23))
    assert set_password(app.test_client(), token, "long-enough-password").status_code == 302


def test_resending_replaces_the_earlier_link(app, organizer_client, society):
    invite(organizer_client)
    user = db.session.scalar(sa.select(User).where(User.email == INVITEE))
    resent = organizer_client.post(f"/admin/users/{user.id}/invitation",
                                   data={"csrf_token": organizer_client.csrf})  # fmt: skip
    assert resent.status_code == 302
    first, second = (link_in(m)[1] for m in mails_to(INVITEE))
    visitor = app.test_client()
    old = visitor.get(f"/account/set-password/{first}")
    assert old.status_code == 410 and "更新的链接" in old.get_data(as_text=True)
    assert set_password(visitor, second, "long-enough-password").status_code == 302
    # Once the password is set, a resend is refused with the reason.
    refused = organizer_client.post(f"/admin/users/{user.id}/invitation",
                                    data={"csrf_token": organizer_client.csrf})  # fmt: skip
    assert refused.status_code == 409 and len(mails_to(INVITEE)) == 2


def test_unknown_and_garbled_links_are_a_clear_404(app, client):
    for token in ("scl_nothing-here", "abc", "scl_" + "x" * 200, "scl_%0A"):
        response = client.get(f"/account/set-password/{token}")
        assert response.status_code == 404, token
    assert client.get("/account/set-password/%00").status_code == 400  # the NUL guard


def test_bad_invitations_are_refused_and_write_nothing(app, organizer_client, society):
    quick_user(Role.EDITOR, "taken@wz-kx.example", society)
    db.session.commit()
    users, mails = count(User), count(OutboxMessage)
    cases = [
        ({"email": "TAKEN@wz-kx.example"}, 409),  # the same address, other case
        ({"email": "not-an-address"}, 400),
        ({"email": ""}, 400),
        ({"society": ""}, 400),  # an editor needs a society
        ({"society": "no-such-society"}, 400),
        ({"role": "king"}, 400),
        ({"name": "名" * 121}, 400),
        ({"locale": "fr"}, 400),
    ]
    for form, status in cases:
        response = invite(organizer_client, **form)
        assert response.status_code == status, (form, response.status_code)
        assert "flash error" in response.get_data(as_text=True)
    assert (count(User), count(OutboxMessage)) == (users, mails)


# --- password reset ------------------------------------------------------------------------


def forgot(client, email: str):
    token = csrf_token(client, "/account/forgot")
    return client.post("/account/forgot", data={"email": email, "csrf_token": token})


def _without(response, email: str) -> str:
    """The page without the address typed and without the CSRF token, whose signature
    carries the second it was made (two requests a second apart differ there only)."""
    page = response.get_data(as_text=True).replace(email, "")
    return re.sub(r'(csrf[-_]token"[^>]*?(?:content|value)=")[^"]+', r"\1", page)


def test_password_reset_journey(app, client, society):
    user = quick_user(Role.EDITOR, "zhou.min@wz-chem.example", society)
    db.session.commit()
    known, unknown = forgot(client, "Zhou.Min@wz-chem.example"), forgot(client, "x@y.example")
    assert known.status_code == unknown.status_code == 200
    assert _without(known, "Zhou.Min@wz-chem.example") == _without(unknown, "x@y.example")
    [mail] = mails_to(user.email)
    assert mail.kind == "password_reset" and count(OutboxMessage) == 1
    _base, token = link_in(mail)

    visitor = app.test_client()
    assert set_password(visitor, token, "新的足够长的密码-wz2027").status_code == 302
    sign_in(visitor, user.email, "新的足够长的密码-wz2027")
    old = app.test_client()
    login = old.post("/login", data={"email": user.email, "password": PASSWORD,
                                     "csrf_token": csrf_token(old, "/login")})  # fmt: skip
    assert login.status_code == 401


def test_reset_links_expire_after_two_hours(app, client, society, monkeypatch):
    quick_user(Role.EDITOR, "he.lei@wz-bio.example", society)
    db.session.commit()
    forgot(client, "he.lei@wz-bio.example")
    _base, token = link_in(mails_to("he.lei@wz-bio.example")[0])
    move_clock(monkeypatch, timedelta(hours=2, seconds=1))
    assert client.get(f"/account/set-password/{token}").status_code == 410


def test_no_reset_mail_for_deactivated_accounts_nor_a_flood(app, client, society):
    quick_user(Role.EDITOR, "gone@wz-bio.example", society, active=False)
    quick_user(Role.EDITOR, "here@wz-bio.example", society)
    db.session.commit()
    for _ in range(3):
        assert forgot(client, "gone@wz-bio.example").status_code == 200
        assert forgot(client, "here@wz-bio.example").status_code == 200
    assert mails_to("gone@wz-bio.example") == []
    assert len(mails_to("here@wz-bio.example")) == 1  # one a minute at most


def test_bad_forgot_input_is_a_400(app, client):
    for email in ("", "a\x00b@example.org", "x" * 201):
        assert forgot(client, email).status_code == 400
    assert count(OutboxMessage) == 0


def test_forgot_takes_as_long_for_unknown_addresses(app, client, society):
    """Ratio of the medians, never an absolute time: 0.5 to 2."""
    app.config["PASSWORD_RESET_MIN_SECONDS"] = 0.05
    users = [quick_user(Role.EDITOR, f"t{i}@wz-time.example", society) for i in range(7)]
    db.session.commit()
    token = csrf_token(client, "/account/forgot")
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for i, user in enumerate(users):
        for kind, email in (("known", user.email), ("unknown", f"nobody{i}@wz-time.example")):
            started = time.perf_counter()
            response = client.post("/account/forgot", data={"email": email, "csrf_token": token})
            timings[kind].append(time.perf_counter() - started)
            assert response.status_code == 200
    assert count(OutboxMessage) == 7
    ratio = statistics.median(timings["known"]) / statistics.median(timings["unknown"])
    assert 0.5 <= ratio <= 2, timings


def test_a_link_raced_from_two_browsers_is_spent_once(app, organizer_client, society, database_url):
    """Two browsers post the same link at once to a real server: one sets the password, the
    other is told the link is used (410); the password is the winner's."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.accounts.test_accounts_sign_in import serve

    invite(organizer_client)
    _base, token = link_in(mails_to(INVITEE)[0])
    other, server, base = serve(database_url, Path(app.config["FEED_VERSION_FILE"]).parent)
    barrier = threading.Barrier(2)

    def post(password: str) -> tuple[int, str]:
        browser = requests.Session()
        page = browser.get(f"{base}/account/set-password/{token}", timeout=30).text
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        barrier.wait()
        data = {"password": password, "confirmation": password, "csrf_token": csrf}
        url = f"{base}/account/set-password/{token}"
        return browser.post(url, data=data, allow_redirects=False, timeout=60).status_code, password

    try:
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(post, ["first-browser-pw", "second-browser-pw"]))
    finally:
        server.shutdown()
        with other.app_context():
            db.engine.dispose()
    assert sorted(status for status, _ in results) == [302, 410], results
    winner = next(password for status, password in results if status == 302)
    db.session.rollback()  # a fresh snapshot
    assert db.session.scalar(sa.select(User).where(User.email == INVITEE)).check_password(winner)


@pytest.mark.parametrize(("mail_server", "link_shown"), [("", True), ("127.0.0.1", False)])
def test_the_outbox_page_hides_one_time_links_once_mail_goes_by_smtp(
    app, organizer_client, organizer, society, mail_server, link_shown
):
    """Without SMTP the outbox page is how an invitation reaches its user; with SMTP an
    organizer must not read another user's link (a reset link would hand over the account)."""
    from scheduler.accounts.service import invite_user

    user, url = invite_user(
        {"email": "lin.xiaoyu@ruian-physics.example", "role": "editor", "society": "wz-cast"},
        organizer,
    )
    db.session.commit()
    token = url.rsplit("/", 1)[1]
    app.config["MAIL_SERVER"] = mail_server
    page = organizer_client.get("/admin/outbox").get_data(as_text=True)
    assert user.email in page
    assert (token in page) is link_shown
    assert ("scl_…" in page) is not link_shown
