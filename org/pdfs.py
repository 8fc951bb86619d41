"""Uploaded PDFs (signed-notice scans, reports to the authority): a PDF that is only a PDF.

Checked: it starts with the PDF header, ends with `%%EOF` and nothing after it (no HTML or script
riding behind a document), pypdf parses it and finds its pages, it is not encrypted, and nothing a
viewer would run or open is in it (JavaScript, launch actions, embedded files, rich media, XFA
forms). pypdf (pure Python) reads it; nothing in it is rendered or executed here.
"""

from __future__ import annotations

import io
import logging

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .uploads import Accept

MAX_PAGES = 500
# Objects visited when looking for active content: far above what a scan holds, so that a crafted
# file cannot keep a worker busy.
MAX_OBJECTS = 200_000
# Names that make a viewer run, open or submit something.
ACTIVE_NAMES = {"/JavaScript", "/JS", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia", "/XFA",
                "/ImportData", "/SubmitForm", "/GoToE", "/Sound", "/Movie"}


def _refuse(message, name, accept, code):
    return ValidationError(message % {"name": name, "hint": accept.hint}, code=code)


def check_pdf(data: bytes, *, name: str, accept: Accept) -> None:
    not_readable = _("%(name)s is not a readable PDF; %(hint)s.")
    if not data.startswith(b"%PDF-"):
        raise _refuse(not_readable, name, accept, "pdf_not_pdf")
    end = data.rfind(b"%%EOF")
    if end < 0:
        raise _refuse(_("%(name)s is incomplete (the upload was cut off or the file is damaged); "
                        "please upload it again."), name, accept, "pdf_incomplete")
    if data[end + 5:].strip(b"\x00\t\r\n\x0c "):
        raise _refuse(_("%(name)s has other data after the end of the PDF; save it again as a plain PDF."),
                      name, accept, "pdf_trailing_data")
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # repairs of odd scanner output are not news
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _refuse(_("%(name)s is password-protected or encrypted; upload an unprotected PDF."),
                          name, accept, "pdf_encrypted")
        pages = len(reader.pages)
        if not pages:
            raise _refuse(not_readable, name, accept, "pdf_no_pages")
        if pages > MAX_PAGES:
            raise _refuse(_("%(name)s has more than 500 pages."), name, accept, "pdf_too_many_pages")
        for page in reader.pages:
            page.mediabox  # noqa: B018 - reading each page's box proves the page tree is sound
        active = _active_content(reader)
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 - whatever pypdf cannot read is not a readable PDF
        raise _refuse(not_readable, name, accept, "pdf_not_readable") from None
    if active:
        raise _refuse(_("%(name)s contains scripts, attachments or form actions; upload a plain PDF (a scan or "
                        "a document printed to PDF)."), name, accept, "pdf_active_content")


def _active_content(reader) -> bool:
    """Whether any object reachable from the document's trailer names active content."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    stack, seen, visited = [reader.trailer], set(), 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        visited += 1
        if visited > MAX_OBJECTS:
            raise ValueError("too many objects")
        if isinstance(obj, DictionaryObject):
            for key, value in obj.items():
                if key in ACTIVE_NAMES or (isinstance(value, NameObject) and value in ACTIVE_NAMES):
                    return True
                stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return False
