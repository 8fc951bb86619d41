"""Photos and scanned pages: content checks whose answer does not depend on what the process did
before, and thumbnails that look like the image whatever the camera wrote.

Why the care: importing WeasyPrint sets Pillow's `ImageFile.LOAD_TRUNCATED_IMAGES = True` for the
whole process, after which Pillow silently pads a truncated photo. So completeness is checked on
the file's own structure (a JPEG's end-of-image marker after its last scan, a PNG's IEND and
chunk checksums, the RIFF and ISO-BMFF box sizes of WebP and HEIC), and the full decode runs with
that flag forced off under a lock.
"""

from __future__ import annotations

import io
import re
import threading
import warnings
import zlib
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .uploads import HEIC, JPEG, PHOTO, Accept, CheckedFile, FileType

# Above this a decoded photo would take hundreds of MB of memory (decompression bombs).
MAX_PHOTO_PIXELS = 40_000_000
THUMBNAIL_SIZE = (320, 320)
# Kept for callers that name the photo limit (the accepted types live in org.uploads.PHOTO).
MAX_PHOTO_BYTES = PHOTO.max_bytes

PIL_FORMATS = {"jpeg": ["JPEG", "MPO"], "png": ["PNG"], "webp": ["WEBP"], "heic": ["HEIF"]}

_heif_registered = False
_strict_lock = threading.Lock()


def pillow():
    """PIL.Image with the HEIF opener registered (pillow-heif: iPhone photos)."""
    global _heif_registered
    from PIL import Image

    if not _heif_registered:
        import pillow_heif

        pillow_heif.register_heif_opener()
        _heif_registered = True
    return Image


@contextmanager
def strict_loading():
    """Decode with LOAD_TRUNCATED_IMAGES off, whatever an earlier import set it to; one decode at a
    time in this process so that threads do not see each other's setting change for long."""
    from PIL import ImageFile

    with _strict_lock:
        before = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            # Put back what was there, unless something (WeasyPrint's import) set it meanwhile.
            if ImageFile.LOAD_TRUNCATED_IMAGES is False:
                ImageFile.LOAD_TRUNCATED_IMAGES = before


# ---------------------------------------------------------------- structure (complete or not)


class Incomplete(Exception):
    """The file stops before its format says it ends (an interrupted upload)."""


class Malformed(Exception):
    """The file is not built as its format requires."""


def jpeg_end(data: bytes) -> int:
    """The offset just after the end-of-image marker that closes the first image. Data after it
    (a phone's motion-photo video, a second MPO image) is allowed."""
    n = len(data)
    if data[:2] != b"\xff\xd8":
        raise Malformed
    i = 2
    while True:
        j = data.find(b"\xff", i)
        if j < 0:
            raise Incomplete
        k = j + 1
        while k < n and data[k] == 0xFF:  # fill bytes
            k += 1
        if k >= n:
            raise Incomplete
        marker, i = data[k], k + 1
        if marker == 0xD9:
            return i
        # Stuffed 0xFF00 and restart markers inside the entropy-coded data carry no length.
        if marker in (0x00, 0x01, 0xD8) or 0xD0 <= marker <= 0xD7:
            continue
        if i + 2 > n:
            raise Incomplete
        length = (data[i] << 8) | data[i + 1]
        if length < 2:
            raise Malformed
        i += length
        if i > n:
            raise Incomplete


def png_end(data: bytes) -> int:
    """The offset just after IEND; every chunk's checksum must match."""
    view, n, i, seen_data = memoryview(data), len(data), 8, False
    while True:
        if i + 8 > n:
            raise Incomplete
        length, kind = int.from_bytes(view[i:i + 4], "big"), bytes(view[i + 4:i + 8])
        if length > 0x7FFFFFFF or (i == 8 and kind != b"IHDR"):
            raise Malformed
        end = i + 12 + length
        if end > n:
            raise Incomplete
        if zlib.crc32(view[i + 4:i + 8 + length]) != int.from_bytes(view[end - 4:end], "big"):
            raise Malformed
        seen_data = seen_data or kind == b"IDAT"
        i = end
        if kind == b"IEND":
            if not seen_data:
                raise Malformed
            return i


