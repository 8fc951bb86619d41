"""Shared PDF rendering (WeasyPrint) for notices and reports: one place sets the fonts, A4 pages
and page numbers, so every document embeds the same fonts and prints the same way, and one place
renders: in a sandbox (org.pdfsandbox) with time, memory and output limits and a URL fetcher
that serves only our own static files, the stored uploads a document is given, and data: URIs.

Rules for document templates (templates/pdf/, <app>/templates/<app>/pdf/):
- No user text inside <style> or a style attribute: CSS has its own syntax, and text placed in
  it can end a string and write rules (a newline in a site name once made WeasyPrint fetch
  attacker URLs). User text goes in the document's elements only; page headers take it from the
  content (`position: running(...)` / `element()`), never from a template-inserted CSS string.
- Static files through `{% pdf_static "pdf/x.css" %}`, stored uploads through
  `{{ photo.image.name|pdf_media }}` plus the name in render_pdf(media=...): nothing else loads."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from . import wording
from .pdfsandbox import FONT_FAMILIES, FONT_FAMILY_CSS, Limits, RenderError, RenderResult, Resources, render

__all__ = ["FONT_FAMILIES", "PDF_FONT_FAMILY", "RenderError", "render_html", "render_pdf", "render_error_message"]

# The font stack (see org.pdfsandbox.FONT_FAMILIES: which Debian package brings which family).
PDF_FONT_FAMILY = FONT_FAMILY_CSS

logger = logging.getLogger(__name__)


def limits() -> Limits:
    return Limits(
        seconds=float(settings.PDF_RENDER_SECONDS),
        memory_bytes=int(settings.PDF_RENDER_MEMORY_MB) * 1024 * 1024,
        output_bytes=int(settings.PDF_MAX_MB) * 1024 * 1024,
        resource_bytes=int(settings.PDF_RESOURCE_MAX_MB) * 1024 * 1024,
    )


def static_roots() -> tuple[str, ...]:
    """The folders the staticfiles finders search (STATICFILES_DIRS and the apps' static/),
    read from disk: the same files in development and production (whitenoise's manifest
    only renames copies)."""
    from django.contrib.staticfiles import finders

    roots: list[str] = []
    for finder in finders.get_finders():
        for storage in getattr(finder, "storages", {}).values():
            location = getattr(storage, "location", None)
            if location and not getattr(storage, "prefix", None) and str(location) not in roots:
                roots.append(str(location))
    return tuple(roots)


def _media_paths(names: Iterable[str]) -> dict[str, str]:
    """Storage name -> file on disk, for the uploads one document may embed."""
    paths = {}
    for name in names:
        if name:
            paths[str(name)] = default_storage.path(str(name))
    return paths


# Characters that have no glyph because they are not text: the line and paragraph separators
# (pasted from Word or a web page) become the line breaks they mean; other control characters
# (form feeds, NULs, escapes) are dropped. Tabs, newlines and carriage returns stay.
_NOT_TEXT = {0x2028: "\n", 0x2029: "\n", 0x7F: None, 0x85: "\n",
             **{code: None for code in range(0x20) if chr(code) not in "\t\n\r"},
             **{code: None for code in range(0x80, 0xA0) if code != 0x85}}


def printable(html: str) -> str:
    return html.translate(_NOT_TEXT)


def render_html(html: str, *, media: Iterable[str] = ()) -> RenderResult:
    """Render HTML to PDF in the sandbox. `media`: storage names of uploads the document may
    embed (as `hz://media/<name>`); anything else it names is refused."""
    result = render(printable(html), resources=Resources(static_roots=static_roots(), media=_media_paths(media)),
                    limits=limits())
    for url in result.refused:
        logger.warning("PDF resource refused: %s", url[:200])
    return result


def render_pdf(template_name: str, context: dict, *, language: str | None = None,
               media: Iterable[str] = ()) -> bytes:
    """Render a template extending `pdf/base.html` to PDF bytes in the given language.
    Raises RenderError when the document cannot be produced within the limits."""
    language = language or settings.LANGUAGE_CODE
    with translation.override(language):
        html = render_to_string(template_name, {
            **context, "pdf_font_family": PDF_FONT_FAMILY, "pdf_language": language,
            # Chinese documents use the full-width colon after labels (org.wording).
            "pdf_colon": wording.colon(),
        })
    return render_html(html, media=media).pdf


def render_error_message(exc: RenderError) -> str:
    """Why a document could not be produced, in words for the user."""
    if exc.reason == "timeout":
        return _("The document took longer than %(seconds)d seconds to produce.") % {
            "seconds": int(settings.PDF_RENDER_SECONDS)}
    if exc.reason in ("memory", "output"):
        return _("The document is too large to produce.")
    return _("The document could not be produced.")
