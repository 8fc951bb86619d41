"""Photo checks shared by inspections and hazard files: a real image of an accepted type within
size and pixel limits (Pillow reads only the headers), and JPEG thumbnails for list views."""

import io
import os

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

MAX_PHOTO_BYTES = 10 * 1024 * 1024
# Above this a decoded photo would take hundreds of MB of memory (decompression bombs).
MAX_PHOTO_PIXELS = 40_000_000
# Pillow format name → file extension used when storing.
PHOTO_FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
THUMBNAIL_SIZE = (320, 320)


def validate_photo(image) -> str:
    """The Pillow format name of an uploaded photo, or a ValidationError saying what is wrong."""
    from PIL import Image, UnidentifiedImageError

    size = getattr(image, "size", None)
    if size is None:
        image.seek(0, os.SEEK_END)
        size = image.tell()
    if not size:
        raise ValidationError(_("The photo is empty."), code="photo_empty")
    if size > MAX_PHOTO_BYTES:
        raise ValidationError(_("The photo is %(size).1f MB; at most %(max)d MB is allowed.")
                              % {"size": size / 1024 / 1024, "max": MAX_PHOTO_BYTES // 1024 // 1024},
                              code="photo_too_large")
    try:
        image.seek(0)
        with Image.open(image) as img:
            fmt, (width, height) = img.format, img.size
            if width * height > MAX_PHOTO_PIXELS:
                raise ValidationError(
                    _("The photo has %(mp).1f megapixels (%(w)d × %(h)d); at most %(max)d megapixels are allowed.")
                    % {"mp": width * height / 1e6, "w": width, "h": height, "max": MAX_PHOTO_PIXELS // 1_000_000},
                    code="photo_too_many_pixels")
            img.verify()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(_("This file is not a readable image; upload a JPEG, PNG or WebP photo."),
                              code="photo_not_image") from None
    finally:
        image.seek(0)
    if fmt not in PHOTO_FORMATS:
        raise ValidationError(_("Images of type %(format)s are not accepted; upload a JPEG, PNG or WebP photo.")
                              % {"format": fmt}, code="photo_format")
    return fmt


def make_thumbnail(image) -> ContentFile:
    """A JPEG thumbnail, turned upright by its EXIF orientation (tablet cameras)."""
    from PIL import Image, ImageOps

    image.seek(0)
    with Image.open(image) as img:
        img = ImageOps.exif_transpose(img)
        img.thumbnail(THUMBNAIL_SIZE)
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        out = io.BytesIO()
        img.save(out, "JPEG", quality=80, optimize=True)
    image.seek(0)
    stem = os.path.splitext(os.path.basename(getattr(image, "name", "") or "photo"))[0][:60]
    return ContentFile(out.getvalue(), name=f"{stem}_thumb.jpg")
