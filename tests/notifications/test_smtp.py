"""A real SMTP server (aiosmtpd on 127.0.0.1, a free port) receives the notice e-mail sent through
Django's SMTP backend: the attached PDF is the stored notice, byte for byte, and pdftotext finds
the notice number in it."""

import email
import email.policy
import hashlib
import shutil
import socket
import subprocess

import pytest
from aiosmtpd.controller import Controller

from hazards import services as hazard_services
from notifications import delivery, services
from notifications.attachments import notice_attachment
from notifications.models import Channel, Kind, Message
from tests.hazards.factories import RiskCategoryFactory, register

pytestmark = pytest.mark.django_db


class Sink:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_sink(settings):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    try:
        yield sink
    finally:
        controller.stop()


def test_notice_email_arrives_with_the_stored_pdf(smtp_sink, site_a, manager_a, tmp_path, settings):
    settings.NOTIFY_FROM_EMAIL, settings.NOTIFY_REPLY_TO = "hazards@jz-power.example", "safety@jz-power.example"
    # given an issued notice (a real PDF, stored with its hash)
    hazard = register(site=site_a, by=manager_a, category=RiskCategoryFactory())
    notice = hazard_services.hazard_notify(hazards=[hazard], by=manager_a)
    # when its e-mail is queued and delivered
    message = services.message_enqueue(
        channel=Channel.EMAIL, kind=Kind.NOTICE_ISSUED, about=notice, recipient_address=notice.addressee_email,
        recipient_name=notice.addressee, language="zh-hans",
        dedupe_key=services.dedupe_key(Kind.NOTICE_ISSUED, Channel.EMAIL, notice, notice.addressee_email),
        context={"notice_number": notice.number, "site_name": site_a.name, "deadline": notice.deadline},
        attachments=[notice_attachment(notice)])
    result = delivery.message_deliver(ids=[message.pk])
    # then the server received one e-mail, from and reply-to as configured, with the stored PDF
    assert result.sent == 1
    [envelope] = smtp_sink.envelopes
    assert envelope.rcpt_tos == ["wang@example.com"] and envelope.mail_from == "hazards@jz-power.example"
    received = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert str(received["Subject"]) == f"隐患告知书 {notice.number}"
    assert str(received["Reply-To"]) == "safety@jz-power.example"
    assert notice.number in received.get_body(preferencelist=("plain",)).get_content()
    [part] = received.iter_attachments()
    assert part.get_filename() == f"{notice.number}.pdf" and part.get_content_type() == "application/pdf"
    pdf = part.get_payload(decode=True)
    assert hashlib.sha256(pdf).hexdigest() == notice.sha256
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is installed by scripts/system_deps.sh"
    (tmp_path / "n.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(tmp_path / "n.pdf"), "-"], capture_output=True, check=True,
                          text=True).stdout
    assert notice.number in text
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.unit == notice.unit


def test_smtp_server_down_is_a_failed_attempt(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    message = services.message_enqueue(channel=Channel.EMAIL, kind=Kind.ESCALATION, dedupe_key="down",
                                       recipient_address="leader@example.com", subject="升级", body="升级")
    result = delivery.message_deliver(ids=[message.pk])
    message.refresh_from_db()
    assert result.failed == 1 and message.status == Message.Status.FAILED and message.next_attempt_at
    assert "Connection refused" in message.last_error or "ConnectionRefusedError" in message.last_error


def test_send_notice_command_resends_the_stored_pdf(smtp_sink, site_a, manager_a, capsys):
    from django.core.management import CommandError, call_command

    hazard = register(site=site_a, by=manager_a, category=RiskCategoryFactory())
    notice = hazard_services.hazard_notify(hazards=[hazard], by=manager_a)
    # Issuing queued its own messages (hazards.outbox); the command adds one per run.
    issued = Message.objects.filter(kind=Kind.NOTICE_ISSUED, about_id=notice.pk).count()
    smtp_sink.envelopes.clear()
    call_command("send_notice", notice.number)
    call_command("send_notice", notice.number, "--to", "archive@example.com")
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith(f"sent 1: notice {notice.number} to archive@")
    assert [e.rcpt_tos for e in smtp_sink.envelopes] == [["wang@example.com"], ["archive@example.com"]]
    for envelope in smtp_sink.envelopes:
        received = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        [part] = received.iter_attachments()
        assert hashlib.sha256(part.get_payload(decode=True)).hexdigest() == notice.sha256
    assert Message.objects.filter(kind=Kind.NOTICE_ISSUED, about_id=notice.pk).count() == issued + 2
    with pytest.raises(CommandError, match="no notice numbered"):
        call_command("send_notice", "GZ-1999-99999")
    with pytest.raises(CommandError, match="valid email"):
        call_command("send_notice", notice.number, "--to", "not-an-address")
