"""The local mailbox: an e-mail backend that keeps each message as an .eml file in
LOCAL_MAILBOX_DIR, and the reading side of the staff-only /mailbox/ pages. `make run` (local
settings) uses it, so a newcomer sees what the system sends without a mail server."""

from __future__ import annotations

import email
import email.policy
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from django.utils.html import escape, format_html

# A link ends at white space, quotes, angle brackets, or full-width punctuation (Chinese text
# writes "详情：http://…。" without spaces, where Django's urlize sees no link).
LINK = re.compile(r"https?://[^\s<>\"'\u3000-\u303f\uff00-\uffef]+")
NAME = re.compile(r"^\d{8}T\d{6}\.\d{6}-[0-9a-f]{8}\.eml$")


def linkify(text: str) -> str:
    """The text, escaped, with every http(s) address a link (opened in a new tab)."""
    parts, last = [], 0
    for match in LINK.finditer(text):
        url = match.group(0).rstrip(".,;:!?)")
        parts.append(escape(text[last:match.start()]))
        parts.append(format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url))
        last = match.start() + len(url)
    parts.append(escape(text[last:]))
    # Every part is already escaped (escape / format_html): format_html joins them without escaping twice.
    return format_html("{}" * len(parts), *parts)


def mailbox_dir() -> Path:
    return Path(settings.LOCAL_MAILBOX_DIR)


class MailboxBackend(BaseEmailBackend):
    """Stores every message as <time>-<id>.eml (written to a temporary name, then renamed, so a
    reader never sees half a file)."""

    def send_messages(self, email_messages):
        folder = mailbox_dir()
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            name = f"{timezone.now():%Y%m%dT%H%M%S.%f}-{uuid.uuid4().hex[:8]}.eml"
            tmp = folder / f".{name}.tmp"
            tmp.write_bytes(message.message().as_bytes(linesep="\r\n"))
            os.replace(tmp, folder / name)
            sent += 1
        return sent


@dataclass
class StoredAttachment:
    index: int
    filename: str
    content_type: str
    size: int


@dataclass
class StoredMail:
    name: str
    subject: str
    sender: str
    to: str
    reply_to: str
    date: str
    body: str
    attachments: list[StoredAttachment]

    @property
    def body_html(self) -> str:
        return linkify(self.body)


def _parse(path: Path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def _attachment_parts(message):
    return [part for part in message.iter_attachments()]


def mail_names() -> list[str]:
    folder = mailbox_dir()
    if not folder.is_dir():
        return []
    return sorted((p.name for p in folder.iterdir() if NAME.match(p.name)), reverse=True)


def mail_path(name: str) -> Path:
    """The stored message's path; KeyError for anything that is not a stored message's name."""
    if not NAME.match(name) or not (mailbox_dir() / name).is_file():
        raise KeyError(name)
    return mailbox_dir() / name


def mail_read(name: str, *, with_body: bool = True) -> StoredMail:
    message = _parse(mail_path(name))
    body = ""
    if with_body:
        part = message.get_body(preferencelist=("plain", "html"))
        body = part.get_content() if part is not None else ""
    attachments = [
        StoredAttachment(index=i, filename=part.get_filename() or f"attachment-{i}",
                         content_type=part.get_content_type(), size=len(part.get_payload(decode=True) or b""))
        for i, part in enumerate(_attachment_parts(message))
    ]
    return StoredMail(name=name, subject=str(message.get("Subject", "")), sender=str(message.get("From", "")),
                      to=str(message.get("To", "")), reply_to=str(message.get("Reply-To", "")),
                      date=str(message.get("Date", "")), body=body, attachments=attachments)


def mail_attachment(name: str, index: int) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of attachment `index` of a stored message; KeyError if none."""
    parts = _attachment_parts(_parse(mail_path(name)))
    if not 0 <= index < len(parts):
        raise KeyError(index)
    part = parts[index]
    return part.get_filename() or f"attachment-{index}", part.get_content_type(), part.get_payload(decode=True)
