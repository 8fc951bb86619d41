"""Issue 8, fault 6: no document fetches what it should not, whatever text a user entered.

A listener on 127.0.0.1 stands for an attacker's server. Its URL, file:///etc/passwd,
file:///dev/zero and other hostile payloads (CSS break-outs with newlines and quotes, </style>,
url(...), @import, <img>, <link>, SVG with external references, <base>, our internal scheme with
dot segments) go into every text field that any document prints. Every document type is rendered
for real (WeasyPrint in its sandbox): the listener must receive nothing, no forbidden file may be
opened (an audit hook inherited by the render process records every open and connect), and each
render finishes within the time limit. The fields are written past validation (as legacy data or
a bypassed form would be), so this holds for any text, not only for what the forms accept."""

import datetime
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from audits import documents as audit_documents
from audits import services as audit_services
from audits.models import Inspection, InspectionResult
from hazards.documents import render_notice_pdf
from hazards.models import Hazard, Notice
from org.documents import render_html
from org.models import OrgUnit, Site
from scoring.models import Standard, StandardItem
from tests.audits.factories import make_standard
from tests.hazards.factories import RiskCategoryFactory, image_upload, register, today

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")]

FORBIDDEN_FILES = ("/etc/passwd", "/etc/shadow", "/dev/zero", "/dev/urandom", "/proc/self/environ")


# --------------------------------------------------------------------------- the watchers

class Listener:
    """A TCP server on 127.0.0.1 that records every connection and the bytes it received."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.received.append(conn.recv(4096) or b"<connected>")
                    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/css\r\n\r\nbody{color:red}")
                except OSError:
                    self.received.append(b"<connected>")

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


_AUDIT = {"fd": None}


def _audit_hook(event, args):
    """Inherited by the forked render process: records forbidden opens and every connect."""
    fd = _AUDIT["fd"]
    if fd is None:
        return
    if event == "open" and args and isinstance(args[0], str | bytes):
        path = os.fsdecode(args[0])
        if path in FORBIDDEN_FILES:
            os.write(fd, f"open {path}\n".encode())
    elif event == "socket.connect":
        os.write(fd, f"connect {args[1]!r}\n".encode())


sys.addaudithook(_audit_hook)  # audit hooks cannot be removed; it does nothing unless armed


@pytest.fixture
def watch(tmp_path):
    listener = Listener()
    log = tmp_path / "audit.log"
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    _AUDIT["fd"] = fd
    try:
        yield listener, log
    finally:
        _AUDIT["fd"] = None
        os.close(fd)
        listener.close()


def payloads(url: str) -> list[str]:
    """Hostile texts; each also carries a visible marker so we can see it printed as text."""
    return [
        # Verified against the old running header (a CSS string in @page): WeasyPrint fetched this.
        f'BREAK0\n; }} }} body {{ background: url({url}/bg0.png) }} h1 {{ x: "',
        f'BREAK1"\n}} @import url("{url}/import1.css"); body {{ background: url("{url}/bg1.png") }} '
        f'@font-face {{ font-family: x; src: url(file:///etc/passwd) }} html {{ font-family: x }} .y {{ content: "',
        f"BREAK2'\r\n}} * {{ background-image: url({url}/bg2.png), url(file:///dev/zero) }} .z {{ x: '",
        f'</style><link rel="stylesheet" href="{url}/link.css"><img src="{url}/img.png"><style>@import "{url}/i2";',
        f'@import "{url}/import3.css"; url({url}/url3) url(file:///dev/zero) url(/etc/passwd)',
        f'<img src="file:///etc/passwd"><img src="/dev/zero"><object data="{url}/object"></object>'
        f'<iframe src="{url}/iframe"></iframe><embed src="{url}/embed">',
        f'<svg xmlns="http://www.w3.org/2000/svg"><image href="{url}/svg.png" width="9" height="9"/>'
        f'<use href="{url}/use.svg#a"/><style>@import "{url}/svgstyle";</style></svg>',
        f'<base href="{url}/"><a rel="attachment" href="{url}/attachment">att</a><link rel="attachment" '
        f'href="file:///etc/passwd">',
        'hz://static/../../../../etc/passwd hz://media/../../etc/passwd <img src="hz://media/../../../etc/passwd">',
        f"\u2028\u2029\x0c\\\"\\'\\A}} body {{ background: url({url}/escaped) }}",
    ]


def hostile(url: str, n: int) -> str:
    """The n-th payload (cycling), marked with its index."""
    options = payloads(url)
    return f"P{n}:" + options[n % len(options)]


def fit(model, field: str, text: str) -> str:
    """As much of the text as the database column holds (PostgreSQL refuses longer values)."""
    return text[:model._meta.get_field(field).max_length or len(text)]


def assert_nothing_fetched(listener: Listener, log, seconds: float):
    time.sleep(0.2)  # let a late connection arrive, if any
    assert listener.received == [], listener.received
    opened = log.read_text()
    assert opened == "", opened
    assert seconds < settings.PDF_RENDER_SECONDS


def pdf_text(data: bytes, tmp_path) -> str:
    """The document's text without whitespace (lines wrap anywhere)."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(text.split())


