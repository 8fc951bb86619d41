import base64
import io
import os
import re

import pytest
from django.conf import settings
from PIL import Image, ImageDraw

from hazards.models import Hazard
from tests.hazards.factories import RiskCategoryFactory, make_hazard


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.postgres` tests need real row locks: skipped on SQLite, except in CI."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine == "django.db.backends.postgresql" or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (row locks; set DATABASE_URL); required in CI")
    for item in items:
        if "postgres" in item.keywords and str(item.fspath).startswith(os.path.dirname(__file__)):
            item.add_marker(skip)


@pytest.fixture
def small_pdf():
    """A real one-page PDF (the notice and the acknowledged copy where their content is not under test)."""
    from weasyprint import HTML

    return HTML(string="<p>GZ</p>").write_pdf()


@pytest.fixture
def fast_documents(monkeypatch, small_pdf):
    monkeypatch.setattr("hazards.documents.render_notice_pdf", lambda notice, hazards=None: small_pdf)
    monkeypatch.setattr("portal.documents.render_acknowledged_copy", lambda notice, **kw: small_pdf)


def signature_data_url(strokes=True) -> str:
    img = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    if strokes:
        draw = ImageDraw.Draw(img)
        draw.line([(20, 80), (80, 30), (140, 90), (200, 40), (280, 70)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    img.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def notified(site_a, manager_a, fast_documents):
    """A hazard notified to its party (one notice)."""
    return make_hazard(Hazard.Status.NOTIFIED, site=site_a, by=manager_a, category=RiskCategoryFactory())


def link_for(notice, address="wang@example.com"):
    from portal.services import link_issue

    link, path = link_issue(notice=notice, address=address)
    return link, path


def open_link(client, path):
    """Open the e-mailed link; returns the page path without the secret."""
    response = client.get(path)
    assert response.status_code == 302, response.status_code
    return response["Location"]


def once(html: str) -> str:
    return re.search(r'name="once_token" value="([^"]+)"', html).group(1)