def webp_end(data: bytes) -> int:
    """The end of the RIFF container, whose chunks must all fit in it."""
    n, size = len(data), int.from_bytes(data[4:8], "little")
    end = 8 + size
    if size < 4:
        raise Malformed
    if end > n:
        raise Incomplete
    i = 12
    while i < end:
        if i + 8 > end:
            raise Incomplete
        chunk = int.from_bytes(data[i + 4:i + 8], "little")
        i += 8 + chunk
        if i > end:
            raise Incomplete
        i += chunk & 1  # chunks are padded to even sizes
    return end


def heif_end(data: bytes) -> int:
    """HEIC/HEIF (ISO base media file): every top-level box must fit in the file."""
    n, i, kinds = len(data), 0, []
    while i < n:
        if i + 8 > n:
            raise Incomplete
        size, kind, header = int.from_bytes(data[i:i + 4], "big"), data[i + 4:i + 8], 8
        if size == 1:
            if i + 16 > n:
                raise Incomplete
            size, header = int.from_bytes(data[i + 8:i + 16], "big"), 16
        elif size == 0:
            size = n - i
        if size < header:
            raise Malformed
        if i + size > n:
            raise Incomplete
        kinds.append(kind)
        i += size
    if not kinds or kinds[0] != b"ftyp" or b"meta" not in kinds:
        raise Malformed
    return n


STRUCTURE = {"jpeg": jpeg_end, "png": png_end, "webp": webp_end, "heic": heif_end}


# ---------------------------------------------------------------- the check


def _not_readable(name, accept):
    return ValidationError(_("%(name)s is not a readable image; %(hint)s.") % {"name": name, "hint": accept.hint},
                           code="photo_not_image")


def _incomplete(name):
    return ValidationError(_("%(name)s is incomplete (the upload was cut off or the file is damaged); "
                             "please upload it again.") % {"name": name}, code="photo_incomplete")


def _too_many_pixels(name, pixels, size=None):
    limit = MAX_PHOTO_PIXELS // 1_000_000
    if size:
        return ValidationError(
            _("%(name)s has %(mp).1f megapixels (%(w)d × %(h)d); at most %(max)d megapixels are allowed.")
            % {"name": name, "mp": pixels / 1e6, "w": size[0], "h": size[1], "max": limit},
            code="photo_too_many_pixels")
    return ValidationError(_("%(name)s has %(mp).1f megapixels; at most %(max)d megapixels are allowed.")
                           % {"name": name, "mp": pixels / 1e6, "max": limit}, code="photo_too_many_pixels")


def _is_incomplete(file_type: FileType, data: bytes) -> bool:
    try:
        STRUCTURE[file_type.key](data)
    except Incomplete:
        return True
    except Exception:  # noqa: BLE001 - malformed otherwise: not "incomplete"
        return False
    return False


def check_image(data: bytes, file_type: FileType, *, name: str, accept: Accept, thumbnail: bool) -> CheckedFile:
    """Check an image whose magic bytes said `file_type`: pixel limit (from the header, before any
    decoding), complete structure, a full decode. Returns what to store: the bytes as uploaded,
    or for HEIC a JPEG of it; with a thumbnail when asked."""
    Image = pillow()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=PIL_FORMATS[file_type.key])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        raise _too_many_pixels(name, int(found.group(1)) if found else MAX_PHOTO_PIXELS + 1) from None
    except Exception:  # noqa: BLE001 - any failure to read the header: cut off, or not readable
        raise (_incomplete(name) if _is_incomplete(file_type, data) else _not_readable(name, accept)) from None
    with img:
        width, height = img.size
        if width * height > MAX_PHOTO_PIXELS:
            raise _too_many_pixels(name, width * height, (width, height))
        try:
            end = STRUCTURE[file_type.key](data)
        except Incomplete:
            raise _incomplete(name) from None
        except Malformed:
            raise _not_readable(name, accept) from None
        if file_type.key in ("png", "webp") and data[end:].strip(b"\x00\t\r\n "):
            # A PNG or WebP never legitimately carries data after its end (a JPEG may: motion photos).
            raise ValidationError(_("%(name)s has other data after the end of the image; save it again as a "
                                    "plain image.") % {"name": name}, code="photo_trailing_data")
        try:
            with strict_loading():
                img.load()
        except Exception:  # noqa: BLE001 - a decoder error of any kind means the image cannot be shown
            raise _not_readable(name, accept) from None
        stored_type, converted = file_type, False
        if file_type is HEIC:
            data, stored_type, converted = heic_to_jpeg(img), JPEG, True
        thumb = make_thumbnail_bytes(img) if thumbnail else None
    return CheckedFile(data, stored_type, name, width=width, height=height, thumbnail=thumb, converted=converted)


