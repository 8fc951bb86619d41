import os

import pytest
from django.conf import settings

from .factories import RiskCategoryFactory


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.postgres` tests need real row locks: skipped on SQLite, except in CI where a
    missing PostgreSQL must fail loudly (the tests also assert the vendor themselves)."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine == "django.db.backends.postgresql" or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (row locks, its indexes; set DATABASE_URL); required in CI")
    for item in items:
        if "postgres" in item.keywords and str(item.fspath).startswith(os.path.dirname(__file__)):
            item.add_marker(skip)


@pytest.fixture
def fast_pdf(monkeypatch):
    """Replace the PDF rendering (≈0.2 s each) by fixed bytes where the document's content is not
    under test; hazards.documents is tested with real PDFs in the UI engineer's tests."""
    monkeypatch.setattr("hazards.documents.render_notice_pdf",
                        lambda notice, hazards=None: b"%PDF-1.7 test " + notice.number.encode())


@pytest.fixture
def category(db):
    return RiskCategoryFactory(code="ELEC", name="电气设备缺陷", score=5)


@pytest.fixture
def other_category(db):
    return RiskCategoryFactory(code="OTHER", name="其他", score=1)


@pytest.fixture
def superuser(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456")
