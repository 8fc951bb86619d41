import os

import pytest
from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

from notifications.sms import LocmemBackend


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.postgres` tests need real row locks: skipped on SQLite, except in CI where a
    missing PostgreSQL must fail loudly."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine == "django.db.backends.postgresql" or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (row locks; set DATABASE_URL); required in CI")
    for item in items:
        if "postgres" in item.keywords and str(item.fspath).startswith(os.path.dirname(__file__)):
            item.add_marker(skip)


class FailingBackend(BaseEmailBackend):
    """A mail server that refuses everything (retries, backoff, dead)."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server unreachable")


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "notifications.sms.LocmemBackend"
    LocmemBackend.outbox = []
    return LocmemBackend.outbox


@pytest.fixture
def stored_pdf(settings):
    """A real PDF stored in the default storage, with its SHA-256 (as a notice keeps it)."""
    import hashlib

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from weasyprint import HTML

    data = HTML(string="<p>隐患告知书 GZ-2026-00001</p>").write_pdf()
    name = default_storage.save("notices/2026/11/GZ-2026-00001.pdf", ContentFile(data))
    return name, data, hashlib.sha256(data).hexdigest()


@pytest.fixture
def fast_pdf(monkeypatch):
    """Fixed bytes instead of a rendered notice where the PDF's content is not under test."""
    monkeypatch.setattr("hazards.documents.render_notice_pdf",
                        lambda notice, hazards=None: b"%PDF-1.7 test " + notice.number.encode())
