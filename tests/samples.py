"""Small files built by the tests (never fetched): good photos and documents of every kind a phone,
camera or scanner writes, and the hostile or broken ones the upload checks must refuse."""

from __future__ import annotations

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

RED, GREEN, BLUE, WHITE, BLACK = (220, 20, 20), (20, 200, 20), (20, 20, 220), (255, 255, 255), (0, 0, 0)


def encode(img: Image.Image, fmt: str, **params) -> bytes:
    if fmt.upper() in ("HEIF", "HEIC"):
        from org.images import pillow

        pillow()  # registers the HEIF plugin (encoder of pillow-heif) as the app does
        fmt = "HEIF"
    out = io.BytesIO()
    img.save(out, fmt, **params)
    return out.getvalue()


def solid(fmt="PNG", size=(64, 48), color=RED, mode="RGB", **params) -> bytes:
    return encode(Image.new(mode, size, color), fmt, **params)


def png(size=(64, 48), color=RED) -> bytes:
    return solid("PNG", size, color)


def jpeg(size=(64, 48), color=RED) -> bytes:
    return solid("JPEG", size, color, quality=95)


def webp(size=(64, 48), color=RED) -> bytes:
    return solid("WEBP", size, color, quality=95)


def heic(size=(64, 48), color=RED) -> bytes:
    return solid("HEIF", size, color, quality=95)


def gif(size=(16, 16)) -> bytes:
    return solid("GIF", size, 1, mode="P")


def pdf(pages: int = 1, extra=None) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if extra:
        extra(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_javascript(obfuscated=False) -> bytes:
    """A PDF that runs a script when opened; `obfuscated` spells the names with #xx escapes."""
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    def add_script(writer):
        writer.root_object[NameObject("/OpenAction")] = DictionaryObject({
            NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")})
    data = pdf(extra=add_script)
    if obfuscated:
        data = data.replace(b"/JavaScript", b"/J#61vaScript").replace(b"/JS ", b"/J#53 ")
        assert b"/JavaScript" not in data
    return data


def pdf_with_attachment() -> bytes:
    return pdf(extra=lambda writer: writer.add_attachment("x.html", b"<script>alert(1)</script>"))


def truncated_jpeg() -> bytes:
    """A real photo-like JPEG cut off mid-scan, as an interrupted upload leaves it."""
    data = noisy_jpeg()
    return data[: len(data) * 2 // 3]


def noisy_jpeg(size=(256, 192)) -> bytes:
    img = Image.effect_noise(size, 60).convert("RGB")
    return encode(img, "JPEG", quality=90)


def svg() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><script>alert(1)</script></svg>'


def html() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def gif_js_polyglot() -> bytes:
    """Valid as a GIF and as JavaScript (`GIF89a/*…*/=alert(1);`)."""
    return (b"GIF89a/*\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00"
            b"\x02\x02D\x01\x00;*/=alert(document.domain);")


def pdf_html_polyglot() -> bytes:
    """A valid PDF with an HTML page riding after its end."""
    return pdf() + b"\n<html><script>alert(document.cookie)</script></html>\n"


def jpeg_html_polyglot() -> bytes:
    """A valid JPEG carrying an HTML page in a comment segment: harmless only if served as an image."""
    data = jpeg()
    comment = b"<html><script>alert(document.cookie)</script></html>"
    return data[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + data[2:]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width=100_000, height=100_000) -> bytes:
    """A well-formed PNG header announcing 10 gigapixels (a few hundred bytes on disk)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * 4096, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def big_png(width=8000, height=6000) -> bytes:
    """A PNG header announcing 48 megapixels: above the 40-megapixel limit, below Pillow's own."""
    return png_bomb(width, height)


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


# The matrix: each hostile or odd input, and what must happen to it in a photo field and in a
# document field: stored as the type with this extension (".png"), or refused with a message
# that names the file and says what is wrong (a fragment of it).
MATRIX = {
    "png named .html": (lambda: upload("x.html", png(), "text/html"), ".png", ".png"),
    "svg": (lambda: upload("x.svg", svg(), "image/svg+xml"), "x.svg: SVG files are not accepted here",
            "x.svg: SVG files are not accepted here"),
    "html": (lambda: upload("x.html", html(), "text/html"), "x.html: HTML files are not accepted here",
             "x.html: HTML files are not accepted here"),
    "pdf": (lambda: upload("x.pdf", pdf(), "application/pdf"), "x.pdf: PDF files are not accepted here", ".pdf"),
    "truncated jpeg": (lambda: upload("cut.jpg", truncated_jpeg(), "image/jpeg"), "cut.jpg is incomplete",
                       "cut.jpg is incomplete"),
    "gif/js polyglot": (lambda: upload("x.gif", gif_js_polyglot(), "image/gif"),
                        "x.gif: GIF files are not accepted here", "x.gif: GIF files are not accepted here"),
    "pdf/html polyglot": (lambda: upload("x.pdf", pdf_html_polyglot(), "application/pdf"),
                          "x.pdf: PDF files are not accepted here", "x.pdf has other data after the end of the PDF"),
    "jpeg/html polyglot": (lambda: upload("x.html", jpeg_html_polyglot(), "text/html"), ".jpg", ".jpg"),
    "heic": (lambda: upload("IMG_0001.HEIC", heic(), "image/heic"), ".jpg", "IMG_0001.HEIC: HEIC files are not"),
    "empty": (lambda: upload("empty.jpg", b"", "image/jpeg"), "empty.jpg is empty.", "empty.jpg is empty."),
    "bomb": (lambda: upload("bomb.png", png_bomb(), "image/png"), "bomb.png has 10000.0 megapixels; at most 40",
             "bomb.png has 10000.0 megapixels; at most 40"),
}
