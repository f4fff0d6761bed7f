"""Sharing in a real browser: copy buttons, QR codes, the share card, and /embed framed by
an allowed site and refused by another, at desktop and phone sizes in Chinese and English."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from scheduler import create_app
from scheduler.extensions import db
from tests.browser.conftest import ARTIFACTS, shot
from tests.browser.test_accessibility import AXE
from tests.factories import local, make_event, make_series, make_society, make_venue

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
COPIED = {"zh_CN": "已复制", "en": "Copied"}
EMBED = "/embed?city=%E6%98%86%E6%98%8E"


def serve_forever(server) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


def frame_site(src: str) -> ThreadingHTTPServer:
    """Another site (its own origin) whose page frames ``src``."""
    body = (
        '<!doctype html><html lang="en"><title>Society site</title><h1>Our events</h1>'
        f'<iframe src="{src}" title="events" width="600" height="400"></iframe>'
    ).encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    serve_forever(server)
    return server


@pytest.fixture
def share_site(tmp_path):
    """The app on its own port (PUBLIC_BASE_URL is that address, so shared links work), a
    society's site allowed to frame /embed and another one that is not."""
    holder = []
    server = make_server("127.0.0.1", 0, lambda env, start: holder[0](env, start), threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    allowed, refused = frame_site(base + EMBED), frame_site(base + EMBED)
    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'browser.db'}",
        FEED_VERSION_FILE=str(tmp_path / "feed-version"),
        PUBLIC_BASE_URL=base,
        EMBED_ORIGINS=f"http://127.0.0.1:{allowed.server_port}",
    )
    with app.app_context():
        db.create_all()
        series = make_series(slug="dianchi-nature", name="滇池自然讲堂", color="#2e7d32")
        hall = make_venue(slug="kib-hall", name="昆明植物园科普馆", city="昆明")
        host = make_society(slug="yn-botany", name="云南省植物学会", city="昆明")
        event = make_event(start=local(2031, 4, 8, 19, 30), title="高黎贡山的兰花",
                           series=series, venue=hall, host=host)  # fmt: skip
        db.session.commit()
        event_id = event.id
    holder.append(app)
    serve_forever(server)
    yield {"base": base, "event": event_id,
           "allowed": f"http://127.0.0.1:{allowed.server_port}/",
           "refused": f"http://127.0.0.1:{refused.server_port}/"}  # fmt: skip
    for s in (server, allowed, refused):
        s.shutdown()
    with app.app_context():
        db.engine.dispose()


def axe(page, selector: str | None = None) -> list[str]:
    page.add_script_tag(content=AXE)
    result = page.evaluate(
        "async (sel) => await axe.run(sel ? {include: [sel]} : document,"
        " {resultTypes: ['violations']})",
        selector,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {v['nodes'][0]['target']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def loaded(image) -> None:
    """The image is shown and decoded (waits for it: a busy machine loads it late; a broken
    image never gets a natural width, and the wait then fails)."""
    expect(image).to_be_visible()
    handle = image.element_handle()
    image.page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=handle)


def test_copy_qr_codes_share_card_and_embed_at_each_size_and_language(browser, share_site):
    base, event_id = share_site["base"], share_site["event"]
    found = {}
    for size, viewport in SIZES.items():
        context = browser.new_context(
            viewport=viewport, locale="zh-CN", bypass_csp=True,  # axe injects a script
            permissions=["clipboard-read", "clipboard-write"],
        )  # fmt: skip
        page = context.new_page()
        page.set_default_timeout(10_000)
        for lang, copied in COPIED.items():
            tag = f"{size}-{lang[:2]}"
            page.goto(f"{base}/?view=list&from=2031-04-01&city=昆明&lang={lang}")
            page.click("details.subscribe summary")
            page.click("button[data-copy=feed-url]")
            expect(page.locator("#feed-url-status")).to_have_text(copied)
            feed = page.input_value("#feed-url")
            assert page.evaluate("navigator.clipboard.readText()") == feed
            assert "city=" in feed and "/embed?city=" in page.input_value("#embed-code")
            loaded(page.locator("details.subscribe figure.qr img"))
            found[f"calendar-{tag}"] = axe(page, "details.subscribe")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.locator("details.subscribe").screenshot(
                path=str(ARTIFACTS / f"share-subscribe-{tag}.png")
            )

            page.goto(f"{base}/events/{event_id}")
            loaded(page.locator("section.share figure.qr img"))
            page.click("button[data-copy=event-link]")
            expect(page.locator("#event-link-status")).to_have_text(copied)
            assert page.evaluate("navigator.clipboard.readText()") == f"{base}/events/{event_id}"
            card_href = page.locator("section.share a.button").get_attribute("href")
            card = page.request.get(base + card_href)
            assert card.status == 200 and card.headers["content-type"] == "image/png"
            found[f"event-{tag}"] = axe(page, "section.share")
            shot(page, f"share-event-{tag}")

            page.goto(f"{base}{EMBED}")
            expect(page.locator("main.embed a", has_text="高黎贡山的兰花")).to_have_attribute(
                "target", "_blank"
            )
            found[f"embed-{tag}"] = axe(page)
            shot(page, f"share-embed-{tag}")
        context.close()
    assert not any(found.values()), {k: v for k, v in found.items() if v}


def test_embed_shows_in_a_frame_of_an_allowed_site_only(browser, share_site):
    context = browser.new_context()  # no CSP bypass: the browser enforces frame-ancestors
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(share_site["allowed"])
    framed = page.frame_locator("iframe").locator("main.embed a", has_text="高黎贡山的兰花")
    expect(framed).to_be_visible()
    shot(page, "share-frame-allowed")
    page.goto(share_site["refused"], wait_until="load")
    # Chromium's page for a refused frame; wait for the frame to settle on it.
    page.wait_for_function("() => document.querySelector('iframe') !== null")
    for _ in range(50):
        child = page.frames[1] if len(page.frames) > 1 else None
        if child is not None and child.url.startswith("chrome-error://"):
            break
        page.wait_for_timeout(100)
    assert child is not None and child.url.startswith("chrome-error://"), child and child.url
    assert child.locator("main.embed").count() == 0
    shot(page, "share-frame-refused")
    context.close()
