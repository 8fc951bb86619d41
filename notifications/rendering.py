"""Message texts from templates, in the recipient's language.

Templates: `notifications/<channel>/<kind>.txt` (channel email, sms, in_app). For e-mail and
in-app messages the first line is the subject and the rest the body; an SMS is all body. A kind
without its own template for a channel uses `notifications/<channel>/default.txt`.

Context that the templates read (the business phase passes what applies; dates may be date
objects, they are written YYYY-MM-DD): recipient_name, about_label, url (absolute), hazard_number,
site_name, deadline, new_deadline, notice_number, days (days left or overdue), approved (bool),
comment, hazards (for digests: dicts with number, site_name, deadline, days_overdue; total: how
many in all, more: how many beyond those listed), plus
signature and site_url, which the renderer adds.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.utils import translation

from .models import Channel, Kind


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def _plain(value):
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def template_names(channel: str, kind: str) -> list[str]:
    return [f"notifications/{channel}/{kind}.txt", f"notifications/{channel}/default.txt"]


def render_message(*, channel: str, kind: str, context: dict | None = None, language: str | None = None) -> Rendered:
    """Render the subject and body of a message in `language` (default: LANGUAGE_CODE)."""
    from .selectors import notification_config

    ctx = {k: _plain(v) for k, v in (context or {}).items()}
    ctx.setdefault("site_url", settings.SITE_URL.rstrip("/"))
    if "hazards" in ctx:  # a digest: how many in all, and beyond those listed
        ctx.setdefault("total", len(ctx["hazards"]))
        ctx.setdefault("more", max(ctx["total"] - len(ctx["hazards"]), 0))
    if "signature" not in ctx:  # a scan passes it once for thousands of messages (no query each)
        ctx["signature"] = notification_config().sms_signature
    ctx["kind"] = kind
    try:
        template = select_template(template_names(channel, kind))
    except TemplateDoesNotExist as exc:  # pragma: no cover - default.txt exists for every channel
        raise ValueError(f"no template for {channel}/{kind}") from exc
    with translation.override(language or settings.LANGUAGE_CODE):
        ctx.setdefault("kind_label", str(Kind(kind).label) if kind in Kind.values else kind)
        text = _tidy(template.render(ctx))
    if channel == Channel.SMS:
        return Rendered(subject="", body=_sms_cut(text))
    subject, _sep, body = text.partition("\n")
    return Rendered(subject=subject.strip()[:255], body=_tidy(body))


def _sms_cut(text: str) -> str:
    text = " ".join(text.split())
    limit = settings.SMS_MAX_CHARS
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Values for the admin's template preview: one of everything a template may read.
SAMPLE_CONTEXT = {
    "recipient_name": "王建国",
    "about_label": "YH-2026-000123",
    "hazard_number": "YH-2026-000123",
    "site_name": "江州化工有限公司",
    "deadline": datetime.date(2026, 12, 10),
    "new_deadline": datetime.date(2026, 12, 24),
    "notice_number": "GZ-2026-00042",
    "days": 3,
    "approved": True,
    "comment": "现场复查发现接地线仍未恢复。",
    "hazards": [
        {"number": "YH-2026-000123", "site_name": "江州化工有限公司", "deadline": datetime.date(2026, 11, 25),
         "days_overdue": 5},
        {"number": "YH-2026-000131", "site_name": "城东水厂", "deadline": datetime.date(2026, 11, 27),
         "days_overdue": 3},
    ],
    "total": 2,
    "more": 0,
    "url": "/hazards/123/",
}
