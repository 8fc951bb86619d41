"""Attachments of outbox messages are references to documents already stored (a notice's PDF …),
never copies: the row names the storage path and the SHA-256 recorded when the document was
issued, and delivery attaches the stored bytes only if they still hash to that value."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

from django.core.files.storage import default_storage


class AttachmentChanged(Exception):
    """The stored bytes no longer match the recorded hash: sending them would send something other
    than what was issued. No retry can cure it."""


@dataclass(frozen=True)
class AttachmentRef:
    name: str  # the storage name (FieldFile.name) in the default storage
    filename: str  # the file name the recipient sees
    mimetype: str
    sha256: str

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> AttachmentRef:
        return cls(name=data["name"], filename=data["filename"], mimetype=data["mimetype"], sha256=data["sha256"])


def attachment_for_file(field_file, *, sha256: str, filename: str | None = None,
                        mimetype: str = "application/octet-stream") -> AttachmentRef:
    """A reference to a stored file (a FieldFile of the default storage) and the hash recorded for it."""
    if not field_file or not field_file.name:
        raise ValueError("the document has no stored file to attach")
    if len(sha256 or "") != 64:
        raise ValueError(f"the document {field_file.name} has no SHA-256 recorded")
    return AttachmentRef(name=field_file.name, filename=filename or field_file.name.rsplit("/", 1)[-1],
                         mimetype=mimetype, sha256=sha256.lower())


def notice_attachment(notice) -> AttachmentRef:
    """The issued PDF of a hazard or supervision notice, as stored when it was issued."""
    return attachment_for_file(notice.file, sha256=notice.sha256, filename=f"{notice.number}.pdf",
                               mimetype="application/pdf")


def read_verified(ref: AttachmentRef) -> bytes:
    """The stored bytes of the attachment; AttachmentChanged if they do not hash to the recorded value.
    A missing file raises OSError (FileNotFoundError), which delivery treats as a retryable failure."""
    with default_storage.open(ref.name, "rb") as handle:
        data = handle.read()
    actual = hashlib.sha256(data).hexdigest()
    if actual != ref.sha256:
        raise AttachmentChanged(f"attachment {ref.filename} ({ref.name}) changed: "
                                f"SHA-256 {actual} instead of {ref.sha256}")
    return data