# --------------------------------------------------------------------------- the documents

@pytest.fixture
def hostile_notice_data(site_a, manager_a, listener_url):
    """A site, its unit, an issuer and two hazards whose every printed text field is hostile."""
    url = listener_url
    category = RiskCategoryFactory(code="ELEC", name="电气")
    hazards = [register(site=site_a, by=manager_a, category=category) for _ in range(2)]
    n = iter(range(1000))
    OrgUnit.objects.filter(pk=site_a.unit_id).update(name=fit(OrgUnit, "name", hostile(url, next(n))))
    Site.objects.filter(pk=site_a.pk).update(name=fit(Site, "name", hostile(url, next(n))),
                                             address=fit(Site, "address", hostile(url, next(n))),
                                             code=fit(Site, "code", hostile(url, next(n))))
    user_model = get_user_model()
    user_model.objects.filter(pk=manager_a.pk).update(first_name=fit(user_model, "first_name", hostile(url, next(n))),
                                                      last_name=fit(user_model, "last_name", hostile(url, next(n))))
    for hazard in hazards:
        Hazard.objects.filter(pk=hazard.pk).update(**{
            name: fit(Hazard, name, hostile(url, next(n)))
            for name in ("location", "description", "basis", "required_measures", "responsible_name")})
    site = Site.objects.select_related("unit").get(pk=site_a.pk)
    issuer = get_user_model().objects.get(pk=manager_a.pk)
    hazards = list(Hazard.objects.filter(pk__in=[h.pk for h in hazards]).select_related("site", "category"))
    return {"site": site, "issuer": issuer, "hazards": hazards,
            "addressee": fit(Notice, "addressee", hostile(url, next(n))),
            "escalation": hostile(url, next(n))}


@pytest.fixture
def listener_url(watch):
    return watch[0].url


def _notice(data, kind, language, **extra):
    return Notice(kind=kind, number="GZ-TEST-00001" if kind == Notice.Kind.HAZARD else "DD-TEST-00001",
                  site=data["site"], unit=data["site"].unit, addressee=data["addressee"],
                  deadline=today() + datetime.timedelta(days=10), language=language, issued_by=data["issuer"],
                  **extra)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_hazard_notice_fetches_nothing(hostile_notice_data, watch, language, tmp_path):
    listener, log = watch
    notice = _notice(hostile_notice_data, Notice.Kind.HAZARD, language)
    started = time.monotonic()
    data = render_notice_pdf(notice, hostile_notice_data["hazards"])
    assert_nothing_fetched(listener, log, time.monotonic() - started)
    text = pdf_text(data, tmp_path)
    # The payloads are printed as text: the CSS break-out and the tags are visible, not obeyed.
    for marker in ("BREAK1", "@import", "</style>", "file:///etc/passwd", listener.url):
        assert marker in text, marker
    assert "root:" not in text


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_supervision_notice_fetches_nothing(hostile_notice_data, watch, language, tmp_path):
    listener, log = watch
    original = _notice(hostile_notice_data, Notice.Kind.HAZARD, language, sha256="0" * 64)
    original.file.save("original.pdf", ContentFile(b"%PDF-1.7"), save=False)
    original.save()
    notice = _notice(hostile_notice_data, Notice.Kind.SUPERVISION, language, cites=original, days_overdue=3,
                     escalation=hostile_notice_data["escalation"])
    started = time.monotonic()
    data = render_notice_pdf(notice, hostile_notice_data["hazards"][:1])
    assert_nothing_fetched(listener, log, time.monotonic() - started)
    text = pdf_text(data, tmp_path)
    assert "BREAK1" in text and "</style>" in text and listener.url in text


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("target", ["site", "unit"])
def test_inspection_report_fetches_nothing(site_a, inspector_a, watch, language, target, tmp_path):
    listener, log = watch
    url = listener.url
    standard = make_standard()
    inspection = audit_services.inspection_create(
        standard=standard, kind="self_assessment" if target == "unit" else "periodic",
        date=today(), site=site_a if target == "site" else None,
        unit=site_a.unit if target == "unit" else None, inspectors=[inspector_a], by=inspector_a)
    n = iter(range(1000))
    leaves = list(StandardItem.objects.filter(standard=standard, is_leaf=True).order_by("sort_key"))
    for leaf in leaves[:4]:
        audit_services.result_save(inspection=inspection, item=leaf, by=inspector_a, earned=Decimal("0"),
                                   not_applicable=False, serious_problems=1, problem="问题", measure="措施")
    # Every printed text, written past validation.
    for leaf in leaves[:4]:
        InspectionResult.objects.filter(inspection=inspection, item=leaf).update(
            problem=hostile(url, next(n)), measure=hostile(url, next(n)), finding=hostile(url, next(n)))
        StandardItem.objects.filter(pk=leaf.pk).update(title=fit(StandardItem, "title", hostile(url, next(n))))
    Standard.objects.filter(pk=standard.pk).update(name=fit(Standard, "name", hostile(url, next(n))),
                                                   version=fit(Standard, "version", hostile(url, next(n))))
    OrgUnit.objects.filter(pk=site_a.unit_id).update(name=fit(OrgUnit, "name", hostile(url, next(n))))
    Site.objects.filter(pk=site_a.pk).update(name=fit(Site, "name", hostile(url, next(n))))
    user_model = get_user_model()
    user_model.objects.filter(pk=inspector_a.pk).update(first_name=fit(user_model, "first_name", hostile(url, next(n))))
    group = OrgUnit.objects.create(code="G-HOSTILE", name=fit(OrgUnit, "name", hostile(url, next(n))),
                                   kind=OrgUnit.Kind.GROUP, parent=site_a.unit, path=site_a.unit.path + "ZZ",
                                   depth=site_a.unit.depth + 1)
    Inspection.objects.filter(pk=inspection.pk).update(group=group,
                                                       title=fit(Inspection, "title", hostile(url, next(n))))

    started = time.monotonic()
    data = audit_documents.render_report_pdf(inspection, language=language)
    assert_nothing_fetched(listener, log, time.monotonic() - started)
    text = pdf_text(data, tmp_path)
    assert "BREAK1" in text and listener.url in text


