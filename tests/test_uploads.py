"""The upload checks (org.uploads, org.images, org.pdfs): what is accepted by content, what is
refused and how the refusal reads, truncation whatever the process did before, and thumbnails
that look like the photo for every mode phones and field cameras write."""

import io
import os
import struct
import subprocess
import sys
import textwrap
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import translation
from PIL import Image, ImageFile

from org import images, uploads
from org.uploads import DOCUMENT, PHOTO, check_upload
from tests import samples
from tests.samples import BLACK, BLUE, GREEN, RED, WHITE, upload


def refusal(data: bytes, accept=PHOTO, name="p.jpg") -> str:
    with pytest.raises(ValidationError) as exc:
        check_upload(upload(name, data), accept)
    return " ".join(exc.value.messages)


def thumbnail(data: bytes) -> Image.Image:
    checked = check_upload(upload("p", data), PHOTO)
    thumb = Image.open(io.BytesIO(checked.thumbnail))
    assert thumb.format == "JPEG" and thumb.mode in ("RGB", "L") and max(thumb.size) <= 320
    return thumb.convert("RGB")


def colour_at(img: Image.Image, fx: float, fy: float) -> tuple:
    return img.getpixel((int(img.width * fx), int(img.height * fy)))[:3]


def assert_close(actual, expected, tolerance=24):
    assert all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True)), (actual, expected)


# ---------------------------------------------------------------- accepted by content, stored by detected type


@pytest.mark.parametrize("data,stored", [
    (samples.jpeg(), "jpg"), (samples.png(), "png"), (samples.webp(), "webp"), (samples.heic(), "jpg"),
])
def test_photos_are_stored_under_a_generated_name_with_the_detected_type(data, stored):
    checked = check_upload(upload("evil.html", data, "text/html"), PHOTO)
    assert uploads.GENERATED_NAME.match(checked.name) and checked.name.endswith(f".{stored}")
    assert checked.display_name == "evil.html" and checked.thumbnail


def test_heic_is_stored_as_an_upright_jpeg():
    # An iPhone photo taken upright: landscape pixels with EXIF orientation 6.
    img = Image.new("RGB", (80, 40), RED)
    img.paste(GREEN, (40, 0, 80, 40))
    exif = Image.Exif()
    exif[0x0112] = 6
    checked = check_upload(upload("IMG_0001.HEIC", samples.encode(img, "HEIF", exif=exif.tobytes(), quality=95)),
                           PHOTO)
    stored = Image.open(io.BytesIO(checked.read()))
    assert stored.format == "JPEG" and stored.size == (40, 80) and stored.getexif().get(0x0112, 1) == 1
    assert_close(colour_at(stored, .5, .25), RED)  # the left half is now the top
    assert_close(colour_at(stored, .5, .75), GREEN)


def test_documents_accept_pdf_jpeg_png_only():
    assert check_upload(upload("scan", samples.pdf()), DOCUMENT).name.endswith(".pdf")
    assert check_upload(upload("scan", samples.jpeg()), DOCUMENT).name.endswith(".jpg")
    assert check_upload(upload("scan", samples.png()), DOCUMENT).name.endswith(".png")
    assert "WebP files are not accepted here" in refusal(samples.webp(), DOCUMENT, "scan.webp")
    assert "HEIC files are not accepted here" in refusal(samples.heic(), DOCUMENT, "scan.heic")


