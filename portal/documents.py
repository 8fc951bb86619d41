"""The acknowledged copy of a hazard notice: the notice as issued, re-rendered with the party's
typed name, the time and the drawn signature in the recipient's block. A new document, stored as
the notice's signed scan; the issued PDF (and its SHA-256) stays untouched."""

import base64

from django.utils import timezone

from hazards.documents import TEMPLATES, notice_context
from org.documents import render_pdf


def render_acknowledged_copy(notice, *, name: str, at, signature) -> bytes:
    signature.seek(0)
    # The checked PNG, embedded as a data: URI (the PDF sandbox loads nothing else of ours here).
    data_uri = "data:image/png;base64," + base64.b64encode(signature.read()).decode("ascii")
    signature.seek(0)
    context = notice_context(notice)
    context["acknowledgement"] = {"name": name, "at": timezone.localtime(at), "signature": data_uri}
    return render_pdf(TEMPLATES[notice.kind], context, language=notice.language or None)
