"""The society editor's event form in a real browser (#16), desktop and phone, Chinese and
English, under the site's real CSP: searchable lists (Tom Select), adding a speaker from the
form, findings in view while the time is edited, and a refused submit whose suggestion
opens the form with the error gone; axe-clean."""

import re

import pytest
from playwright.sync_api import expect

from scheduler.accounts.models import Role
from scheduler.extensions import db
from tests.browser.conftest import ARTIFACTS, shot
from tests.browser.test_accessibility import AXE
from tests.browser.test_journeys import sign_in
from tests.factories import local, make_event, make_person, make_society, make_user, make_venue

pytestmark = [pytest.mark.browser]
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


def _seed(app) -> None:
    with app.app_context():
        host = make_society(slug="jl-chem", name="吉林省化学学会", city="长春")
        for n, name in enumerate(["朝阳区科协", "南关区科协", "绿园区科协", "宽城区科协"]):
            make_society(slug=f"cc-district-{n}", name=name, city="长春")
        rival = make_society(slug="jlu-kexie", name="吉林大学科协", city="长春")
        hall = make_venue(slug="jingyue-hall", name="净月报告厅", city="长春", capacity=120)
        make_venue(slug="nanhu-hall", name="南湖讲堂", city="长春", capacity=200)
        meng = make_person(slug="meng-prof", name="孟教授", title="教授", affiliation="吉林大学")
        make_person(slug="gu-dr", name="顾博士", affiliation="长春应化所")
        make_event(start=local(2031, 5, 20, 14), host=rival, venue=hall, speakers=[meng],
                   title="稀土化学报告")  # fmt: skip
        make_user(Role.EDITOR, host, email="li@jl-chem.example")
        db.session.commit()


def _axe(page) -> list[str]:
    """axe-core evaluated through DevTools (the page's CSP stays in force for the app)."""
    page.evaluate(AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {v['nodes'][0]['target']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _pick(page, select_id: str, typed: str, option: str) -> None:
    """Search a Tom Select list and pick one option."""
    page.locator(f"#{select_id}-ts-control").click()
    page.keyboard.type(typed)
    page.locator(".ts-dropdown .option", has_text=option).first.click()
    page.locator("h1").click()  # leave the list


def _walk(page, base: str, size: str, lang: str, n: int, found: dict) -> None:
    short = "zh" if lang == "zh_CN" else "en"
    page.goto(f"{base}/portal/events/new?lang={lang}")
    page.fill("#f-title", f"稀土发光材料公众讲座 {n}")
    page.select_option("#f-venue", "jingyue-hall")
    page.fill("#f-expected", "80")
    _pick(page, "f-cohosts", "南关", "南关区科协")
    expect(page.locator("#f-cohosts option[value=cc-district-1]:checked")).to_have_count(1)
    _pick(page, "f-speakers", "孟", "孟教授")
    expect(page.locator("#f-speakers option[value=meng-prof]:checked")).to_have_count(1)

    # A new speaker, added from the form and chosen at once.
    page.click("#add-speaker")
    dialog = page.locator("#speaker-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("#s-name").fill(f"新讲者{n}")
    dialog.locator("#s-affiliation").fill("东北师范大学")
    if short == "zh":  # the dialog once per size: its words are the form's
        found[f"speaker-dialog-{size}"] = _axe(page)
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden()
    picked = page.locator("#f-speakers + .ts-wrapper .item", has_text=f"新讲者{n}")
    expect(picked).to_be_visible()

    # Editing the time: the findings stay in view beside (desktop) or below (phone) it.
    page.fill("#f-start", "2031-05-20T14:30")
    page.fill("#f-end", "2031-05-20T16:30")
    expect(page.locator("#findings .finding.error").first).to_be_visible()
    expect(page.locator("#f-start")).to_be_in_viewport()
    expect(page.locator("#findings .finding.error").first).to_be_in_viewport()
    end, side = page.locator("#f-end").bounding_box(), page.locator(".form-findings").bounding_box()
    assert end["y"] + end["height"] <= side["y"] or end["x"] + end["width"] <= side["x"]
    found[f"form-{size}-{short}"] = _axe(page)
    # What the editor sees while typing the time (the viewport, not the whole page).
    page.screenshot(path=str(ARTIFACTS / f"portal-event-form-{size}-{short}.png"))

    page.click("form#event-form > button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/events/\d+$"))
    page.click("form.decide button[value=submit]")
    expect(page.locator("[role=alert]").first).to_be_visible()  # refused: a conflict
    suggestion = page.locator("#findings a.suggestion").first
    expect(suggestion).to_be_visible()
    found[f"refused-{size}-{short}"] = _axe(page)
    shot(page, f"portal-event-refused-{size}-{short}")
    suggestion.click()
    page.wait_for_url(re.compile(r"/portal/events/\d+/edit\?"))
    expect(page.locator("#findings p.ok")).to_be_visible()
    assert page.input_value("#f-start") != "2031-05-20T14:30"
    page.click("form#event-form > button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/events/\d+$"))
    page.click("form.decide button[value=submit]")
    expect(page.locator(".status.submitted").first).to_be_visible()


def test_an_editor_fills_the_form_in_both_sizes_and_languages(browser, live_app):
    app, base = live_app
    _seed(app)
    found, blocked, n = {}, [], 0
    for size, (width, height) in SIZES.items():
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("console", lambda m: "Content Security Policy" in m.text and blocked.append(m.text))
        sign_in(page, base, "li@jl-chem.example")
        for lang in ("zh_CN", "en"):
            n += 1
            _walk(page, base, size, lang, n, found)
        context.close()
    assert not blocked, blocked
    assert not any(found.values()), {k: v for k, v in found.items() if v}