def test_the_fetcher_serves_our_static_files_and_the_given_uploads_only(watch, tmp_path, caplog):
    """The other side: what a document may load is loaded (our CSS, a photo it was given, a data:
    URI), and a stored upload it was not given is refused like any other URL."""
    listener, log = watch
    given = default_storage.save("hazards/2026/01/given.png", image_upload(color=(0, 128, 0)))
    other = default_storage.save("hazards/2026/01/other.png", image_upload(color=(200, 0, 0)))
    pixel = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAE"
             "hQGAhKmMIQAAAABJRU5ErkJggg==")
    html = (
        '<html><head><link rel="stylesheet" href="hz://static/pdf/document.css"></head><body>'
        f'<img src="hz://media/{given}"><img src="hz://media/{other}"><img src="{pixel}">'
        f'<img src="{listener.url}/x.png"><img src="file://{default_storage.path(given)}">'
        '<img src="hz://static/../org/models.py"><img src="hz://static/pdf/../../config/settings/base.py">'
        "</body></html>"
    )
    result = render_html(html, media=[given])
    assert_nothing_fetched(listener, log, result.seconds)
    assert sorted(result.refused) == sorted([
        f"hz://media/{other}", f"{listener.url}/x.png", f"file://{default_storage.path(given)}",
        "hz://static/../org/models.py", "hz://static/pdf/../../config/settings/base.py",
    ])
    images = subprocess.run(["pdfimages", "-list", "-"], input=result.pdf, capture_output=True, check=True).stdout
    kinds = [line.split()[2] for line in images.decode().splitlines()[2:]]
    assert kinds.count("image") == 2  # the given photo and the data: URI
    assert "PDF resource refused" in caplog.text


def test_a_render_past_its_limits_is_stopped(settings):
    """A document that would take too long, or grow the renderer too much, is stopped and said so;
    the caller (a web or Celery worker) keeps running with its own memory."""
    from org.documents import RenderError

    settings.PDF_RENDER_SECONDS = 1
    huge = "<html><body>" + "<p>" + "很长的文本 " * 50_000 + "</p>" * 20 + "</body></html>"
    started = time.monotonic()
    with pytest.raises(RenderError) as exc:
        render_html(huge)
    assert exc.value.reason == "timeout" and time.monotonic() - started < 5

    settings.PDF_RENDER_SECONDS = 60
    settings.PDF_RENDER_MEMORY_MB = 64
    # A 12,000 x 12,000 grey PNG (144 MB once decoded, under Pillow's own bomb limit) in a data:
    # URI of a few hundred kilobytes.
    import base64
    import io
    import zlib

    side = 12_000

    def chunk(kind, body):
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    compressor, row, body = zlib.compressobj(9), b"\x00" * (side + 1), []
    for _ in range(side):
        body.append(compressor.compress(row))
    body.append(compressor.flush())
    png = io.BytesIO()
    png.write(b"\x89PNG\r\n\x1a\n")
    png.write(chunk(b"IHDR", side.to_bytes(4, "big") * 2 + b"\x08\x00\x00\x00\x00"))
    png.write(chunk(b"IDAT", b"".join(body)))
    png.write(chunk(b"IEND", b""))
    bomb = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
    with pytest.raises(RenderError) as exc:
        render_html(f'<html><body><img src="{bomb}" style="width: 10mm"></body></html>')
    assert exc.value.reason in ("memory", "failed")

    settings.PDF_RENDER_MEMORY_MB = 1024
    settings.PDF_MAX_MB = 0
    with pytest.raises(RenderError) as exc:
        render_html("<html><body><p>一页</p></body></html>")
    assert exc.value.reason == "output"
