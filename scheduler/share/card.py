"""The share card: a poster PNG of one event (title, time, place, host, QR code of its page),
the way science events travel through WeChat. Pure: plain strings in, PNG bytes out."""

import io
import logging
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from PIL import Image, ImageColor, ImageDraw, ImageFont

from .qr import make_qr

log = logging.getLogger(__name__)

WIDTH, HEIGHT = 1080, 1440
MARGIN = 80
BAND = 36  # the series colour band along the top
BACKGROUND = (255, 255, 255)
INK, MUTED, ALERT = (31, 35, 40), (87, 96, 106), (207, 34, 46)
DEFAULT_COLOR = (87, 96, 106)
QR_SIZE = 360
TITLE_LINES, PLACE_LINES, URL_LINES = 4, 3, 2
# Latin words and numbers wrap as a whole; every other character (Chinese) may break.
TOKENS = re.compile(r"[0-9A-Za-z][\w.,:;!?'’\"/()&+-]*\s*|\s+|.", re.UNICODE)


@dataclass(frozen=True)
class Card:
    """What the card says, already translated and formatted."""

    title: str
    kicker: str  # kind · series
    date_line: str  # with the weekday
    time_line: str  # 24-hour
    place_lines: tuple[str, ...]
    host_line: str
    url: str  # the event page: the QR code and the small print
    scan_hint: str
    color: str = ""  # "#rrggbb" of the series
    badge: str = ""  # e.g. "Cancelled"
    notes: tuple[str, ...] = field(default_factory=tuple)  # e.g. "one of 10 dates"


