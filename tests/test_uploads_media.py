"""MEDIA_ROOT is never public: no settings module serves it (the `make run` default included), and
files stored before uploads were checked by content keep working after the data migrations."""

import importlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from audits.models import ResultPhoto
from hazards.models import AuthorityReport, HazardPhoto, Notice
from org import uploads
from tests import samples
from tests.hazards.factories import RiskCategoryFactory, make_hazard

NOTICE_PATH = "notices/2026/01/GZ-2026-00001.pdf"

PROBE = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, os.getcwd())
    import django
    django.setup()
    from django.conf import settings
    from django.test import Client, override_settings
    from django.urls import get_resolver, Resolver404, resolve
    from django.views.static import serve

    def callbacks(resolver):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                yield from callbacks(pattern)
            else:
                yield pattern.callback

    path = "/" + settings.MEDIA_URL.strip("/") + "/" + sys.argv[1]
    try:
        resolve(path)
        resolved = "resolved"
    except Resolver404:
        resolved = "not-resolved"
    serves_media = any(cb is serve for cb in callbacks(get_resolver()))
    media = os.path.realpath(settings.MEDIA_ROOT)
    roots = [settings.STATIC_ROOT, *map(str, settings.STATICFILES_DIRS), getattr(settings, "WHITENOISE_ROOT", None)]
    under_static = any(r and (media + os.sep).startswith(os.path.realpath(r) + os.sep) for r in roots)
    # The error page's static links need no collected manifest here: only the media answer matters.
    plain = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(STORAGES=plain):
        response = Client().get(path, secure=True)
    status = response.status_code
    assert b"%PDF" not in response.content
    print(settings.SETTINGS_MODULE, settings.DEBUG, resolved, serves_media, under_static, status)
