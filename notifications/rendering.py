"""Message texts from templates, in the recipient's language.

Templates: `notifications/<channel>/<kind>.txt` (channel email, sms, in_app). For e-mail and
in-app messages the first line is the subject and the rest the body; an SMS is all body. A kind
without its own template for a channel uses `notifications/<channel>/default.txt`.

Context that the templates read (the business phase passes what applies; dates may be date
objects, they are written YYYY-MM-DD): recipient_name, about_label, url (absolute), hazard_number,
site_name, deadline, new_deadline, notice_number, days (days left or overdue), approved (bool),
comment, hazards (for digests: dicts with number, site_name, deadline, days_overdue; total: how
many in all, more: how many beyond those listed), portal_url and portal_expires (the party's link
in notice e-mails), party_name and action (what the party did through it), plus
signature and site_url, which the renderer adds.
"""

from __future__ import annotations

import datetime
import html
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
    return _finish(channel, _render_text(channel, kind, _context(kind, context), language))


def _context(kind: str, context: dict | None) -> dict:
    from .selectors import notification_config

    ctx = {k: _plain(v) for k, v in (context or {}).items()}
    ctx.setdefault("site_url", settings.SITE_URL.rstrip("/"))
    if "hazards" in ctx:  # a digest: how many in all, and beyond those listed
        ctx.setdefault("total", len(ctx["hazards"]))
        ctx.setdefault("more", max(ctx["total"] - len(ctx["hazards"]), 0))
    if "signature" not in ctx:  # a scan passes it once for thousands of messages (no query each)
        ctx["signature"] = notification_config().sms_signature
    ctx["kind"] = kind
    return ctx


def _render_text(channel: str, kind: str, ctx: dict, language: str | None) -> str:
    try:
        template = select_template(template_names(channel, kind))
    except TemplateDoesNotExist as exc:  # pragma: no cover - default.txt exists for every channel
        raise ValueError(f"no template for {channel}/{kind}") from exc
    with translation.override(language or settings.LANGUAGE_CODE):
        ctx.setdefault("kind_label", str(Kind(kind).label) if kind in Kind.values else kind)
        return _tidy(template.render(ctx))


def _finish(channel: str, text: str) -> Rendered:
    if channel == Channel.SMS:
        return Rendered(subject="", body=_sms_cut(text))
    subject, _sep, body = text.partition("\n")
    return Rendered(subject=subject.strip()[:255], body=_tidy(body))


class ShapeRenderer:
    """Renders many messages that differ only in names, numbers and dates (a scan's thousands of
    reminders) at the cost of a few: a template is rendered once per *shape* — channel, kind,
    language and every context value that can change the wording (days for plurals, approved, …) —
    with markers in place of the plain values, which are then put in by string replacement, escaped
    as the template would have escaped them. The result equals render_message's (tested); contexts
    it cannot shape (lists, values with line breaks or edge spaces) are rendered in full."""

    # Values printed as they are, never tested or counted by the templates.
    PLAIN = ("hazard_number", "site_name", "deadline", "new_deadline", "notice_number", "recipient_name",
             "about_label", "url", "site_url", "signature", "portal_url", "portal_expires")

    def __init__(self):
        self._shapes: dict[tuple, str] = {}
        self._escapes: dict[tuple, bool] = {}

    def render(self, *, channel: str, kind: str, context: dict | None = None, language: str | None = None) -> Rendered:
        ctx = _context(kind, context)
        values = {k: v for k, v in ctx.items() if k in self.PLAIN and v}
        if any(not isinstance(v, str) or "\n" in v or v != v.strip() or "\ue000" in v for v in values.values()) \
                or any(isinstance(v, list | dict) for v in ctx.values()):
            return render_message(channel=channel, kind=kind, context=context, language=language)
        names = sorted(values)
        fixed = tuple(sorted((k, repr(v)) for k, v in ctx.items() if k not in values))
        key = (channel, kind, language, tuple(names), fixed)
        shape = self._shapes.get(key)
        if shape is None:
            marked = {**ctx, **{k: f"\ue000{i}\ue001" for i, k in enumerate(names)}}
            shape = self._shapes[key] = _render_text(channel, kind, marked, language)
        text = shape
        autoescape = self._autoescape(channel, kind)
        for i, k in enumerate(names):
            # What the template's autoescaping does to a plain string (django.utils.html.escape).
            text = text.replace(f"\ue000{i}\ue001", html.escape(values[k]) if autoescape else values[k])
        return _finish(channel, text)

    def _autoescape(self, channel: str, kind: str) -> bool:
        if (channel, kind) not in self._escapes:
            template = select_template(template_names(channel, kind))
            self._escapes[channel, kind] = template.template.engine.autoescape
        return self._escapes[channel, kind]


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
    "deadlines_differ": False,
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
    "portal_url": "https://hazards.example.com/p/Ab3dEf6hIj9k/0123456789abcdefghijklmnopqrstuvwxyzABCDEFG/",
    "portal_expires": datetime.date(2027, 1, 9),
    "party_name": "王建国",
    "action": "acknowledge",
}
