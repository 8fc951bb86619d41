"""The whitelist admin writes through hazards.services (whitelist_add / update / revoke), which check
the scope again: a whitelist entry for another branch's site would exempt an item of that branch's
next inspection (issue 8, fault 2)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from hazards import services
from hazards.models import WhitelistEntry
from org.models import Role
from org.services import sync_role_groups
from tests.audits.factories import make_standard
from tests.factories import SiteFactory, make_user

from .factories import register

pytestmark = pytest.mark.usefixtures("fast_pdf")


@pytest.fixture
def leaf(db):
    return make_standard().items.filter(is_leaf=True).first()


@pytest.fixture
def admin_client(client, branch_a):
    sync_role_groups()
    user = make_user(branch_a, Role.ADMIN, username="adm")
    client.force_login(user)
    client.user = user
    return client


def _later(days=30):
    return timezone.localdate() + datetime.timedelta(days=days)


def test_whitelist_add_refuses_another_branchs_site(site_b, leaf, admin_a):
    with pytest.raises(PermissionDenied):
        services.whitelist_add(site=site_b, item=leaf, frozen_until=_later(), by=admin_a)
    assert not WhitelistEntry.objects.exists()


def test_whitelist_add_refuses_a_hazard_of_another_site(site_a, team_a, leaf, admin_a, manager_a, category):
    other_site = SiteFactory(unit=team_a)
    hazard = register(site=other_site, by=manager_a, category=category)
    with pytest.raises(ValidationError):
        services.whitelist_add(site=site_a, item=leaf, frozen_until=_later(), hazard=hazard, by=admin_a)


def test_adding_in_the_admin_goes_through_the_service(admin_client, site_a, leaf):
    data = {"site": site_a.pk, "item": leaf.pk, "frozen_until": _later().isoformat(), "reason": "现场核实正常",
            "hazard": ""}
    assert admin_client.post(reverse("admin:hazards_whitelistentry_add"), data).status_code == 302
    entry = WhitelistEntry.objects.get()
    assert entry.site == site_a and entry.created_by == admin_client.user
    past = {**data, "frozen_until": (timezone.localdate() - datetime.timedelta(days=1)).isoformat()}
    assert admin_client.post(reverse("admin:hazards_whitelistentry_add"), past).status_code == 200
    assert WhitelistEntry.objects.count() == 1


def test_revoking_in_the_admin(admin_client, site_a, leaf):
    entry = services.whitelist_add(site=site_a, item=leaf, frozen_until=_later(), by=admin_client.user)
    response = admin_client.post(reverse("admin:hazards_whitelistentry_changelist"),
                                 {"action": "revoke_selected", "_selected_action": [entry.pk]})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.revoked_at is not None