class Fonts:
    """Regular and bold faces of one family at any size; Pillow's own font when missing."""

    def __init__(self, regular: str, bold: str | None = None):
        self.regular = _usable(regular)
        self.bold = _usable(bold) or self.regular
        if self.regular is None:
            log.warning("share card font %s is missing or unreadable: Chinese shows as boxes",
                        regular)  # fmt: skip

    def get(self, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
        return _font(self.bold if bold else self.regular, size)


def _usable(path: str | None) -> str | None:
    """``path`` when it is a font file FreeType can read."""
    if not path or not Path(path).is_file():
        return None
    try:
        ImageFont.truetype(path, 12)
    except OSError:
        return None
    return path


@cache
def _font(path: str | None, size: int):
    if path is None:
        return ImageFont.load_default(size)
    index = _simplified_chinese_index(path)
    # Chinese and Latin need no shaping: the basic layout measures several times faster.
    return ImageFont.truetype(path, size, index=index, layout_engine=ImageFont.Layout.BASIC)


@cache
def _simplified_chinese_index(path: str) -> int:
    """A collection (.ttc) holds several faces: Noto Sans CJK's Simplified Chinese is "SC"."""
    if not path.lower().endswith(".ttc"):
        return 0
    for index in range(10):
        try:
            family, _style = ImageFont.truetype(path, 12, index=index).getname()
        except OSError:
            break
        if family.endswith(" SC"):
            return index
    return 0


def bold_beside(regular: str) -> str | None:
    """NotoSansCJK-Regular.ttc -> NotoSansCJK-Bold.ttc, when it exists."""
    if "Regular" not in regular:
        return None
    return _usable(regular.replace("Regular", "Bold"))


def wrap(text: str, font, width: int, max_lines: int) -> list[str]:
    """Lines of at most ``width`` pixels; the last one ends in "…" when text is left over."""
    lines, line = [], ""
    for token in _tokens(text, font, width):
        if font.getlength(line + token) <= width or not line:
            line += token
            continue
        lines.append(line.rstrip())
        line = token.lstrip()
        if len(lines) == max_lines:
            break
    else:
        if line.strip():
            lines.append(line.rstrip())
        return lines
    last = lines[-1]
    while last and font.getlength(last + "…") > width:
        last = last[:-1]
    lines[-1] = last.rstrip() + "…"
    return lines


def _tokens(text: str, font, width: int) -> list[str]:
    """Words and characters; a word wider than a line (an address) breaks anywhere."""
    tokens = []
    for token in TOKENS.findall(" ".join(text.split())):
        tokens.extend(token if font.getlength(token) > width else [token])
    return tokens


def _color(value: str) -> tuple[int, int, int]:
    try:
        return ImageColor.getrgb(value)[:3] if value else DEFAULT_COLOR
    except ValueError:
        return DEFAULT_COLOR


def render_card(card: Card, fonts: Fonts) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    color = _color(card.color)
    draw.rectangle((0, 0, WIDTH, BAND), fill=color)
    text_width = WIDTH - 2 * MARGIN
    y = BAND + 64
    kicker = fonts.get(34)
    draw.text((MARGIN, y), card.kicker, font=kicker, fill=MUTED)
    if card.badge:
        badge = fonts.get(34, bold=True)
        x = WIDTH - MARGIN - badge.getlength(card.badge)
        draw.text((x, y), card.badge, font=badge, fill=ALERT)
    y += 70
    title = fonts.get(68, bold=True)
    for line in wrap(card.title, title, text_width, TITLE_LINES):
        draw.text((MARGIN, y), line, font=title, fill=INK)
        y += 92
    y += 24
    draw.rectangle((MARGIN, y, MARGIN + 120, y + 8), fill=color)
    y += 56
    y = _details(draw, card, fonts, y, text_width)
    _footer(image, draw, card, fonts)
    out = io.BytesIO()
    # A few inks on white: 64 colours keep the anti-aliasing, encode twice as fast as RGB
    # and make a third of the bytes.
    image.quantize(64, method=Image.Quantize.FASTOCTREE).save(out, format="PNG")
    return out.getvalue()


def _details(draw, card: Card, fonts: Fonts, y: int, width: int) -> int:
    """When, where, who: stops above the footer whatever the lengths."""
    bottom = HEIGHT - MARGIN - QR_SIZE - 40
    big, body = fonts.get(46, bold=True), fonts.get(38)
    rows = [(card.date_line, big, 66), (card.time_line, big, 84)]
    for place in card.place_lines:
        rows += [(line, body, 56) for line in wrap(place, body, width, PLACE_LINES)]
    rows += [("", body, 20), (card.host_line, body, 56)]
    rows += [(note, body, 56) for note in card.notes]
    for text, font, height in rows:
        if y + height > bottom:
            break
        if text:
            draw.text((MARGIN, y), text, font=font, fill=INK if font is big else MUTED)
        y += height
    return y


def _footer(image, draw, card: Card, fonts: Fonts) -> None:
    """The QR code of the event page at the bottom right, the hint and address beside it."""
    code = _qr_image(card.url).resize((QR_SIZE, QR_SIZE), Image.Resampling.NEAREST)
    left, top = WIDTH - MARGIN - QR_SIZE, HEIGHT - MARGIN - QR_SIZE
    image.paste(code, (left, top))
    width = left - MARGIN - 40
    hint = fonts.get(40, bold=True)
    y = top + QR_SIZE // 2 - 60
    for line in wrap(card.scan_hint, hint, width, 2):
        draw.text((MARGIN, y), line, font=hint, fill=INK)
        y += 56
    small = fonts.get(24)
    for line in wrap(card.url, small, width, URL_LINES):
        draw.text((MARGIN, y + 8), line, font=small, fill=MUTED)
        y += 34


def _qr_image(url: str) -> Image.Image:
    """The code at one pixel per module, with a quiet zone of two modules."""
    matrix, border = make_qr(url).matrix, 2
    code = Image.new("L", (len(matrix) + 2 * border,) * 2, 255)
    dark = [
        (x + border, y + border) for y, row in enumerate(matrix) for x, m in enumerate(row) if m
    ]
    ImageDraw.Draw(code).point(dark, fill=0)
    return code
