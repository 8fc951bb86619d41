"""Tags of the PDF templates: the only ways a document names a file (see org.documents)."""

from django import template

from org.pdfsandbox import media_url, static_url

register = template.Library()


@register.simple_tag
def pdf_static(path: str) -> str:
    """`hz://static/<path>`: one of our static files, read from disk by the PDF fetcher."""
    return static_url(path)


@register.filter
def pdf_media(name) -> str:
    """`hz://media/<name>`: a stored upload; served only if the document was given its name."""
    return media_url(str(name))