@pytest.mark.parametrize("data,message", [
    (b"", "x.png is empty."),
    (samples.svg(), "x.png: SVG files are not accepted here; upload a JPEG, PNG, WebP or HEIC photo."),
    (samples.html(), "x.png: HTML files are not accepted here"),
    (samples.gif(), "x.png: GIF files are not accepted here; upload a JPEG, PNG, WebP or HEIC photo."),
    (samples.gif_js_polyglot(), "GIF files are not accepted here"),
    (samples.pdf(), "PDF files are not accepted here"),
    (b"just text", "x.png is not a file of an accepted type; upload a JPEG, PNG, WebP or HEIC photo."),
    (samples.truncated_jpeg(), "x.png is incomplete (the upload was cut off or the file is damaged)"),
    (samples.png()[:-20], "x.png is incomplete"),
    (samples.webp()[:-30], "x.png is incomplete"),
    (samples.heic()[:-30], "x.png is incomplete"),
    (samples.png() + b"<html><script>alert(1)</script></html>", "x.png has other data after the end of the image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "x.png is not a readable image; upload a JPEG, PNG, WebP or HEIC photo."),
])
def test_photo_refusals_name_the_file_and_what_is_wrong(data, message):
    assert message in refusal(data, PHOTO, "x.png")


def test_a_png_with_a_broken_checksum_is_refused():
    data = bytearray(samples.png())
    data[40] ^= 0xFF  # inside IDAT
    assert "not a readable image" in refusal(bytes(data))


@pytest.mark.parametrize("data,message", [
    (samples.pdf_html_polyglot(), "x.pdf has other data after the end of the PDF"),
    (samples.pdf()[:200], "x.pdf is incomplete"),
    (samples.pdf_with_javascript(), "x.pdf contains scripts, attachments or form actions"),
    (samples.pdf_with_javascript(obfuscated=True), "x.pdf contains scripts, attachments or form actions"),
    (samples.pdf_with_attachment(), "x.pdf contains scripts, attachments or form actions"),
    (b"%PDF-1.7\n garbage \n%%EOF\n", "x.pdf is not a readable PDF; upload a PDF, JPEG or PNG file."),
    (samples.svg(), "x.pdf: SVG files are not accepted here; upload a PDF, JPEG or PNG file."),
    (samples.html(), "x.pdf: HTML files are not accepted here"),
])
def test_document_refusals(data, message):
    assert message in refusal(data, DOCUMENT, "x.pdf")


def test_an_encrypted_pdf_is_refused():
    data = samples.pdf(extra=lambda writer: writer.encrypt("secret", algorithm="RC4-128"))
    assert "x.pdf is password-protected or encrypted" in refusal(data, DOCUMENT, "x.pdf")


def test_size_limits():
    big = samples.jpeg() + b"\x00" * (PHOTO.max_bytes + 1)
    assert "is 10.0 MB; at most 10 MB is allowed" in refusal(big)
    assert "at most 20 MB is allowed" in refusal(b"%PDF-" + b"0" * DOCUMENT.max_bytes, DOCUMENT)


@pytest.mark.parametrize("data,message", [
    (samples.png_bomb(), "bomb.png has 10000.0 megapixels; at most 40 megapixels are allowed."),
    (samples.png_bomb(10_000, 10_000), "bomb.png has 100.0 megapixels; at most 40 megapixels are allowed."),
    (samples.big_png(), "bomb.png has 48.0 megapixels (8000 × 6000); at most 40 megapixels are allowed."),
])
def test_a_decompression_bomb_is_refused_with_the_size_limit(data, message):
    text = refusal(data, PHOTO, "bomb.png")
    assert message in text and "not a readable image" not in text


def test_display_names_are_sanitised():
    assert uploads.display_name("C:\\Users\\x\\..\\evil\r\n.jpg") == "evil.jpg"
    assert uploads.display_name("../../etc/passwd") == "passwd"
    assert len(uploads.display_name("长" * 300 + ".jpg")) <= 81
    assert uploads.display_name("") == "The file"


def test_an_upload_field_stores_only_checked_content_whatever_the_caller(db):
    """The model field itself checks (a shell, the admin, a future portal): never a client name."""
    from hazards.models import AuthorityReport

    report = AuthorityReport()
    with pytest.raises(ValidationError, match="HTML files are not accepted here"):
        report.document.save("x.html", ContentFile(samples.html(), name="x.html"), save=False)
    report.document.save("x.html", ContentFile(samples.png(), name="x.html"), save=False)
    assert uploads.GENERATED_NAME.match(os.path.basename(report.document.name))
    assert report.document.name.startswith("reports/") and report.document.name.endswith(".png")


# ---------------------------------------------------------------- messages and pickers agree with the check


KNOWN_LABELS = {"JPEG", "PNG", "WebP", "HEIC", "PDF", "GIF", "SVG", "BMP", "TIFF", "HTML"}


@pytest.mark.parametrize("accept", [PHOTO, DOCUMENT])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_each_message_lists_exactly_the_accepted_types(accept, language):
    with translation.override(language):
        hint = str(accept.hint)
    named = {label for label in KNOWN_LABELS if label in hint}
    assert named == set(accept.labels)
    assert ("请上传" in hint) == (language == "zh-hans")
    mimes = {part for part in accept.accept_attr.split(",") if "/" in part}
    assert mimes == {m for t in accept.types for m in t.accept if "/" in m}
    assert "image/gif" not in accept.accept_attr and "image/*" not in accept.accept_attr


# ---------------------------------------------------------------- truncation: the same answer in any process


TRUNCATION_SCRIPT = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django
    django.setup()
    if sys.argv[1] == "weasyprint":
        import weasyprint  # noqa: F401 - what a worker that rendered a PDF has done
    from PIL import ImageFile
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile
    from org.uploads import PHOTO, check_upload
    data = open(sys.argv[2], "rb").read()
    try:
        check_upload(SimpleUploadedFile("cut.jpg", data), PHOTO)
        print("accepted", ImageFile.LOAD_TRUNCATED_IMAGES)
    except ValidationError as exc:
        print("refused", ImageFile.LOAD_TRUNCATED_IMAGES, exc.messages[0])
""")


@pytest.mark.parametrize("before", ["fresh", "weasyprint"])
def test_a_truncated_jpeg_is_refused_in_a_fresh_worker_and_after_weasyprint(before, tmp_path, settings):
    path = tmp_path / "cut.jpg"
    path.write_bytes(samples.truncated_jpeg())
    out = subprocess.run([sys.executable, "-c", TRUNCATION_SCRIPT, before, str(path)], capture_output=True,
                         text=True, cwd=settings.BASE_DIR, timeout=120)
    assert out.returncode == 0, out.stderr
    verdict, flag, *message = out.stdout.strip().split(" ", 2)
    # WeasyPrint's import turns the flag on (the trap) and the check leaves it as it found it.
    assert (verdict, flag) == ("refused", str(before == "weasyprint"))
    assert "cut.jpg is incomplete" in message[0]


@pytest.mark.parametrize("flag", [False, True])
def test_truncation_is_checked_whatever_the_flag(flag, monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", flag)
    if flag:  # the trap: Pillow alone accepts the cut photo
        Image.open(io.BytesIO(samples.truncated_jpeg())).load()
    for data in (samples.truncated_jpeg(), samples.png()[:-20], samples.webp()[:-30], samples.heic()[:-30]):
        assert "is incomplete" in refusal(data)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is flag


def test_a_damaged_scan_gets_the_same_answer_whatever_the_flag(monkeypatch):
    # A structurally complete JPEG whose entropy-coded data is garbage.
    data = bytearray(samples.noisy_jpeg())
    start = data.index(b"\xff\xda") + 20
    data[start:start + 400] = b"\xff\x00" * 200
    verdicts = []
    for flag in (False, True):
        monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", flag)
        try:
            check_upload(upload("p.jpg", bytes(data)), PHOTO)
            verdicts.append("accepted")
        except ValidationError:
            verdicts.append("refused")
    assert verdicts[0] == verdicts[1]


def test_jpeg_structure_allows_data_after_the_image_end():
    """Motion photos append a video after the JPEG's end: still a JPEG, stored as one."""
    data = samples.jpeg() + b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100
    assert check_upload(upload("PXL_MP.jpg", data), PHOTO).name.endswith(".jpg")
    with pytest.raises(images.Incomplete):
        images.jpeg_end(samples.jpeg()[:-2])


# ---------------------------------------------------------------- thumbnails that look like the photo


def _png_raw(width, height, colour_type, bit_depth, pixel: bytes) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    raw = b"".join(b"\x00" + pixel * width for _ in range(height))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _halves(mode, left, right, size=(96, 64)):
    img = Image.new(mode, size, left)
    img.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return img


def _palette_with_transparency():
    img = Image.new("P", (96, 64), 0)
    img.putpalette([0, 0, 0, *RED] + [0, 0, 0] * 254)
    img.paste(1, (48, 0, 96, 64))
    return samples.encode(img, "PNG", transparency=0)


def _cmyk_jpeg():
    return samples.encode(_halves("CMYK", (255, 0, 0, 0), (0, 0, 0, 0)), "JPEG", quality=95)


def _thermal_jpeg():
    """A thermal camera's greyscale frame: a hot spot (white) on a cool background (dark grey)."""
    img = Image.new("L", (160, 120), 40)
    img.paste(250, (60, 40, 100, 80))
    return samples.encode(img, "JPEG", quality=90)


def _sixteen_bit_grey():
    img = Image.new("I;16", (96, 64), 0)
    img.paste(65535, (48, 0, 96, 64))
    return samples.encode(img, "PNG")


@pytest.mark.parametrize("name,data,expected", [
    # (what, file, [(x, y, colour as seen on a white page)])
    ("RGB JPEG", samples.encode(_halves("RGB", RED, BLUE), "JPEG", quality=95), [(.2, .5, RED), (.8, .5, BLUE)]),
    ("greyscale L JPEG", samples.encode(_halves("L", 30, 220), "JPEG"), [(.2, .5, (30,) * 3), (.8, .5, (220,) * 3)]),
    ("thermal greyscale", _thermal_jpeg(), [(.1, .1, (40,) * 3), (.5, .5, (250,) * 3)]),
    ("CMYK JPEG", _cmyk_jpeg(), [(.2, .5, (0, 255, 255)), (.8, .5, WHITE)]),
    ("1-bit PNG", samples.encode(_halves("1", 0, 1), "PNG"), [(.2, .5, BLACK), (.8, .5, WHITE)]),
    ("palette PNG with transparency", _palette_with_transparency(), [(.2, .5, WHITE), (.8, .5, RED)]),
    ("LA PNG", samples.encode(_halves("LA", (0, 0), (90, 255)), "PNG"), [(.2, .5, WHITE), (.8, .5, (90,) * 3)]),
    ("RGBA PNG", samples.encode(_halves("RGBA", (*BLUE, 0), (*GREEN, 255)), "PNG"),
     [(.2, .5, WHITE), (.8, .5, GREEN)]),
    ("RGBA half-transparent", samples.encode(Image.new("RGBA", (64, 64), (0, 0, 0, 128)), "PNG"),
     [(.5, .5, (127,) * 3)]),
    ("16-bit greyscale PNG (I;16)", _sixteen_bit_grey(), [(.2, .5, BLACK), (.8, .5, WHITE)]),
    ("16-bit grey mid", _png_raw(32, 32, 0, 16, b"\x80\x00"), [(.5, .5, (128,) * 3)]),
    ("16-bit RGB PNG", _png_raw(32, 32, 2, 16, b"\xff\xff\x00\x00\x80\x00"), [(.5, .5, (255, 0, 128))]),
    ("16-bit RGBA PNG", _png_raw(32, 32, 6, 16, b"\x00\x00\x00\x00\xff\xff\x00\x00"), [(.5, .5, WHITE)]),
    ("16-bit LA PNG", _png_raw(32, 32, 4, 16, b"\x40\x00\xff\xff"), [(.5, .5, (64,) * 3)]),
    ("WebP with alpha", samples.encode(_halves("RGBA", (*RED, 255), (0, 0, 0, 0)), "WEBP", lossless=True),
     [(.2, .5, RED), (.8, .5, WHITE)]),
    ("HEIC", samples.encode(_halves("RGB", GREEN, RED), "HEIF", quality=95), [(.2, .5, GREEN), (.8, .5, RED)]),
])
def test_every_mode_gets_a_thumbnail_that_looks_like_the_photo(name, data, expected):
    thumb = thumbnail(data)
    for fx, fy, colour in expected:
        assert_close(colour_at(thumb, fx, fy), colour, tolerance=30)


def test_a_large_photo_gets_a_small_thumbnail():
    thumb = thumbnail(samples.encode(_halves("RGB", RED, BLUE, size=(4000, 3000)), "JPEG"))
    assert thumb.size == (320, 240)
    assert_close(colour_at(thumb, .2, .5), RED) and assert_close(colour_at(thumb, .8, .5), BLUE)


def test_a_photo_with_a_colour_profile_keeps_its_colours():
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = samples.encode(Image.new("RGB", (64, 64), RED), "JPEG", quality=95, icc_profile=profile)
    assert_close(colour_at(thumbnail(data), .5, .5), RED)


# Where the stored image's top-left and top-right corners appear once shown upright, per the EXIF
# specification's description of each orientation value (0th row / 0th column).
ORIENTATIONS = {
    1: ("TL", "TR"), 2: ("TR", "TL"), 3: ("BR", "BL"), 4: ("BL", "BR"),
    5: ("TL", "BL"), 6: ("TR", "BR"), 7: ("BR", "TR"), 8: ("BL", "TL"),
}
CORNERS = {"TL": (.15, .15), "TR": (.85, .15), "BL": (.15, .85), "BR": (.85, .85)}


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_exif_orientations_give_upright_thumbnails(orientation, fmt):
    stored = Image.new("RGB", (120, 60), WHITE)
    stored.paste(RED, (0, 0, 30, 15))  # stored top-left corner
    stored.paste(GREEN, (90, 0, 120, 15))  # stored top-right corner
    exif = Image.Exif()
    exif[0x0112] = orientation
    thumb = thumbnail(samples.encode(stored, fmt, exif=exif.tobytes(), quality=95))
    assert (thumb.width > thumb.height) == (orientation <= 4)
    top_left, top_right = ORIENTATIONS[orientation]
    assert_close(colour_at(thumb, *CORNERS[top_left]), RED, tolerance=40)
    assert_close(colour_at(thumb, *CORNERS[top_right]), GREEN, tolerance=40)


def test_a_file_checked_for_one_field_is_checked_again_for_another():
    scan = check_upload(upload("scan.jpg", samples.jpeg()), DOCUMENT)
    assert scan.thumbnail is None
    photo = check_upload(scan, PHOTO)  # a photo needs its thumbnail
    assert photo.thumbnail and photo.name.endswith(".jpg") and photo.display_name == "scan.jpg"
    assert check_upload(photo, PHOTO) is photo
    pdf = check_upload(upload("r.pdf", samples.pdf()), DOCUMENT)
    with pytest.raises(ValidationError, match="r.pdf: PDF files are not accepted here"):
        check_upload(pdf, PHOTO)
