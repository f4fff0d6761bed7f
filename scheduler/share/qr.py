"""QR codes as SVG, made with segno: the same address always gives the same bytes."""

import io

import segno

# Medium error correction survives a phone photo of a screen or of a printed poster.
ERROR = "m"
# No width/height: the page sizes the image; white quiet zone, so it scans on dark themes.
SVG_OPTIONS = {"kind": "svg", "border": 4, "omitsize": True, "xmldecl": False,
               "dark": "#000", "light": "#fff"}  # fmt: skip
# A QR code of up to this many characters stays readable at the size pages show it.
MAX_URL_LENGTH = 1000


def make_qr(url: str) -> segno.QRCode:
    return segno.make(url, error=ERROR, micro=False, boost_error=False)


def qr_svg(url: str) -> bytes:
    out = io.BytesIO()
    make_qr(url).save(out, **SVG_OPTIONS)
    return out.getvalue()