def heic_to_jpeg(img) -> bytes:
    """An iPhone photo as JPEG (quality 92), upright, with its EXIF and colour profile."""
    from PIL import ImageOps

    upright = ImageOps.exif_transpose(img)  # pillow-heif has already applied the rotation: a no-op then
    exif = upright.getexif()
    out = io.BytesIO()
    _flatten(upright).save(out, "JPEG", quality=92, exif=exif.tobytes(),
                           icc_profile=img.info.get("icc_profile") or None)
    return out.getvalue()


# ---------------------------------------------------------------- thumbnails


def _flatten(img):
    """RGB or L as the image looks on a white page (alpha composited on white)."""
    Image = pillow()
    if img.mode in ("P", "PA"):
        has_alpha = img.mode == "PA" or "transparency" in img.info
        img = img.convert("RGBA" if has_alpha else "RGB")
    if img.mode in ("LA", "La", "RGBA", "RGBa"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        return background.convert("RGB")
    if img.mode in ("L", "RGB"):
        return img
    return img.convert("RGB")


def _to_eight_bits(img):
    """Greyscale of more than 8 bits (16-bit PNG, I, F) as 8-bit L, scaled as a viewer shows it:
    16-bit values over their full range; other integer or float data stretched over what it holds."""
    if img.mode == "1":
        return img.convert("L")
    if img.mode.startswith("I;16") or img.mode in ("I", "F"):
        wide = img if img.mode in ("I", "F") else img.convert("I")
        low, high = wide.getextrema()
        if img.mode.startswith("I;16") or (img.mode == "I" and 0 <= low and 255 < high <= 65535):
            scale, offset = 255 / 65535, 0.0
        elif 0 <= low and high <= 255:
            scale, offset = 1.0, 0.0
        else:
            scale = 255 / (high - low) if high > low else 1.0
            offset = -low * scale
        return wide.point(lambda v: v * scale + offset).convert("L")
    return img


def _to_srgb(img):
    """RGB in sRGB: a CMYK or wide-gamut photo converted with its own ICC profile when it has one."""
    plain = img if img.mode in ("RGB", "L") else img.convert("RGB")
    icc = img.info.get("icc_profile")
    if not icc or img.mode not in ("RGB", "CMYK"):
        return plain
    try:
        from PIL import ImageCms

        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(img, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except Exception:  # noqa: BLE001 - a broken profile: the colours as converted without it
        return plain


def make_thumbnail_bytes(img) -> bytes:
    """A JPEG at most 320 px, upright by its EXIF orientation (1–8), in 8-bit RGB or greyscale, as
    the photo looks on a white page: palettes, alpha, 16-bit, CMYK and wide-gamut photos included."""
    from PIL import ImageOps

    icc = img.info.get("icc_profile")
    img = _to_eight_bits(ImageOps.exif_transpose(img))
    img.thumbnail(THUMBNAIL_SIZE)
    if img.mode in ("CMYK", "RGB"):
        img.info["icc_profile"] = icc
        img = _to_srgb(img)
    else:
        img = _flatten(img)  # alpha and palettes; L stays greyscale
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()
