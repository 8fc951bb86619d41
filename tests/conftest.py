import os

import pytest
from django.conf import settings

from org.models import OrgUnit, Role
from tests.e2e.conftest import browser_context_args, browser_type_launch_args  # noqa: F401  (every app's e2e tests)
from tests.factories import OrgUnitFactory, SiteFactory, make_user


@pytest.fixture(autouse=True, scope="session")
def _ci_requires_services(django_db_setup, django_db_blocker):
    """In CI the run must use PostgreSQL and Redis; a missing service fails instead of skipping."""
    if os.environ.get("CI"):
        assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql", (
            "CI must run against PostgreSQL (set DATABASE_URL)")
        assert settings.CELERY_BROKER_URL.startswith("redis://"), "CI must run against Redis (CELERY_BROKER_URL)"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the settings' language: a page requested in Chinese by the test client
    leaves the thread's language active (Django's LocaleMiddleware does not reset it), which would
    otherwise carry over into the next test."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def company(db):
    return OrgUnitFactory(code="CO", name="公司", kind=OrgUnit.Kind.COMPANY)


@pytest.fixture
def branch_a(company):
    return OrgUnitFactory(code="BA", name="甲分公司", parent=company)


@pytest.fixture
def branch_b(company):
    return OrgUnitFactory(code="BB", name="乙分公司", parent=company)


@pytest.fixture
def team_a(branch_a):
    return OrgUnitFactory(code="BA-T1", name="甲一所", kind=OrgUnit.Kind.TEAM, parent=branch_a)


@pytest.fixture
def site_a(team_a):
    return SiteFactory(unit=team_a, name="甲客户")


@pytest.fixture
def site_b(branch_b):
    return SiteFactory(unit=branch_b, name="乙客户")


@pytest.fixture
def inspector_a(branch_a):
    return make_user(branch_a, Role.INSPECTOR, username="insp_a")


@pytest.fixture
def company_manager(company):
    """A manager of the company's top unit: the one who keeps the company-wide standards."""
    return make_user(company, Role.MANAGER, username="mgr_co")


@pytest.fixture
def manager_a(branch_a):
    return make_user(branch_a, Role.MANAGER, username="mgr_a")


@pytest.fixture
def leader_a(branch_a):
    return make_user(branch_a, Role.LEADER, username="lead_a")


@pytest.fixture
def admin_a(branch_a):
    return make_user(branch_a, Role.ADMIN, username="adm_a")


@pytest.fixture
def manager_b(branch_b):
    return make_user(branch_b, Role.MANAGER, username="mgr_b")


@pytest.fixture
def inspector_b(branch_b):
    return make_user(branch_b, Role.INSPECTOR, username="insp_b")


@pytest.fixture
def client_a(client, inspector_a):
    client.force_login(inspector_a)
    return client
