"""Shared PDF rendering (WeasyPrint) for notices and reports: one place sets the CJK font, A4
pages and page numbers, so every document embeds the same font and prints the same way."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

# Noto Sans CJK SC ships with Debian's fonts-noto-cjk (installed by scripts/system_deps.sh);
# the others are fallbacks for machines that have only one of them.
PDF_FONT_FAMILY = '"Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei", sans-serif'


def render_pdf(template_name: str, context: dict, *, language: str | None = None) -> bytes:
    """Render a template extending `pdf/base.html` to PDF bytes in the given language."""
    from weasyprint import HTML  # imported lazily: loading WeasyPrint costs ~0.3 s

    language = language or settings.LANGUAGE_CODE
    with translation.override(language):
        html = render_to_string(template_name, {
            **context, "pdf_font_family": PDF_FONT_FAMILY, "pdf_language": language,
            # Chinese documents use the full-width colon after labels.
            "pdf_colon": ": " if language == "en" else "：",
        })
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
