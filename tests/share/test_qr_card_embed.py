"""Sharing (scheduler/share): QR codes of event pages and feeds, the share card, the
embeddable calendar and its frame-ancestors, the copy buttons of the subscribe panel."""

import io
import logging
import re
from datetime import datetime, timedelta
from html import unescape
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
import segno
from flask_babel import format_date
from PIL import Image

from config import ConfigError
from scheduler import create_app
from scheduler.enums import EventStatus
from scheduler.events.queries import get_public_event
from scheduler.extensions import db
from scheduler.security import embed_origins
from scheduler.share.card import Fonts, wrap
from scheduler.share.content import card_content
from scheduler.share.qr import ERROR, SVG_OPTIONS
from tests.conftest import app_with
from tests.factories import SHANGHAI, local, make_event, make_series, make_society, make_venue

BASE = "http://127.0.0.1:5000"  # TestConfig's PUBLIC_BASE_URL
ORIGINS = "https://www.gdsta.org.cn, https://kx.example.edu.cn/"
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


@pytest.fixture
def app(backend, database_url, tmp_path):
    """The suite's app with embedding origins and the page cache on (its folder in tmp_path)."""
    with app_with(backend, database_url, tmp_path, PAGE_CACHE=True, EMBED_ORIGINS=ORIGINS) as app:
        yield app


@pytest.fixture
def kunming(app):
    """A botany lecture series in Kunming, a lecture in Dali, a draft and a pending filing."""
    series = make_series(slug="dianchi-nature", name="滇池自然讲堂", color="#2e7d32")
    garden = make_venue(slug="kib-hall", name="昆明植物园科普馆", city="昆明",
                        address="昆明市盘龙区蓝黑路132号")  # fmt: skip
    dali = make_venue(slug="erhai-hall", name="洱海生态报告厅", city="大理")
    host = make_society(slug="yn-botany", name="云南省植物学会", city="昆明")
    lecture = make_event(start=local(2031, 4, 8, 19, 30), title="高黎贡山的兰花与它们的传粉昆虫",
                         series=series, venue=garden, host=host)  # fmt: skip
    other = make_event(start=local(2031, 4, 9, 9), title="洱海湿地观鸟", venue=dali, host=host)
    draft = make_event(start=local(2031, 4, 10, 9), title="未公开的草稿", venue=garden,
                       host=host, status=EventStatus.DRAFT)  # fmt: skip
    pending = make_event(start=local(2031, 4, 11, 9), title="待审批的活动", venue=garden,
                         host=host, status=EventStatus.SUBMITTED)  # fmt: skip
    db.session.commit()
    return {"series": series, "lecture": lecture, "other": other, "draft": draft,
            "pending": pending}  # fmt: skip


def segno_svg(url: str) -> bytes:
    """What segno itself makes of ``url`` with the options the site uses."""
    out = io.BytesIO()
    segno.make(url, error=ERROR, micro=False, boost_error=False).save(out, **SVG_OPTIONS)
    return out.getvalue()


def near(pixel, color) -> bool:
    """The card has 64 colours: a colour may move by a step."""
    return all(abs(a - b) <= 3 for a, b in zip(pixel, color))


def blank(region) -> bool:
    return all(high - low <= 2 for low, high in region.getextrema())


