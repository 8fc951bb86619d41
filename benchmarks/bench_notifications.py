"""Delivering queued e-mails from the outbox to a local SMTP server (aiosmtpd, in its own process):
messages per second of `deliver_outbox`'s code path (lock a batch, build each e-mail, send over one
connection per batch, record the outcome) beside raw smtplib sending the same messages over one
connection, in the same run.

    .venv/bin/python benchmarks/bench_notifications.py [--messages 10000] [--attach]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hz_bench .venv/bin/python benchmarks/bench_notifications.py

Without DATABASE_URL it uses a throw-away SQLite database in a temporary folder; with it, the
outbox table of that database is emptied first (use a database of its own).
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sink(port: int) -> subprocess.Popen:
    """aiosmtpd in another process (so that it does not share our GIL), discarding what it gets."""
    sink = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                             "-c", "aiosmtpd.handlers.Sink"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return sink
        except OSError:
            time.sleep(0.1)
    sink.kill()
    raise SystemExit("the SMTP sink did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--attach", action="store_true", help="attach a stored one-page PDF to every e-mail")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-notifications-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    port = free_port()
    import django

    django.setup()
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    settings.MEDIA_ROOT = f"{tmp}/media"
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    import hashlib
    import smtplib
    from email.message import EmailMessage

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.db import connection
    from django.utils import timezone

    from notifications import delivery
    from notifications.attachments import AttachmentRef
    from notifications.models import Channel, Kind, Message
    from notifications.rendering import SAMPLE_CONTEXT, render_message

    attachments = []
    pdf = b""
    if args.attach:
        from weasyprint import HTML

        pdf = HTML(string="<h1>隐患告知书 GZ-2026-00042</h1>").write_pdf()
        name = default_storage.save("notices/bench/GZ-2026-00042.pdf", ContentFile(pdf))
        attachments = [AttachmentRef(name, "GZ-2026-00042.pdf", "application/pdf",
                                     hashlib.sha256(pdf).hexdigest()).as_json()]
    rendered = render_message(channel=Channel.EMAIL, kind=Kind.REMINDER_BEFORE, context=SAMPLE_CONTEXT,
                              language="zh-hans")
    Message.objects.all().delete()
    now = timezone.now()
    rows = [Message(channel=Channel.EMAIL, kind=Kind.REMINDER_BEFORE, recipient_address=f"party{i}@example.com",
                    recipient_name="王建国", subject=rendered.subject, body=rendered.body, attachments=attachments,
                    dedupe_key=f"bench:{i}", next_attempt_at=now) for i in range(args.messages)]
    Message.objects.bulk_create(rows, batch_size=2000)

    sink = start_sink(port)
    try:
        # The outbox path: deliver_outbox's code (batches of NOTIFY_BATCH_SIZE, rows locked, outcome saved).
        started = time.perf_counter()
        result = delivery.deliver_due()
        outbox_seconds = time.perf_counter() - started
        assert result.sent == args.messages, (result.sent, result.failed, result.dead)
        assert not Message.objects.exclude(status=Message.Status.SENT).exists()

        # Baseline: raw smtplib, the same messages over one connection, nothing read or recorded.
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for i in range(args.messages):
                msg = EmailMessage()
                msg["Subject"], msg["From"] = rendered.subject, settings.NOTIFY_FROM_EMAIL
                msg["To"] = f"王建国 <party{i}@example.com>"
                msg.set_content(rendered.body)
                if pdf:
                    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="GZ-2026-00042.pdf")
                smtp.send_message(msg)
        raw_seconds = time.perf_counter() - started
    finally:
        sink.terminate()
        sink.wait(timeout=10)

    n = args.messages
    print(f"database: {connection.vendor}; {n} e-mails{' with a PDF attachment' if pdf else ''}; "
          f"batch {settings.NOTIFY_BATCH_SIZE}; SMTP sink: aiosmtpd (own process)")
    print(f"{'path':<48}{'seconds':>10}{'messages/s':>14}")
    print(f"{'outbox (deliver_outbox / the task)':<48}{outbox_seconds:>10.2f}{n / outbox_seconds:>14,.0f}")
    print(f"{'raw smtplib, one connection (baseline)':<48}{raw_seconds:>10.2f}{n / raw_seconds:>14,.0f}")
    print(f"outbox / baseline time: {outbox_seconds / raw_seconds:.2f}×")


if __name__ == "__main__":
    main()
