"""Uploaded files, in one place: what each upload field accepts (decided by the file's content,
never by the name or type the client sent), the generated names files are stored under, and the
one way stored files leave the server (a scoped view with fixed, safe headers).

- A stored upload is named `<uuid>.<ext>`, `ext` being the type its content was detected as, so
  nothing a client chose ends up in a path, and the name alone says how to serve the file.
- Nothing under MEDIA_ROOT is public: `ScopedFileField(...).url` is the scoped view that serves
  the file (`url_name`, with the row's id), so every link, the admin's included, is checked
  against the user's units like the row itself.
"""

from __future__ import annotations

import os
import re
import unicodedata
import uuid
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

MB = 1024 * 1024


@dataclass(frozen=True)
class FileType:
    """A type a stored file can have. `inline` types are shown by the browser (images, PDF);
    anything else is only ever downloaded."""

    key: str
    label: str  # as named in messages
    ext: str  # extension of the stored name
    content_type: str
    inline: bool
    # What a file picker's accept= names for this type (MIME types and extensions).
    accept: tuple[str, ...] = ()


JPEG = FileType("jpeg", "JPEG", "jpg", "image/jpeg", True, ("image/jpeg", ".jpg", ".jpeg"))
PNG = FileType("png", "PNG", "png", "image/png", True, ("image/png", ".png"))
WEBP = FileType("webp", "WebP", "webp", "image/webp", True, ("image/webp", ".webp"))
# iPhone photos: accepted, and stored converted to JPEG (no browser but Safari shows HEIC, nor
# does the PDF renderer), so no file is ever stored as HEIC.
HEIC = FileType("heic", "HEIC", "jpg", "image/jpeg", True, ("image/heic", "image/heif", ".heic", ".heif"))
PDF = FileType("pdf", "PDF", "pdf", "application/pdf", True, ("application/pdf", ".pdf"))
# Only files stored before uploads were checked by content can have these (migrated, never refused
# after the fact): a GIF is still shown as an image, anything else is an opaque download.
GIF = FileType("gif", "GIF", "gif", "image/gif", True)
BINARY = FileType("bin", "", "bin", "application/octet-stream", False)

STORED_TYPES = {t.ext: t for t in (JPEG, PNG, WEBP, PDF, GIF, BINARY)}


@dataclass(frozen=True)
class Accept:
    """What one kind of upload field accepts."""

    key: str
    types: tuple[FileType, ...]
    max_bytes: int
    # "upload a JPEG, PNG, WebP or HEIC photo": names exactly `types` (tests/test_uploads.py checks).
    hint: str = ""

    @property
    def accept_attr(self) -> str:
        return ",".join(value for t in self.types for value in t.accept)

    @property
    def labels(self) -> list[str]:
        return [t.label for t in self.types]


PHOTO = Accept("photo", (JPEG, PNG, WEBP, HEIC), 10 * MB, _("upload a JPEG, PNG, WebP or HEIC photo"))
DOCUMENT = Accept("document", (PDF, JPEG, PNG), 20 * MB, _("upload a PDF, JPEG or PNG file"))
ACCEPTS = {a.key: a for a in (PHOTO, DOCUMENT)}


class CheckedFile(ContentFile):
    """An upload whose content was checked: the bytes to store (under a generated name with the
    detected type's extension), and for photos the JPEG thumbnail. Only the display name is the
    client's (sanitised, shown in messages, never used in a path)."""

    def __init__(self, data: bytes, file_type: FileType, display_name: str, *, width=None, height=None,
                 thumbnail: bytes | None = None, converted: bool = False):
        super().__init__(data, name=generated_name(file_type))
        self.file_type, self.display_name = file_type, display_name
        self.width, self.height, self.thumbnail = width, height, thumbnail
        self.converted = converted  # a HEIC photo stored as JPEG

    def thumbnail_file(self) -> ContentFile | None:
        if self.thumbnail is None:
            return None
        return ContentFile(self.thumbnail, name=generated_name(JPEG))