def test_event_qr_code_is_segnos_code_of_the_event_page_and_unpublished_events_have_none(
    client, kunming
):
    lecture = kunming["lecture"]
    response = client.get(f"/events/{lecture.id}/qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert ElementTree.fromstring(response.data).tag == "{http://www.w3.org/2000/svg}svg"
    assert response.data == segno_svg(f"{BASE}/events/{lecture.id}")
    assert response.data != segno_svg(f"{BASE}/events/{kunming['other'].id}")
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    for hidden in (kunming["draft"], kunming["pending"]):
        assert client.get(f"/events/{hidden.id}/qr.svg").status_code == 404
        assert client.get(f"/events/{hidden.id}/card.png").status_code == 404
    assert client.get("/events/987654/qr.svg").status_code == 404


def test_feed_qr_codes_only_for_addresses_of_this_site(client, kunming):
    feed = f"{BASE}/calendar.ics?series=dianchi-nature&city=昆明"
    canonical = f"{BASE}/calendar.ics?series=dianchi-nature&city=%E6%98%86%E6%98%8E"
    ok = client.get("/qr.svg?url=" + quote(feed + "&utm_source=wechat"))
    assert ok.status_code == 200 and ok.data == segno_svg(canonical)  # unknown arguments dropped
    webcal = client.get("/qr.svg?url=" + quote("webcal://127.0.0.1:5000/feeds/venues/kib-hall.ics"))
    assert webcal.data == segno_svg("webcal://127.0.0.1:5000/feeds/venues/kib-hall.ics")
    refused = [
        "https://evil.example/calendar.ics",
        "http://127.0.0.1:5000.evil.example/calendar.ics",
        "javascript:alert(1)",
        "http://[::1/calendar.ics",
        f"{BASE}/calendar.ics\x00",
        f"{BASE}/feeds/private/abcdef.ics",  # a private feed's address is its secret
        f"{BASE}/login",
        f"{BASE}/no/such/page",
        f"{BASE}/calendar.ics?series=no-such-series",
        f"{BASE}/calendar.ics?q=" + "x" * 1000,
        "",
    ]
    for url in refused:
        assert client.get("/qr.svg?url=" + quote(url)).status_code == 400, url
    message = client.get("/qr.svg?url=" + quote(refused[0])).get_data(as_text=True)
    assert "只有本站公开页面和订阅源的地址才能生成二维码" in message


def test_share_card_is_a_png_poster_with_the_title_and_the_series_colour(app, client, kunming):
    lecture = kunming["lecture"]
    response = client.get(f"/events/{lecture.id}/card.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=600"
    image = Image.open(io.BytesIO(response.data)).convert("RGB")
    assert image.size == (1080, 1440)
    assert near(image.getpixel((540, 10)), (0x2E, 0x7D, 0x32))  # the series band
    title_area = image.crop((80, 170, 1000, 460))
    dark = sum(title_area.convert("L").histogram()[:70])  # pixels of dark ink
    assert dark > 5000, "no title drawn"
    assert not blank(image.crop((80, 400, 1000, 1000)))  # the details
    again = client.get(
        f"/events/{lecture.id}/card.png", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304
    # An edit shows at once (the page cache's version moves on commit): one line of title
    # leaves blank the place of the second one.
    lecture.title = "Short"
    db.session.commit()
    edited = Image.open(io.BytesIO(client.get(f"/events/{lecture.id}/card.png").data))
    assert blank(edited.convert("RGB").crop((220, 262, 1000, 335)))


def test_a_repeating_events_card_shows_its_next_session_that_is_not_cancelled(app, kunming):
    today = datetime.now(SHANGHAI).date()
    start = local(*(today - timedelta(days=14)).timetuple()[:3], 19, 30)
    skipped = (start + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M")  # today's session
    weekly = make_event(start=start, title="周末观鸟", rrule="FREQ=WEEKLY;COUNT=6",
                        exdates=[skipped], series=kunming["series"])  # fmt: skip
    db.session.commit()
    with app.test_request_context("/?lang=en"):
        card = card_content(*get_public_event(weekly.id))
        assert card.date_line == format_date(today + timedelta(days=7), "full")
        assert card.time_line == "19:30–21:30" and card.notes and "5" in card.notes[0]
        assert card.url == f"{BASE}/events/{weekly.id}" and card.color == "#2e7d32"


def test_share_card_without_its_font_still_renders_and_warns(
    app, client, kunming, caplog, tmp_path
):
    app.config["SHARE_CARD_FONT"] = "/nonexistent/NotoSansCJK-Regular.ttc"
    with caplog.at_level(logging.WARNING, logger="scheduler.share.card"):
        response = client.get(f"/events/{kunming['lecture'].id}/card.png?lang=en")
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.data)).size == (1080, 1440)
    assert "font" in caplog.text and "missing" in caplog.text
    not_a_font = tmp_path / "NotoSansCJK-Regular.ttc"
    not_a_font.write_bytes(b"not a font")
    app.config["SHARE_CARD_FONT"] = str(not_a_font)
    assert client.get(f"/events/{kunming['lecture'].id}/card.png?lang=zh_CN").status_code == 200


def test_embed_may_be_framed_by_the_configured_origins_only(client, kunming, count_queries):
    url = "/embed?city=昆明&from=2031-04-01"
    first = client.get(url)
    assert first.status_code == 200
    csp = first.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://www.gdsta.org.cn https://kx.example.edu.cn;" in csp
    assert "X-Frame-Options" not in first.headers
    html = first.get_data(as_text=True)
    lecture = kunming["lecture"]
    assert "高黎贡山的兰花与它们的传粉昆虫" in html and "洱海湿地观鸟" not in html  # city filter
    assert "未公开的草稿" not in html and "待审批的活动" not in html
    link = f'<a href="{BASE}/events/{lecture.id}" target="_blank" rel="noopener">'
    assert link in html
    assert 'class="site"' not in html  # no header or navigation
    with count_queries() as queries:
        hit = client.get(url)
    assert queries == [] and hit.status_code == 200  # from the page cache, same headers
    assert hit.headers["Content-Security-Policy"] == csp and "X-Frame-Options" not in hit.headers
    for other in ("/", f"/events/{lecture.id}", f"/events/{lecture.id}/card.png"):
        response = client.get(other)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], other
        assert response.headers["X-Frame-Options"] == "DENY", other


def test_embed_refuses_bad_filters_with_a_message(client, kunming):
    for url in ("/embed?limit=0", "/embed?limit=51", "/embed?limit=x", "/embed?series=nope",
                "/embed?kind=party"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 400, url
        assert "<main" in response.get_data(as_text=True), url
    one = client.get("/embed?from=2031-04-01&limit=1").get_data(as_text=True)
    assert one.count('<li class="occ') == 1


@pytest.mark.parametrize(
    ("value", "origins"),
    [
        ("", ()),
        (ORIGINS, ("https://www.gdsta.org.cn", "https://kx.example.edu.cn")),
        ("HTTPS://A.example.org:8443 https://*.kx.example.net",
         ("https://a.example.org:8443", "https://*.kx.example.net")),
    ],
)  # fmt: skip
def test_embed_origins_are_parsed(value, origins):
    assert embed_origins(value) == origins


@pytest.mark.parametrize(
    "value",
    ["https://a.example.org/page", "www.gdsta.org.cn", "javascript:alert(1)",
     "https://a.org; script-src *", "'unsafe-inline'", "https://a.org?x=1"],
)  # fmt: skip
def test_embed_origins_that_are_no_origin_stop_the_start(value, tmp_path):
    with pytest.raises(ConfigError, match="EMBED_ORIGINS"):
        create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'x.db'}",
                   EMBED_ORIGINS=value)  # fmt: skip


def test_subscribe_panel_has_copy_buttons_its_feeds_qr_code_and_an_embed_snippet(client, kunming):
    html = client.get("/?view=list&from=2031-04-01&series=dianchi-nature&city=昆明").get_data(
        as_text=True
    )
    assert 'data-copy="feed-url"' in html and 'id="feed-url-status"' in html
    assert 'aria-live="polite"' in html and "/static/js/copy.js" in html
    snippet = unescape(re.search(r'<textarea id="embed-code"[^>]*>([^<]*)</textarea>', html)[1])
    assert snippet.startswith(f'<iframe src="{BASE}/embed?') and 'loading="lazy"' in snippet
    assert "series=dianchi-nature" in snippet and "city=%E6%98%86%E6%98%8E" in snippet
    assert 'data-copy="embed-code"' in html
    feed = unescape(
        re.search(r'<input id="feed-url" class="copy" readonly value="([^"]+)"', html)[1]
    )
    qr_src = unescape(re.search(r'<img src="(/qr\.svg\?url=[^"]+)"', html)[1])
    assert client.get(qr_src).data == segno_svg(feed)
    # A venue's page shares its own feed: /feeds/venues/<slug>.ics and /embed?venue=<slug>.
    venue = client.get("/venues/kib-hall").get_data(as_text=True)
    assert f'value="{BASE}/feeds/venues/kib-hall.ics"' in venue and 'data-copy="feed-url"' in venue
    assert "/embed?venue=kib-hall" in venue and "/qr.svg?url=" in venue


def test_event_page_shows_its_qr_code_share_card_and_link_to_copy(client, kunming):
    lecture = kunming["lecture"]
    html = client.get(f"/events/{lecture.id}").get_data(as_text=True)
    assert f'src="/events/{lecture.id}/qr.svg"' in html
    assert f'href="/events/{lecture.id}/card.png"' in html
    assert f'value="{BASE}/events/{lecture.id}"' in html and 'data-copy="event-link"' in html


def test_wrap_breaks_chinese_anywhere_and_latin_at_spaces():
    font = Fonts(FONT).get(40)
    lines = wrap("高黎贡山的兰花与它们的传粉昆虫，以及滇西北的高山植物", font, 400, 3)
    assert len(lines) > 1 and all(font.getlength(line) <= 400 for line in lines)
    assert "".join(lines).replace("…", "") in "高黎贡山的兰花与它们的传粉昆虫，以及滇西北的高山植物"
    english = wrap("Orchids of the Gaoligong Mountains and their pollinators", font, 400, 2)
    assert english[0].split()[-1] in ("the", "of", "Gaoligong", "Orchids")
    assert english[-1].endswith("…") and len(english) == 2
    url = wrap("http://127.0.0.1:5000/events/123456789/with/a/very/long/path", font, 200, 9)
    assert len(url) > 1 and all(font.getlength(line) <= 200 for line in url)