""")


@pytest.mark.parametrize("module", ["config.settings.local", "config.settings.test", "config.settings.production"])
def test_media_is_not_served_in_any_settings_module(module, tmp_path):
    """An anonymous GET of a notice's path under /media/ finds nothing, with DEBUG on as `make run` has it."""
    media = tmp_path / "media"
    (media / NOTICE_PATH).parent.mkdir(parents=True)
    (media / NOTICE_PATH).write_bytes(samples.pdf())
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": module, "MEDIA_ROOT": str(media),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "SECRET_KEY": "probe-" + "x" * 50,
           "ALLOWED_HOSTS": "testserver", "CELERY_BROKER_URL": "memory://"}
    env.pop("DEBUG", None)
    out = subprocess.run([sys.executable, "-c", PROBE, NOTICE_PATH], capture_output=True, text=True,
                         cwd=settings.BASE_DIR, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    name, debug, resolved, serves_media, under_static, status = out.stdout.split()[-6:]
    assert name == module
    assert (resolved, serves_media, under_static, status) == ("not-resolved", "False", "False", "404")
    if module == "config.settings.local":
        assert debug == "True"  # the `make run` default that used to serve MEDIA_ROOT


# ---------------------------------------------------------------- files stored before the checks


def _store(name: str, data: bytes) -> str:
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return name


def _migrate(*modules):
    editor = SimpleNamespace(connection=connection)
    for module in modules:
        importlib.import_module(module).forwards(django_apps, editor)


MIGRATIONS = ("hazards.migrations.0006_uploads_generated_names", "audits.migrations.0007_uploads_generated_names")


def test_stored_files_move_to_generated_names_and_keep_working(site_a, manager_a, client,
                                                              django_capture_on_commit_callbacks):
    from tests.audits.factories import make_standard

    category = RiskCategoryFactory(code="ELEC")
    hazard = make_hazard("rectifying", site=site_a, by=manager_a, category=category)
    # As the old code stored them: the client's names, any content.
    photo = HazardPhoto.objects.create(hazard=hazard, kind="before", image=_store("hazards/2026/01/x.html",
                                                                                  samples.png()),
                                       thumbnail=_store("hazards/thumbs/2026/01/x_thumb.jpg", samples.jpeg()))
    notice = hazard.notices.get()
    Notice.objects.filter(pk=notice.pk).update(signed_scan=_store("notices/signed/2026/01/GZ-signed.svg",
                                                                  samples.svg()))
    report = AuthorityReport.objects.create(hazard=hazard, addressee="市应急管理局", report_date=hazard.discovered_on,
                                            by=manager_a, document=_store("reports/2026/01/r.html", samples.html()))
    lost = AuthorityReport.objects.create(hazard=hazard, addressee="x", report_date=hazard.discovered_on, by=manager_a,
                                          document="reports/2026/01/gone.pdf")
    from audits import services as audit_services

    inspection = audit_services.inspection_create(standard=make_standard(), kind="periodic",
                                                  date=hazard.discovered_on, site=site_a, by=manager_a)
    result_photo = ResultPhoto.objects.create(result=inspection.results.first(), uploaded_by=manager_a,
                                              image=_store("inspections/2026/01/JC-1_1.jpg", samples.jpeg()))
    old = {"hazards/2026/01/x.html", "hazards/thumbs/2026/01/x_thumb.jpg", "notices/signed/2026/01/GZ-signed.svg",
           "reports/2026/01/r.html", "inspections/2026/01/JC-1_1.jpg"}

    with django_capture_on_commit_callbacks(execute=True):
        _migrate(*MIGRATIONS)

    photo.refresh_from_db()
    notice.refresh_from_db()
    report.refresh_from_db()
    lost.refresh_from_db()
    result_photo.refresh_from_db()
    moved = {photo.image: (".png", samples.png()), photo.thumbnail: (".jpg", samples.jpeg()),
             notice.signed_scan: (".bin", samples.svg()), report.document: (".bin", samples.html()),
             result_photo.image: (".jpg", samples.jpeg())}
    for field_file, (ext, data) in moved.items():
        assert uploads.GENERATED_NAME.match(os.path.basename(field_file.name)) and field_file.name.endswith(ext)
        assert field_file.open("rb").read() == data  # nothing lost
    assert result_photo.thumbnail.name.endswith(".jpg")  # a thumbnail it never had
    assert lost.document.name == "reports/2026/01/gone.pdf"  # a missing file is left as it was
    for name in old:
        assert not (Path(settings.MEDIA_ROOT) / name).exists()
    # Served by type: the PNG as an image, the old SVG and HTML only as opaque downloads.
    client.force_login(manager_a)
    image = client.get(reverse("hazards:photo_file", args=[photo.pk]))
    assert image["Content-Type"] == "image/png" and image["Content-Disposition"].startswith("inline")
    for url in (reverse("hazards:notice_signed_scan", args=[notice.pk]),
                reverse("hazards:report_file", args=[report.pk])):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment") and response["Content-Disposition"].endswith(
            '.bin"')
        assert "sandbox" in response["Content-Security-Policy"] and response["X-Content-Type-Options"] == "nosniff"
    assert client.get(reverse("audits:photo_thumb", args=[result_photo.pk]))["Content-Type"] == "image/jpeg"

    # Running again changes nothing.
    names = {f.name for f in moved}
    _migrate(*MIGRATIONS)
    photo.refresh_from_db()
    assert photo.image.name in names and len(list(Path(settings.MEDIA_ROOT).rglob("*.png"))) == 1


def test_a_missing_file_looks_missing(client, site_a, manager_a):
    hazard = make_hazard("registered", site=site_a, by=manager_a, category=RiskCategoryFactory(code="ELEC"),
                         photos=[samples.upload("a.png", samples.png())])
    photo = hazard.photos.get()
    os.remove(photo.image.path)
    client.force_login(manager_a)
    assert client.get(reverse("hazards:photo_file", args=[photo.pk])).status_code == 404
    assert Client().get(reverse("hazards:photo_file", args=[photo.pk])).status_code == 302
