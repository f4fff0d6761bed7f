"""A new password ends the user's other sessions at their next request; the session that
set it stays signed in. The session id carries a token of the password hash (User.get_id)."""

from scheduler.accounts import service
from scheduler.accounts.models import LinkPurpose, Role
from scheduler.extensions import db
from tests.accounts.conftest import PASSWORD, quick_user
from tests.conftest import csrf_token, sign_in

NEW_PASSWORD = "丽水新密码-lishui-2029"


def test_a_reset_in_one_session_signs_the_others_out(app, client, society):
    user = quick_user(Role.EDITOR, "wu.fang@lishui-geo.example", society)
    db.session.commit()
    mine, stolen = client, app.test_client()  # the fixture set the test client class
    sign_in(mine, user.email, PASSWORD)
    sign_in(stolen, user.email, PASSWORD)
    assert stolen.get("/portal/").status_code == 200

    token = service.issue_link(user, LinkPurpose.PASSWORD_RESET, None).rsplit("/", 1)[1]
    db.session.commit()
    data = {"password": NEW_PASSWORD, "confirmation": NEW_PASSWORD,
            "csrf_token": csrf_token(mine, "/portal/")}  # fmt: skip
    changed = mine.post(f"/account/set-password/{token}", data=data)
    assert changed.status_code == 302 and changed.location.endswith("/portal/")

    assert mine.get("/portal/").status_code == 200  # still in, with the new token
    out = stolen.get("/portal/")
    assert out.status_code == 302 and "/login" in out.location
    sign_in(stolen, user.email, NEW_PASSWORD)  # the new password lets anyone back in
    assert stolen.get("/portal/").status_code == 200


def test_a_reset_from_a_signed_out_browser_signs_every_session_out(app, client, society):
    user = quick_user(Role.EDITOR, "qian.yu@lishui-geo.example", society)
    db.session.commit()
    stolen = client
    sign_in(stolen, user.email, PASSWORD)
    token = service.issue_link(user, LinkPurpose.PASSWORD_RESET, None).rsplit("/", 1)[1]
    db.session.commit()
    visitor = app.test_client()
    data = {"password": NEW_PASSWORD, "confirmation": NEW_PASSWORD,
            "csrf_token": csrf_token(visitor, "/login")}  # fmt: skip
    changed = visitor.post(f"/account/set-password/{token}", data=data)
    assert changed.status_code == 302 and changed.location.endswith("/login")
    assert "/login" in stolen.get("/portal/").location


def change(client, current: str, password: str, confirmation: str | None = None):
    data = {"current": current, "password": password, "confirmation": confirmation or password,
            "csrf_token": csrf_token(client, "/account/password")}  # fmt: skip
    return client.post("/account/password", data=data)


def test_changing_the_password_keeps_this_session_and_ends_the_others(app, client, society):
    user = quick_user(Role.EDITOR, "bai.xue@lishui-geo.example", society)
    db.session.commit()
    mine, stolen = client, app.test_client()
    sign_in(mine, user.email, PASSWORD)
    sign_in(stolen, user.email, PASSWORD)
    assert "当前密码" in mine.get("/account/password").get_data(as_text=True)

    for current, new, confirmation, words in (
        ("wrong-password-1", NEW_PASSWORD, None, "当前密码不正确"),
        (PASSWORD, "short", None, "至少"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "不一致"),
    ):
        refused = change(mine, current, new, confirmation)
        assert refused.status_code == 400 and words in refused.get_data(as_text=True)
    assert stolen.get("/portal/").status_code == 200  # nothing changed yet

    changed = change(mine, PASSWORD, NEW_PASSWORD)
    assert changed.status_code == 302 and changed.location.endswith("/account/password")
    assert "其他地方的登录已全部退出" in mine.get(changed.location).get_data(as_text=True)
    assert mine.get("/portal/").status_code == 200
    assert "/login" in stolen.get("/portal/").location
    assert "/login" in stolen.get("/account/password").location
    db.session.expire_all()
    assert user.check_password(NEW_PASSWORD)


def test_guessing_the_current_password_is_locked_out_like_sign_ins(app, client, society):
    user = quick_user(Role.EDITOR, "gu.yan@lishui-geo.example", society)
    db.session.commit()
    sign_in(client, user.email, PASSWORD)
    statuses = [change(client, f"guess-{n}-password", NEW_PASSWORD).status_code for n in range(6)]
    assert statuses == [400] * 5 + [429]
    assert change(client, PASSWORD, NEW_PASSWORD).status_code == 429  # even the right one
    db.session.expire_all()
    assert user.check_password(PASSWORD)