def generated_name(file_type: FileType) -> str:
    return f"{uuid.uuid4().hex}.{file_type.ext}"


GENERATED_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp|pdf|gif|bin)$")


def display_name(name: str | None) -> str:
    """The client's file name as shown in messages: no folders, no control characters, at most 80
    characters. Never used to build a path."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    if len(name) > 80:
        stem, ext = os.path.splitext(name)
        name = f"{stem[:80 - len(ext[:10]) - 1]}…{ext[:10]}"
    return name or gettext("The file")


def read_upload(upload, accept: Accept, name: str) -> bytes:
    """The whole upload (at most accept.max_bytes), or a ValidationError for an empty or large one."""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, os.SEEK_END)
        size = upload.tell()
    if not size:
        raise ValidationError(_("%(name)s is empty.") % {"name": name}, code="upload_empty")
    if size > accept.max_bytes:
        raise ValidationError(_("%(name)s is %(size).1f MB; at most %(max)d MB is allowed.")
                              % {"name": name, "size": size / MB, "max": accept.max_bytes // MB},
                              code="upload_too_large")
    upload.seek(0)
    if hasattr(upload, "chunks"):
        data = b"".join(upload.chunks())
    else:
        data = upload.read()
    upload.seek(0)
    return data


def sniff(data: bytes) -> str | None:
    """The key of the type the content starts like (magic bytes), or a name for a well-known type
    that no field accepts (so that the refusal can say what the file is)."""
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "heic"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head.startswith(b"BM"):
        return "BMP"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    if head.startswith(b"PK\x03\x04"):
        return "ZIP"
    text = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in text:
        return "SVG"
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")) or b"<html" in text:
        return "HTML"
    return None


# Brands of HEIF files as phones write them (HEIC, and HEIF's generic brands).
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}


def check_upload(upload, accept: Accept) -> CheckedFile:
    """Check an upload against what the field accepts; return what to store, or raise a
    ValidationError naming the file and what is wrong with it."""
    from . import images, pdfs

    if isinstance(upload, CheckedFile):
        # Checked already (by the form): as good here if of a type accepted here, with the
        # thumbnail a photo needs; otherwise its bytes are checked again for this field.
        if upload.file_type in accept.types and (accept is not PHOTO or upload.thumbnail is not None):
            return upload
        name = upload.display_name
    else:
        name = display_name(getattr(upload, "name", ""))
    data = read_upload(upload, accept, name)
    kind = sniff(data)
    by_key = {t.key: t for t in accept.types}
    if kind not in by_key:
        if kind and kind.islower():  # one of our types, not accepted here
            kind = {"jpeg": "JPEG", "png": "PNG", "webp": "WebP", "heic": "HEIC", "pdf": "PDF"}[kind]
        if kind:
            raise ValidationError(_("%(name)s: %(type)s files are not accepted here; %(hint)s.")
                                  % {"name": name, "type": kind, "hint": accept.hint}, code="upload_type")
        raise ValidationError(_("%(name)s is not a file of an accepted type; %(hint)s.")
                              % {"name": name, "hint": accept.hint}, code="upload_type")
    file_type = by_key[kind]
    if file_type is PDF:
        pdfs.check_pdf(data, name=name, accept=accept)
        return CheckedFile(data, PDF, name)
    return images.check_image(data, file_type, name=name, accept=accept,
                              thumbnail=accept is PHOTO)


# ---------------------------------------------------------------- the model field


class ScopedFieldFile(FieldFile):
    @property
    def url(self):
        """The scoped view that serves this file: never a MEDIA_URL address."""
        self._require_file()
        if self.instance.pk is None:
            raise ValueError("a file of an unsaved row has no URL yet")
        return reverse(self.field.url_name, args=[self.instance.pk])

    def save(self, name, content, save=True):
        accept = ACCEPTS.get(self.field.accept)
        if accept is not None:
            # Whatever the caller (a service, the admin, a shell), an upload field stores only
            # checked content, under a generated name with its detected type.
            content = check_upload(content, accept)
            name = content.name
        super().save(name, content, save)


class ScopedFileField(models.FileField):
    """A file served only through `url_name` (a view taking the row's id that checks the unit
    scope). `accept` = "photo" or "document" for uploads (checked by content on save and in
    forms); "generated" for files the application writes itself (notices, thumbnails)."""

    attr_class = ScopedFieldFile

    def __init__(self, *args, accept: str = "generated", url_name: str = "", **kwargs):
        self.accept, self.url_name = accept, url_name
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["accept"], kwargs["url_name"] = self.accept, self.url_name
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        if self.accept in ACCEPTS:
            kwargs.setdefault("form_class", UploadField)
            kwargs.setdefault("accept", ACCEPTS[self.accept])
        return super().formfield(**kwargs)


# ---------------------------------------------------------------- form fields


class UploadField(forms.FileField):
    """A file input that checks the content on clean and offers exactly the accepted types in the
    file picker (accept=). Cleans to a CheckedFile."""

    def __init__(self, *args, accept: Accept = DOCUMENT, capture: bool = False, **kwargs):
        self.accept = accept
        attrs = {"accept": accept.accept_attr}
        if capture:
            attrs["capture"] = "environment"
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs=attrs))
        # The client's name is never stored, so its length does not matter; an empty file is
        # refused by check_upload, naming it.
        kwargs.pop("max_length", None)
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload or upload is initial:
            return upload
        return check_upload(upload, self.accept)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(UploadField):
    """Several photos in one input (a tablet camera or a file picker); each one is checked, and
    every refused one is named."""

    def __init__(self, *args, **kwargs):
        attrs = {"accept": PHOTO.accept_attr, "capture": "environment", "multiple": True}
        kwargs.setdefault("widget", MultipleFileInput(attrs=attrs))
        kwargs.setdefault("required", False)
        kwargs["accept"] = PHOTO
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        uploads = [d for d in data if d] if isinstance(data, (list, tuple)) else ([data] if data else [])
        if not uploads:
            forms.FileField.clean(self, None, initial)  # "required" when required
            return []
        checked, errors = [], []
        for upload in uploads:
            try:
                checked.append(UploadField.clean(self, upload, initial))
            except ValidationError as exc:
                errors.extend(exc.error_list)
        if errors:
            raise ValidationError(errors)
        return checked


# ---------------------------------------------------------------- serving

# An image or PDF is shown by the browser, never as a page: no script, no plugin, no requests of
# its own. Chromium shows no PDF inside a sandboxed document, so PDFs go without `sandbox`.
IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
PDF_CSP = "default-src 'none'; style-src 'unsafe-inline'"
DOWNLOAD_CSP = "default-src 'none'; sandbox"


def stored_type(name: str) -> FileType:
    """The type of a stored file, by the extension it was stored under (the detected type)."""
    return STORED_TYPES.get(os.path.splitext(name)[1].lower().lstrip("."), BINARY)


def file_response(field_file, *, download_name: str) -> FileResponse:
    """Serve a stored file after the caller's scope check: its detected type, never sniffed,
    inline only for images and PDF, an attachment otherwise, under `download_name` (ours, not the
    client's) plus the stored extension."""
    if not field_file:
        raise Http404
    file_type = stored_type(field_file.name)
    try:
        handle = field_file.storage.open(field_file.name, "rb")
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise Http404 from exc
    filename = f"{ascii_filename(download_name)}.{file_type.ext}"
    response = FileResponse(handle, as_attachment=not file_type.inline, filename=filename,
                            content_type=file_type.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        PDF_CSP if file_type is PDF else IMAGE_CSP if file_type.inline else DOWNLOAD_CSP)
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # Files are per user (unit scope): no shared cache, and nothing left on a shared tablet.
    response["Cache-Control"] = "private, no-store"
    return response


def ascii_filename(stem: str) -> str:
    """A download name made of our numbers and codes: letters, digits, '-', '_' and '.' only."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "file"
